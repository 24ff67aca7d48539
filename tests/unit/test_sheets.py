"""The spreadsheet vocabulary keeps import and export together: a ledger written by
`banli.sheets` and read back by its reader has the same columns under the same keys, in XLSX
and in CSV, and every name an import file may give a column leads to that column's key.
No text the ledger writes can run as a formula, in openpyxl's reading nor in LibreOffice's."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from dataclasses import replace

from banli.reports.ledger import Ledger, LedgerRow, LedgerTable, UnitTotals
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
    row = LedgerRow(**{**values, **overrides})
    return replace(row, values=(  # under npc-suggestion's ledger columns (LEDGER_HEADERS)
        row.ref, row.title, "、".join(row.deputies), row.category, row.lead_unit_name, "、".join(row.co_units),
        row.leader, row.handler, row.assigned_on, row.deadline, row.state_label, row.urges,
        f"{row.contacts}（面商{row.face_to_face}）", row.replied_on, row.result_class, row.rating, "", None, "", "", "",
        row.overdue_days))


def tabled(rows: tuple[LedgerRow, ...], units: tuple[UnitTotals, ...]) -> Ledger:
    table = LedgerTable(workflow="npc-suggestion", title="人大代表建议办理", headers=LEDGER_HEADERS, rows=rows)
    return Ledger(rows=rows, units=units, as_of=AS_OF, tables=(table,))


def a_ledger() -> Ledger:
    rows = (ledger_row(), ledger_row(ref="16-1-002", title="关于增设农村公交线路的建议", deputies=("王五",),
                                     co_units=(), replied_on=date(2023, 3, 1), result_class="A", rating="满意",
                                     state="closed", state_label="办结", overdue_days=0))
    units = UnitTotals(unit="zjj", name="县住建局")
    for row in rows:
        units.add(row)
    return tabled(rows, (units,))


# What each key's column holds for the first row, as text: the row's own values, joined lists,
# ISO dates and plain numbers, the state's label, contacts with face-to-face meetings.
FIRST_ROW = {"ref": "16-1-001", "title": "关于加强老旧小区物业管理的建议", "deputies": "张三、李四", "category": "城市建设",
             "lead_unit": "县住建局", "co_units": "县财政局、县教育局", "leader": "王局长", "handler": "李科长",
             "assigned_on": "2023-01-05", "deadline": "2023-04-05", "state": "办理中", "urges": "1",
             "contacts": "2（面商1）", "replied_on": "", "result_class": "", "rating": "", "promise": "", "promised_by": "",
             "promise_status": "", "key": "", "lead_leader": "", "overdue_days": "35"}


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


# -- no text cell runs as a formula (SPEC §6; OWASP's CSV injection rule) -----------------------

ATTACKS = dict(title="=cmd|' /C calc'!A0", deputies=("=1+1",), category="-2+3", leader="@SUM(1+1)", handler="+1+1",
               co_units=("\t=1+1",))
ATTACKED = {"title": "=cmd|' /C calc'!A0", "deputies": "=1+1", "category": "-2+3", "leader": "@SUM(1+1)",
            "handler": "+1+1", "co_units": "\t=1+1"}


def attacked_ledger() -> Ledger:
    rows = (ledger_row(**ATTACKS), ledger_row(ref="16-1-002", title="关于增设农村公交线路的建议", overdue_days=-1))
    units = UnitTotals(unit="zjj", name="=HYPERLINK(\"http://example.com\",\"县住建局\")")
    for row in rows:
        units.add(row)
    return tabled(rows, (units,))


def test_xlsx_text_is_written_as_strings_with_excels_quote_prefix(tmp_path):
    from zipfile import ZipFile

    from openpyxl import load_workbook

    path = tmp_path / "台账.xlsx"
    write_ledger(attacked_ledger(), path)

    book = load_workbook(path)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    sheet = book["台账"]
    by_key = {column.key: sheet.cell(row=2, column=index) for index, column in enumerate(VOCABULARY.ledger, start=1)}
    assert {key: by_key[key].value for key in ATTACKED} == ATTACKED  # the text reads as it was written
    assert all(by_key[key].quotePrefix for key in ATTACKED)  # and Excel keeps it text when it is edited
    late = sheet.cell(row=3, column=len(LEDGER_HEADERS))  # 逾期天数, the last column
    assert not by_key["ref"].quotePrefix and late.value == -1 and late.data_type == "n"
    with ZipFile(path) as archive:
        sheets = [archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
    assert len(sheets) == 2 and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)


def test_csv_text_that_starts_like_a_formula_gets_an_apostrophe(tmp_path):
    path = tmp_path / "台账.csv"
    write_ledger(attacked_ledger(), path)

    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    first = dict(zip([column.key for column in VOCABULARY.ledger], rows[1]))
    assert {key: first[key] for key in ATTACKED} == {key: "'" + text for key, text in ATTACKED.items()}
    assert (first["ref"], first["assigned_on"], first["overdue_days"]) == ("16-1-001", "2023-01-05", "35")
    assert rows[2][-1] == "-1"  # a number is no formula: left as it is


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"], ids=["xlsx", "csv"])
def test_neutralised_texts_read_back_as_they_were(tmp_path, suffix):
    path = tmp_path / f"台账{suffix}"
    write_ledger(attacked_ledger(), path)

    first = dict(zip([VOCABULARY.key(header) for header in read_sheet(path).header], read_sheet(path).rows[0][1]))

    # as written, but for the leading tab, which a cell read loses as it loses any outer blank
    assert {key: first[key] for key in ATTACKED} == {**ATTACKED, "co_units": "=1+1"}


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize("suffix, shown", [(".xlsx", ""), (".csv", "'")], ids=["xlsx", "csv"])
def test_libreoffice_shows_the_texts_and_computes_nothing(tmp_path, suffix, shown):
    """What a user opening the file sees: LibreOffice, converting it to CSV, writes each cell as
    shown; a formula would show its result (2, or an error for the cmd call)."""
    path = tmp_path / f"台账{suffix}"
    write_ledger(attacked_ledger(), path)
    out = tmp_path / "shown"

    utf8 = ["--infilter=CSV:44,34,76"] if suffix == ".csv" else []  # as Excel reads it: by its BOM
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", *utf8,
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)

    with open(out / "台账.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    first = dict(zip([column.key for column in VOCABULARY.ledger], rows[1]))
    assert (first["title"], first["deputies"], first["leader"], first["handler"], first["lead_unit"]) == \
        (shown + "=cmd|' /C calc'!A0", shown + "=1+1", shown + "@SUM(1+1)", shown + "+1+1", "县住建局")


def test_control_characters_in_stored_text_do_not_break_the_workbook(tmp_path):
    from openpyxl import load_workbook

    ledger = tabled((ledger_row(handler="李\x01科长"),), ())
    path = tmp_path / "台账.xlsx"

    write_ledger(ledger, path)  # openpyxl would refuse the cell: a bug's exit 1

    assert load_workbook(path)["台账"]["H2"].value == "李\ufffd科长"


def test_an_invitation_sheet_never_carries_a_formula(tmp_path):
    """A person's name that starts like a formula is written as text in the invitation sheet."""
    import openpyxl

    from banli.sheets.invitations import InvitationRow, write_invitations

    path = tmp_path / "账号.xlsx"
    write_invitations([InvitationRow(user="u1", name="=cmd|' /C calc'!A0", unit="@县住建局", roles=("unit",),
                                     link="http://127.0.0.1/invite/x", valid_until="2026-12-20 09:00")], path)
    row = openpyxl.load_workbook(path).active[2]
    assert [cell.value for cell in row][:3] == ["u1", "=cmd|' /C calc'!A0", "@县住建局"]
    assert {cell.data_type for cell in row} == {"s"}
    assert row[1].quotePrefix and row[2].quotePrefix
