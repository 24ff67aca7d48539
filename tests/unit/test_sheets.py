"""The spreadsheet vocabulary keeps import and export together: a ledger written by
`banli.sheets` and read back by its reader has the same columns under the same keys, in XLSX
and in CSV, and every name an import file may give a column leads to that column's key."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from banli.reports.ledger import Ledger, LedgerRow, UnitTotals
from banli.sheets.columns import LEDGER_HEADERS, VOCABULARY
from banli.sheets.reading import read_sheet
from banli.sheets.writing import write_ledger

AS_OF = datetime(2023, 5, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def ledger_row(**overrides) -> LedgerRow:
    values = dict(ref="16-1-001", title="关于加强老旧小区物业管理的建议", deputies=("张三", "李四"), category="城市建设",
                  lead_unit="zjj", lead_unit_name="县住建局", co_units=("县财政局", "县教育局"), leader="王局长",
                  handler="李科长", assigned_on=date(2023, 1, 5), deadline=date(2023, 4, 5), state="handling",
                  state_label="办理中", urges=1, contacts=2, face_to_face=1, replied_on=None, result_class="",
                  rating="", overdue_days=35)
    return LedgerRow(**{**values, **overrides})


def a_ledger() -> Ledger:
    rows = (ledger_row(), ledger_row(ref="16-1-002", title="关于增设农村公交线路的建议", deputies=("王五",),
                                     co_units=(), replied_on=date(2023, 3, 1), result_class="A", rating="满意",
                                     state="closed", state_label="办结", overdue_days=0))
    units = UnitTotals(unit="zjj", name="县住建局")
    for row in rows:
        units.add(row)
    return Ledger(rows=rows, units=(units,), as_of=AS_OF)


# What each key's column holds for the first row, as text: the row's own values, joined lists,
# ISO dates and plain numbers, the state's label, contacts with face-to-face meetings.
FIRST_ROW = {"ref": "16-1-001", "title": "关于加强老旧小区物业管理的建议", "deputies": "张三、李四", "category": "城市建设",
             "lead_unit": "县住建局", "co_units": "县财政局、县教育局", "leader": "王局长", "handler": "李科长",
             "assigned_on": "2023-01-05", "deadline": "2023-04-05", "state": "办理中", "urges": "1",
             "contacts": "2（面商1）", "replied_on": "", "result_class": "", "rating": "", "overdue_days": "35"}


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"], ids=["xlsx", "csv"])
def test_a_written_ledger_reads_back_under_the_same_keys(tmp_path, suffix):
    path = tmp_path / f"台账{suffix}"
    write_ledger(a_ledger(), path)

    sheet = read_sheet(path)

    assert sheet.header_row == 1 and sheet.header == list(LEDGER_HEADERS)
    keys = [VOCABULARY.key(header) for header in sheet.header]
    assert keys == [column.key for column in VOCABULARY.ledger]
    assert [number for number, _cells in sheet.rows] == [2, 3]
    first = dict(zip(keys, sheet.rows[0][1]))
    assert first == FIRST_ROW
    second = dict(zip(keys, sheet.rows[1][1]))
    assert (second["ref"], second["deputies"], second["co_units"], second["replied_on"], second["overdue_days"]) == \
        ("16-1-002", "王五", "", "2023-03-01", "0")
    # the ledger's ref, title and deputies columns are the ones an import reads, by the same names
    assert [key for key in keys if key in VOCABULARY.imported] == ["ref", "title", "deputies"]


NAMES = [(column.key, name) for column in VOCABULARY.columns for name in (column.key, *column.names)]


@pytest.mark.parametrize("key, name", NAMES, ids=[f"{key}-{name}" for key, name in NAMES])
def test_every_name_of_a_column_maps_to_its_key(key, name):
    assert VOCABULARY.key(name) == key
    assert VOCABULARY.key(f" {name.upper()}（必填）") == key  # as county staff mark a required column


def test_an_import_is_told_each_columns_header_first():
    assert {key: names[0] for key, names in VOCABULARY.imported.items()} == {
        "ref": "编号", "title": "标题", "deputies": "代表", "content": "内容", "submitted_on": "提交日期"}
    assert VOCABULARY.key("备注") is None
