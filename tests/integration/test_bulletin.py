"""The monthly bulletin (report bulletin): per-unit figures of the month, praise for the unit
that replied on time to a satisfied deputy, criticism for the one that replied late and left
an item overdue at the month's end; Markdown, Word and JSON; the scheduler's job."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from click.testing import CliRunner
from docx import Document

from banli.cli import Settings
from banli.cli.report_extra import bulletin as bulletin_command
from banli.errors import InvalidInput
from banli.i18n import use
from banli.reports.bulletin import build_bulletin, bulletin_job, render_markdown, write_bulletin
from tests.integration.handling import AFTER_THE_YEAR, ZONE, assigned, reply, then

pytestmark = pytest.mark.usefixtures("chinese")  # the bulletin is read in Chinese


@pytest.fixture
def august(runtime, clock):
    """In August 2022: 县住建局 replies to 16-1-001 on time and 张三 is satisfied; 县财政局 is
    urged on 16-1-002, replies late and 李四 is unsatisfied, and never replies to 16-1-004
    (due by the end of 27 August); 县教育局 is given 16-1-005 on 5 August, not yet due."""
    clock.now = AFTER_THE_YEAR
    assigned(runtime, "16-1-001", unit="zjj")
    then(runtime, "16-1-001", (*reply("zjj"), "2022-08-10T10:00"), ("wang", "accept_reply", {}, "2022-08-11T10:00"),
         ("zhang", "rate", {"rating": "满意"}, "2022-08-15T10:00"))
    assigned(runtime, "16-1-002", unit="czj", deputy="李四")
    then(runtime, "16-1-002", ("wang", "urge", {"note": "已逾期"}, "2022-08-29T09:00"),
         (*reply("czj", "李四"), "2022-08-30T10:00"), ("wang", "accept_reply", {}, "2022-08-31T09:00"),
         ("lisi", "rate", {"rating": "不满意"}, "2022-08-31T15:00"),
         (*reply("czj", "李四"), "2022-09-20T10:00"))  # re-handled in September, on time
    assigned(runtime, "16-1-004", unit="czj")
    assigned(runtime, "16-1-005", unit="jyj", on="2022-08-05")
    return runtime


def figures(bulletin) -> dict:
    return {unit.unit: unit.as_json() for unit in bulletin.units}


def test_the_month_praises_the_unit_on_time_and_criticises_the_late_one(store, august):
    bulletin = build_bulletin(store, "2022-08")

    assert [unit.unit for unit in bulletin.praised] == ["zjj"]
    assert [unit.unit for unit in bulletin.criticised] == ["czj"]
    units = figures(bulletin)
    assert units["zjj"] == {"unit": "zjj", "name": "县住建局", "items": 1, "replied": 1, "on_time": 1, "late": 0,
                            "overdue": 0, "urges": 0, "ratings": {"满意": 1}}
    assert units["czj"] == {"unit": "czj", "name": "县财政局", "items": 2, "replied": 1, "on_time": 0, "late": 1,
                            "overdue": 1, "urges": 1, "ratings": {"不满意": 1}}
    assert units["jyj"] == {"unit": "jyj", "name": "县教育局", "items": 1, "replied": 0, "on_time": 0, "late": 0,
                            "overdue": 0, "urges": 0, "ratings": {}}
    assert bulletin.title == "人大代表建议办理情况通报（2022年8月）"

    text = render_markdown(bulletin)
    assert ("2022年8月，3个承办单位承办的4件建议中，本月答复2件，其中按期答复1件、逾期答复1件；截至8月底，"
            "逾期未答复1件；本月催办1次；代表评价2件（满意1件、不满意1件）。") in text
    praise = text.split("## 一、通报表扬")[1].split("## 二、通报批评")[0]
    criticism = text.split("## 二、通报批评")[1].split("## 三、")[0]
    assert "县住建局" in praise and "县财政局" not in praise
    assert "县财政局（逾期答复1件，截至8月底逾期未答复1件，本月被催办1次，代表不满意1件）" in criticism
    assert "县住建局" not in criticism
    assert "| 县财政局 | 2 | 1 | 0 | 1 | 1 | 1 | 0 | 0 | 1 |" in text
    assert "| **合计** | **4** | **2** | **1** | **1** | **1** | **1** | **1** | **0** | **1** |" in text


def test_the_next_month_judges_the_next_month(store, august):
    september = build_bulletin(store, "2022-09")

    units = figures(september)
    assert units["czj"]["replied"] == units["czj"]["on_time"] == 1  # the second reply, by its deadline
    assert units["czj"]["overdue"] == 1  # 16-1-004 still unanswered
    assert units["zjj"]["replied"] == 0
    assert september.praised == [] and [unit.unit for unit in september.criticised] == ["czj"]
    assert build_bulletin(store, "2022-04").units == ()  # nothing assigned yet


def test_a_month_under_way_is_judged_as_of_now(store, august):
    on_the_20th = build_bulletin(store, "2022-08", now=datetime(2022, 8, 20, 12, 0, tzinfo=ZONE))

    assert not on_the_20th.complete
    assert figures(on_the_20th)["czj"]["overdue"] == 0  # not due until the end of 27 August
    assert [unit.unit for unit in on_the_20th.praised] == ["zjj"] and on_the_20th.criticised == []
    assert "截至2022年8月20日" in render_markdown(on_the_20th)
    with use("en"), pytest.raises(InvalidInput, match="has not begun"):
        build_bulletin(store, "2022-09", now=datetime(2022, 8, 20, tzinfo=ZONE))
    for bad in ("2022-8", "2022-13", "August"):
        with use("en"), pytest.raises(InvalidInput, match="YYYY-MM"):
            build_bulletin(store, bad)


def test_the_bulletin_as_a_word_document(store, august, tmp_path):
    path = write_bulletin(build_bulletin(store, "2022-08"), tmp_path / "通报.docx")

    document = Document(str(path))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "通报（2022年8月）" in text and "一、通报表扬" in text and "二、通报批评" in text
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert rows[0][:3] == ["承办单位", "承办件数", "本月答复"]
    assert ["县住建局", "1", "1", "1", "0", "0", "0", "1", "0", "0"] in rows
    with use("en"), pytest.raises(InvalidInput, match=r"\.md, \.docx or \.html"):
        write_bulletin(build_bulletin(store, "2022-08"), tmp_path / "通报.pdf")


def test_the_scheduled_job_reports_the_month_just_ended_and_rewrites_the_same_files(store, august, tmp_path):
    first_of_september = datetime(2022, 9, 1, 8, 0, tzinfo=ZONE)

    report = bulletin_job(store, first_of_september, tmp_path / "bulletins")
    markdown = (tmp_path / "bulletins" / "bulletin-2022-08.md").read_text(encoding="utf-8")
    again = bulletin_job(store, "2022-08", tmp_path / "bulletins")

    assert report == again
    assert report["period"] == "2022-08" and report["praised"] == ["zjj"] and report["criticised"] == ["czj"]
    assert sorted(path.name for path in (tmp_path / "bulletins").iterdir()) == ["bulletin-2022-08.docx",
                                                                                "bulletin-2022-08.md"]
    assert (tmp_path / "bulletins" / "bulletin-2022-08.md").read_text(encoding="utf-8") == markdown


def test_report_bulletin_command(db_url, store, august, tmp_path):
    settings = Settings(db_url, None, False)
    runner = CliRunner(env={"BANLI_LANG": "zh_CN"})
    printed = runner.invoke(bulletin_command, ["--period", "2022-08", "--json"], obj=settings)
    assert printed.exit_code == 0, printed.output
    report = json.loads(printed.output)
    assert [entry["unit"] for entry in report["praised"]] == ["zjj"]
    assert report["criticised"] == [{"unit": "czj", "name": "县财政局", "late": 1, "overdue": 1}]

    markdown = runner.invoke(bulletin_command, ["--period", "2022-08"], obj=settings)
    assert markdown.exit_code == 0 and markdown.output.startswith("# ") and "通报表扬" in markdown.output
    out = tmp_path / "b.md"
    written = runner.invoke(bulletin_command, ["--period", "2022-08", "--out", str(out)], obj=settings)
    assert written.exit_code == 0 and out.read_text(encoding="utf-8") == markdown.output
    under_way = runner.invoke(bulletin_command, ["--period", "2022-08", "--as-of", "2022-08-20", "--json"],
                              obj=settings)
    assert json.loads(under_way.output)["until"] == "2022-08-20T00:00:00+08:00"
    bad = runner.invoke(bulletin_command, ["--period", "2022/08"], obj=settings)
    assert isinstance(bad.exception, InvalidInput)
