"""The ledger (台账) of the demo year plus a few open items, written as XLSX and CSV and read
back: openpyxl for the workbook, the csv module for the CSV, LibreOffice when installed."""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from banli.demo.year import play_year, prepare
from banli.engine.definitions import builtin_files, register_file
from banli.engine.runtime import Runtime
from banli.errors import InvalidInput, NotFound
from banli.reports.ledger import Ledger, build_ledger, days_late, last_day
from banli.sheets.columns import LEDGER_HEADERS, UNIT_HEADERS
from banli.sheets.writing import csv_text, write_ledger
from banli.store.audit import log
from banli.store.repo import SqlStore, item_t
from banli.store.schema import upgrade

ZONE = ZoneInfo("Asia/Shanghai")
REPORT_DAY = datetime(2023, 5, 10, 9, 0, tzinfo=ZONE)
RED = "FFFFC7CE"
COLUMN = {header: index for index, header in enumerate(LEDGER_HEADERS)}
UNIT_COLUMN = {header: index for index, header in enumerate(UNIT_HEADERS)}
TO_FILED = [("sort", "reg-1", {"category": "城市建设", "session": "16-1"}), ("review", "reg-1", {}),
            ("audit", "sup-1", {}), ("approve", "npc-1", {})]


def export_ledger(store, path, *, as_of: datetime, session: str | None = None) -> Ledger:
    """The ledger built and written as `banli ledger export` does it."""
    ledger = build_ledger(store, as_of=as_of, session=session)
    write_ledger(ledger, path)
    return ledger


def _open_item(runtime: Runtime, ref: str, title: str, registered: str, assign: dict, then: list[tuple] = ()) -> None:
    """Register, file and assign an item at past times through the runtime; never replied."""
    runtime.create(workflow_id="npc-suggestion", ref=ref, title=title, actor="reg-1", deputies=["王建国"],
                   fields={"category": "城市建设", "session": "16-1"}, at=f"{registered}T09:00")
    day = date.fromisoformat(registered)
    for event, actor, data in TO_FILED:
        day += timedelta(days=1)
        runtime.fire(ref, event, actor, data, at=f"{day}T09:00")
    runtime.fire(ref, "assign", "sup-1", {"mode": "单独办理", **assign}, at="2023-01-05T10:00")
    for event, actor, data, at in then:
        runtime.fire(ref, event, actor, data, at=at)


@pytest.fixture
def demo_year(db_url, clock):
    """The demo year (40 suggestions, all ended) and three open items assigned in 2023:
    16-1-901 signed for, urged, met face to face, overdue; 16-1-902 with a co-unit, never
    signed for, overdue; 16-1-903 assigned in April, not yet due."""
    clock.now = REPORT_DAY
    store = SqlStore(db_url)
    upgrade(store.engine)
    for path in builtin_files():
        register_file(store, path, "test")
    prepare(store)
    runtime = Runtime(store, now=clock)
    play_year(store, runtime, suggestions=40)
    _open_item(runtime, "16-1-901", "关于整治城区背街小巷的建议", "2022-12-01", {"lead_unit": "zjj"}, [
        ("sign_for", "zjj-2", {"leader": "张建华", "handler": "李晓东"}, "2023-01-06T09:00"),
        ("contact", "zjj-2", {"method": "face_to_face", "stage": "before"}, "2023-02-01T10:00"),
        ("contact", "zjj-2", {"method": "phone", "stage": "during"}, "2023-03-01T10:00"),
        ("urge", "sup-1", {"note": "已超过答复期限，请立即答复"}, "2023-04-10T09:00"),
    ])
    _open_item(runtime, "16-1-902", "关于增设城区公共停车场的建议", "2022-12-02",
               {"lead_unit": "cgj", "co_units": ["zjj"], "mode": "会办"})
    runtime.create(workflow_id="npc-suggestion", ref="16-1-903", title="关于加快城区雨污分流改造的建议", actor="reg-1",
                   deputies=["王建国"], fields={"category": "城市建设", "session": "16-1"}, at="2023-03-01T09:00")
    for offset, (event, actor, data) in enumerate(TO_FILED, 1):
        runtime.fire("16-1-903", event, actor, data, at=f"2023-03-{offset + 1:02d}T09:00")
    runtime.fire("16-1-903", "assign", "sup-1", {"lead_unit": "slj", "mode": "单独办理"}, at="2023-04-03T10:00")
    yield store
    store.close()


def _sheet_rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


def test_the_demo_ledger_reads_back_with_its_rows_headers_and_red_overdue_rows(demo_year, tmp_path, chinese):
    path = tmp_path / "台账.xlsx"
    ledger = export_ledger(demo_year, path, as_of=REPORT_DAY)

    book = load_workbook(path)
    assert book.sheetnames == ["台账", "单位汇总"]
    sheet = book["台账"]
    rows = _sheet_rows(sheet)
    assert tuple(rows[0]) == LEDGER_HEADERS
    with demo_year.engine.connect() as connection:
        top_level = connection.execute(select(func.count()).where(item_t.c.parent_id.is_(None))).scalar_one()
    body = rows[1:]
    assert len(body) == len(ledger.rows) == top_level == 43
    refs = [row[COLUMN["编号"]] for row in body]
    assert refs == sorted(refs) and "16-1-901" in refs and not any("/" in ref for ref in refs)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(LEDGER_HEADERS))}{len(body) + 1}"
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["L"].width  # titles wider than counts

    by_ref = {row[COLUMN["编号"]]: row for row in body}
    assert by_ref["16-1-901"][COLUMN["状态"]] == "办理中"
    assert _as_date(by_ref["16-1-901"][COLUMN["交办日期"]]) == date(2023, 1, 5)
    assert _as_date(by_ref["16-1-901"][COLUMN["办理期限"]]) == date(2023, 4, 5)  # 3 months, to 24:00 of 5 April
    assert by_ref["16-1-901"][COLUMN["逾期天数"]] == 35
    assert by_ref["16-1-901"][COLUMN["催办次数"]] == 1
    assert by_ref["16-1-901"][COLUMN["联系次数(面商)"]] == "2（面商1）"
    assert by_ref["16-1-901"][COLUMN["责任领导"]:COLUMN["具体责任人"] + 1] == ["张建华", "李晓东"]
    assert by_ref["16-1-901"][COLUMN["答复日期"]] is None
    # never signed for: the reply deadline is counted ahead from the assignment
    assert (by_ref["16-1-902"][COLUMN["状态"]], by_ref["16-1-902"][COLUMN["协办单位"]]) == ("已交办", "县住建局")
    assert _as_date(by_ref["16-1-902"][COLUMN["办理期限"]]) == date(2023, 4, 5)
    assert by_ref["16-1-902"][COLUMN["逾期天数"]] == 35
    assert _as_date(by_ref["16-1-903"][COLUMN["办理期限"]]) == date(2023, 7, 3)
    assert by_ref["16-1-903"][COLUMN["逾期天数"]] == 0

    overdue = {row[COLUMN["编号"]] for row in body if row[COLUMN["逾期天数"]]}
    assert {"16-1-901", "16-1-902"} <= overdue and "16-1-903" not in overdue
    assert len(overdue) == ledger.overdue
    for index, row in enumerate(body, start=2):
        fills = {cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None for cell in sheet[index]}
        assert fills == ({RED} if row[COLUMN["编号"]] in overdue else {None}), row[COLUMN["编号"]]
    for header in ("交办日期", "办理期限", "答复日期"):
        cell = sheet.cell(row=2, column=COLUMN[header] + 1)
        assert isinstance(cell.value, datetime) and cell.number_format == "yyyy-mm-dd"


def test_the_unit_sheet_adds_up_the_ledger_rows(demo_year, tmp_path, chinese):
    path = tmp_path / "ledger.xlsx"
    export_ledger(demo_year, path, as_of=REPORT_DAY)

    book = load_workbook(path)
    body = _sheet_rows(book["台账"])[1:]
    units = _sheet_rows(book["单位汇总"])
    assert tuple(units[0]) == UNIT_HEADERS
    assert book["单位汇总"].freeze_panes == "A2"
    expected: dict[str, list[int]] = defaultdict(lambda: [0] * 9)
    for row in body:
        unit = row[COLUMN["主办单位"]]
        if not unit:
            continue
        days, replied = row[COLUMN["逾期天数"]], row[COLUMN["答复日期"]] is not None
        ratings = Counter([row[COLUMN["代表评价"]]])
        expected[unit] = [a + b for a, b in zip(expected[unit], [
            1, replied, replied and days == 0, bool(days), row[COLUMN["催办次数"]],
            not row[COLUMN["联系次数(面商)"]].endswith("（面商0）"), ratings["满意"], ratings["基本满意"], ratings["不满意"]])]
    *per_unit, total = units[1:]
    assert {row[0]: row[1:] for row in per_unit} == dict(expected)
    assert [row[1] for row in per_unit] == sorted((row[1] for row in per_unit), reverse=True)
    assert total[0] == "合计"
    assert total[1:] == [sum(column) for column in zip(*(row[1:] for row in per_unit))]
    assert total[UNIT_COLUMN["承办件数"]] == sum(1 for row in body if row[COLUMN["主办单位"]])
    assert total[UNIT_COLUMN["逾期"]] >= 2


def test_rows_count_what_the_trace_holds(demo_year, tmp_path):
    ledger = export_ledger(demo_year, tmp_path / "ledger.csv", as_of=REPORT_DAY)

    trace = defaultdict(list)
    for row in log(demo_year):
        trace[row["ref"]].append(row)
    for row in ledger.rows:
        events = trace[row.ref]
        assert row.urges == sum(e["event"] == "urge" for e in events), row.ref
        contacts = [e for e in events if e["event"] == "contact"]
        assert (row.contacts, row.face_to_face) == (
            len(contacts), sum(e["data"]["method"] == "face_to_face" for e in contacts)), row.ref
        replies = [e["occurred_at"][:10] for e in events if e["event"] == "reply"]
        if row.state in ("closed", "fulfilling", "awaiting_feedback", "replied"):
            assert row.replied_on.isoformat() == replies[-1], row.ref
        assigns = [e["occurred_at"][:10] for e in events if e["event"] == "assign"]
        assert (row.assigned_on.isoformat() if row.assigned_on else None) == (assigns[0] if assigns else None)
    rated = Counter(row.rating for row in ledger.rows if row.rating)
    assert sum(rated.values()) == sum(row.state in ("closed", "fulfilling") for row in ledger.rows)  # B: rated, following its promise


def test_the_csv_holds_the_same_values_as_the_workbook(demo_year, tmp_path):
    export_ledger(demo_year, tmp_path / "ledger.xlsx", as_of=REPORT_DAY)
    export_ledger(demo_year, tmp_path / "ledger.csv", as_of=REPORT_DAY)

    raw = (tmp_path / "ledger.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    with open(tmp_path / "ledger.csv", encoding="utf-8-sig", newline="") as handle:
        from_csv = list(csv.reader(handle))
    from_xlsx = _sheet_rows(load_workbook(tmp_path / "ledger.xlsx")["台账"])
    assert from_csv == [[csv_text(_as_date(value)) for value in row] for row in from_xlsx]


def test_session_filter_keeps_only_that_sessions_items(demo_year, tmp_path, clock):
    runtime = Runtime(demo_year, now=clock)
    runtime.create(workflow_id="npc-suggestion", ref="16-2-001", title="关于完善城区路灯设施的建议", actor="reg-1",
                   deputies=["王建国"], fields={"category": "城市建设", "session": "16-2"}, at="2023-05-08T09:00")

    everything = export_ledger(demo_year, tmp_path / "all.csv", as_of=REPORT_DAY)
    first = export_ledger(demo_year, tmp_path / "16-1.csv", as_of=REPORT_DAY, session="16-1")
    second = export_ledger(demo_year, tmp_path / "16-2.xlsx", as_of=REPORT_DAY, session="16-2")
    with pytest.raises(NotFound, match="sessions with items: 16-1, 16-2"):
        export_ledger(demo_year, tmp_path / "none.xlsx", as_of=REPORT_DAY, session="9-9")

    assert len(everything.rows) == len(first.rows) + 1
    assert [row.ref for row in second.rows] == ["16-2-001"]
    assert (second.rows[0].state_label, second.rows[0].deadline, second.rows[0].overdue_days) == ("已登记", None, None)
    assert second.units == ()
    assert not (tmp_path / "none.xlsx").exists()


def test_a_file_that_is_not_xlsx_or_csv_or_cannot_be_written_is_refused(demo_year, tmp_path):
    out = tmp_path / "out"
    (out / "taken.xlsx").mkdir(parents=True)

    with pytest.raises(InvalidInput, match=r"\.xlsx or \.csv"):
        export_ledger(demo_year, out / "ledger.ods", as_of=REPORT_DAY)
    with pytest.raises(InvalidInput, match="cannot write .*missing"):
        export_ledger(demo_year, out / "missing" / "ledger.xlsx", as_of=REPORT_DAY)
    with pytest.raises(InvalidInput, match="cannot write .*taken.xlsx"):
        export_ledger(demo_year, out / "taken.xlsx", as_of=REPORT_DAY)

    assert [path.name for path in out.iterdir()] == ["taken.xlsx"]  # no half-written file left behind


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
def test_libreoffice_opens_the_workbook(demo_year, tmp_path):
    export_ledger(demo_year, tmp_path / "ledger.xlsx", as_of=REPORT_DAY)
    export_ledger(demo_year, tmp_path / "ledger.csv", as_of=REPORT_DAY)
    out = tmp_path / "converted"

    # 44,34,76: comma-separated, double quotes, UTF-8; a profile of its own, so runs do not collide
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(out),
         str(tmp_path / "ledger.xlsx")], check=False, capture_output=True, text=True, timeout=180)

    assert done.returncode == 0, done.stderr
    with open(out / "ledger.csv", encoding="utf-8", newline="") as handle:
        converted = list(csv.reader(handle))
    with open(tmp_path / "ledger.csv", encoding="utf-8-sig", newline="") as handle:
        assert converted == list(csv.reader(handle))


@pytest.mark.parametrize("deadline, when, late", [
    ("2023-04-06T00:00+08:00", "2023-04-05T23:59+08:00", 0),  # before 24:00 of the last day
    ("2023-04-06T00:00+08:00", "2023-04-06T00:00+08:00", 0),
    ("2023-04-06T00:00+08:00", "2023-04-06T00:30+08:00", 1),
    ("2023-04-06T00:00+08:00", "2023-05-10T09:00+08:00", 35),
    ("2023-04-05T15:00+08:00", "2023-04-05T16:00+08:00", 1),  # an hours deadline missed the same day
], ids=["in-time", "at-24:00", "half-an-hour-late", "weeks-late", "hours-rule"])
def test_days_late_count_calendar_days_from_the_last_day(deadline, when, late):
    assert days_late(datetime.fromisoformat(deadline), datetime.fromisoformat(when), ZONE) == late


def test_a_deadline_at_midnight_ends_the_day_before():
    assert last_day(datetime(2023, 4, 6, 0, 0, tzinfo=ZONE), ZONE) == date(2023, 4, 5)
    assert last_day(datetime(2023, 4, 5, 17, 0, tzinfo=timezone.utc), ZONE) == date(2023, 4, 6)  # 01:00 local
