"""`banli ledger export` from the command line: the file, --as-of, --session, --json, errors."""

from __future__ import annotations

import csv
from datetime import date

from openpyxl import load_workbook

from tests.cli.conftest import TO_HANDLING, walk

HANDLED = [("reg", "sort", {"category": "城市建设", "session": "16-1"}, "2026-01-20T09:00"), *TO_HANDLING[1:]]


def _rows(path) -> list[tuple]:
    return list(load_workbook(path)["台账"].iter_rows(values_only=True))


def test_export_xlsx_judges_the_deadline_as_of_the_given_time(banli, suggestion, tmp_path, chinese):
    walk(banli, suggestion, HANDLED + [  # assigned 2026-02-01: reply due by the end of 1 May 2026
        ("wang", "urge", {}, "2026-05-05T09:00"), ("li", "contact", {"method": "face_to_face"}, "2026-05-06T09:00")])
    late, early = tmp_path / "late.xlsx", tmp_path / "early.xlsx"

    done = banli("ledger", "export", str(late), "--as-of", "2026-06-01", "--json")
    in_time = banli("ledger", "export", str(early), "--as-of", "2026-05-01T23:00", "--json")

    assert done.exit_code == 0, done.stderr
    assert done.json() == {"file": str(late), "rows": 1, "overdue": 1, "units": 1, "session": None,
                           "as_of": "2026-06-01T00:00:00+08:00"}
    header, row = _rows(late)
    assert header[:5] == ("编号", "标题", "代表", "类别", "主办单位") and header[-1] == "逾期天数"
    assert row[:8] == ("16-1-001", "关于加强物业管理的建议", "张三、李四", "城市建设", "县住建局", "县财政局", "王局长", "李科长")
    assert (row[8].date(), row[9].date(), row[10:13]) == (date(2026, 2, 1), date(2026, 5, 1), ("办理中", 1, "1（面商1）"))
    assert row[-1] == 31
    assert load_workbook(late)["台账"]["A2"].fill.fgColor.rgb == "FFFFC7CE"
    assert in_time.json()["overdue"] == 0 and _rows(early)[1][-1] == 0
    assert load_workbook(early)["台账"]["A2"].fill.fill_type is None
    units = list(load_workbook(late)["单位汇总"].iter_rows(values_only=True))
    assert units[1:] == [("县住建局", 1, 0, 0, 1, 1, 1, 0, 0, 0), ("合计", 1, 0, 0, 1, 1, 1, 0, 0, 0)]


def test_export_csv_with_session_and_the_text_summary(banli, suggestion, tmp_path):
    walk(banli, suggestion, HANDLED)
    other = banli("item", "add", "--workflow", "npc-suggestion", "--ref", "16-2-001", "--title", "关于增设公交站台的建议",
                  "--deputy", "王五", "--field", "category=城市建设", "--field", "session=16-2", "--at", "2026-02-10",
                  user="reg")
    assert other.exit_code == 0, other.stderr
    path = tmp_path / "台账.csv"

    text = banli("ledger", "export", str(path), "--session", "16-1", "--as-of", "2026-06-01")

    assert text.exit_code == 0, text.stderr
    assert text.stdout.count("\n") == 1
    assert text.stdout.strip() == f"{path}: 1 items (session 16-1), 1 overdue, 1 lead units, as of 2026-06-01 00:00"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [row[0] for row in rows] == ["编号", "16-1-001"]
    assert rows[1][8:10] == ["2026-02-01", "2026-05-01"] and rows[1][-1] == "31"
    both = banli("ledger", "export", str(path), "--as-of", "2026-06-01", "--json").json()
    assert (both["rows"], both["overdue"]) == (2, 1)


def test_export_refuses_other_formats_and_unwritable_places(banli, tmp_path):
    wrong = banli("ledger", "export", str(tmp_path / "ledger.pdf"))
    nowhere = banli("ledger", "export", str(tmp_path / "no" / "such" / "ledger.xlsx"))
    bad_time = banli("ledger", "export", str(tmp_path / "ledger.xlsx"), "--as-of", "yesterday")

    assert wrong.exit_code == 3 and ".xlsx or .csv" in wrong.stderr
    assert nowhere.exit_code == 3 and "cannot write" in nowhere.stderr and "Traceback" not in nowhere.stderr
    assert bad_time.exit_code == 3 and "--as-of" in bad_time.stderr
    assert not (tmp_path / "ledger.xlsx").exists()
