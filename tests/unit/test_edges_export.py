"""Issue 14, item 7: the exports take time in proportion to their rows. The ledger's XLSX, the
invitation sheet and a report's Word tables never reach back for a row by its index (openpyxl
walks every cell of the sheet for `sheet[n]`; python-docx made and formatted each cell of a
Word table at ~0.3 ms), and what they write reads back as before: red overdue rows, text
cells kept text, a Word cell's tabs, line breaks and spaces as python-docx writes them."""

from __future__ import annotations

from datetime import date

import pytest
from docx import Document as WordDocument
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from banli.reports.document import Document, Signature, Table
from banli.reports.ledger import Ledger, UnitTotals
from banli.reports.render import docx as word
from banli.sheets.invitations import InvitationRow, write_invitations
from banli.sheets.columns import LEDGER_HEADERS
from banli.sheets.writing import write_ledger
from tests.unit.test_sheets import AS_OF, ledger_row, tabled

RED = "FFFFC7CE"


def counting(monkeypatch, owner, name: str) -> list:
    """Calls of `owner.name` from now on, one entry each."""
    calls: list = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(args[1:])
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def ledger_of(count: int) -> Ledger:
    """`count` rows, every other one overdue, one unit."""
    rows = tuple(ledger_row(ref=f"16-1-{number:03d}", title=f"=建议{number}" if number % 7 == 0 else f"建议{number}",
                            overdue_days=number % 2 * 10)
                 for number in range(1, count + 1))
    units = UnitTotals(unit="zjj", name="县住建局")
    for row in rows:
        units.add(row)
    return tabled(rows, (units,))


def test_the_ledger_sheet_is_written_without_reaching_back_for_its_rows(tmp_path, monkeypatch):
    reached = counting(monkeypatch, Worksheet, "__getitem__")
    write_ledger(ledger_of(10), tmp_path / "short.xlsx")
    short = len(reached)
    write_ledger(ledger_of(120), tmp_path / "long.xlsx")

    assert len(reached) - short == short  # the same few look-ups, whatever the number of rows
    monkeypatch.undo()
    sheet = load_workbook(tmp_path / "long.xlsx")["台账"]
    for number, row in enumerate(sheet.iter_rows(min_row=2), start=1):
        fills = {cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None for cell in row}
        assert fills == ({RED} if number % 2 else {None}), number
        assert row[0].value == f"16-1-{number:03d}" and row[1].data_type == "s"
        assert row[1].quotePrefix == (number % 7 == 0)  # a title starting with '=' stays text
        assert row[9].number_format == "yyyy-mm-dd" and row[9].value.date() == date(2023, 4, 5)
    last = get_column_letter(len(LEDGER_HEADERS))
    assert sheet.max_row == 121 and sheet.auto_filter.ref == f"A1:{last}121" and sheet.freeze_panes == "A2"


def test_the_invitation_sheet_is_written_without_reaching_back_for_its_rows(tmp_path, monkeypatch):
    def people(count: int) -> list[InvitationRow]:
        return [InvitationRow(user=f"{number:03d}", name=f"=张{number}", unit="县住建局", roles=("unit",),
                              link=f"http://127.0.0.1/invite/{number}", valid_until="2026-12-20 09:00")
                for number in range(count)]

    reached = counting(monkeypatch, Worksheet, "__getitem__")
    write_invitations(people(5), tmp_path / "short.xlsx")
    short = len(reached)
    write_invitations(people(80), tmp_path / "long.xlsx")

    assert len(reached) - short == short
    monkeypatch.undo()
    sheet = load_workbook(tmp_path / "long.xlsx").active
    assert sheet.max_row == 81 and sheet["A81"].value == "079"  # an id keeps its zeros
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type == "s" and cell.number_format == "@" for cell in cells)
    assert sheet["B2"].quotePrefix and sheet["A1"].font.b


def report_with(rows: tuple[tuple, ...], total: tuple | None = None) -> Document:
    table = Table(caption="表5  存在问题的建议", headers=("编号", "建议", "件数"), rows=rows, total=total, unbroken=(0,))
    return Document(title="报告", title_lines=("报告",), subtitle="2025年12月31日",
                    blocks=(table, Signature(lines=("县人大",))), created=AS_OF)


def test_a_long_word_table_is_not_built_cell_by_cell(tmp_path, monkeypatch):
    from docx.table import Table as WordTable

    added = counting(monkeypatch, WordTable, "add_row")
    word.write_docx(report_with(tuple((f"16-1-{n:03d}", f"建议{n}", n) for n in range(10))), tmp_path / "short.docx")
    short = len(added)
    word.write_docx(report_with(tuple((f"16-1-{n:03d}", f"建议{n}", n) for n in range(300)), total=("合计", "", 300)),
                    tmp_path / "long.docx")

    assert len(added) - short <= short + 1  # the header and one model row per look (the total's too)
    monkeypatch.undo()
    (table,) = WordDocument(str(tmp_path / "long.docx")).tables
    assert len(table.rows) == 302
    assert [cell.text for cell in table.rows[150].cells] == ["16-1-149", "建议149", "149"]
    assert [cell.text for cell in table.rows[-1].cells] == ["合计", "", "300"]
    assert all(run.font.bold for cell in table.rows[-1].cells for run in cell.paragraphs[0].runs)
    assert not any(run.font.bold for cell in table.rows[150].cells for run in cell.paragraphs[0].runs)
    assert table.rows[150].cells[2].paragraphs[0].alignment == word.WD_ALIGN_PARAGRAPH.RIGHT  # figures to the right
    tr = table.rows[150]._tr
    assert tr.find(word.qn("w:trPr")).find(word.qn("w:cantSplit")) is not None  # a row is never split
    assert tr.tc_lst[0].tcPr.find(word.qn("w:noWrap")) is not None  # a ref is never broken


def test_each_table_gets_its_own_rows_in_its_place(tmp_path):
    tables = (Table(caption="表1", headers=("类别", "件数"), rows=(("城市建设", 2), ("教育", 1)), total=("合计", 3)),
              Table(caption="表2", headers=("编号", "问题"), rows=()),
              Table(caption="表3", headers=("编号", "问题"), rows=tuple((f"16-1-{n:03d}", "逾期") for n in range(40))))
    document = Document(title="报告", title_lines=("报告",), subtitle="2025年12月31日", blocks=tables, created=AS_OF)
    word.write_docx(document, tmp_path / "r.docx")

    first, empty, third = WordDocument(str(tmp_path / "r.docx")).tables
    assert [[cell.text for cell in row.cells] for row in first.rows] == [
        ["类别", "件数"], ["城市建设", "2"], ["教育", "1"], ["合计", "3"]]
    assert [[cell.text for cell in row.cells] for row in empty.rows] == [["编号", "问题"]]
    assert len(third.rows) == 41 and third.rows[40].cells[0].text == "16-1-039"
    # a short table is kept on one page: each row but the last kept with the next
    kept = [row.cells[0].paragraphs[0].paragraph_format.keep_with_next for row in first.rows]
    assert kept == [True, True, True, False]


@pytest.mark.parametrize("text", ["", "建议", " 前后有空格 ", "甲\t乙", "第一行\n第二行", "a\r\nb", "\t"],
                         ids=["empty", "plain", "spaces", "tab", "newline", "crlf", "tab-only"])
def test_a_word_cell_is_filled_as_python_docx_writes_a_run(text):
    from lxml import etree

    expected = WordDocument().add_paragraph().add_run(text)._r
    filled = WordDocument().add_paragraph().add_run()._r
    word._fill(filled, text)

    assert etree.tostring(filled) == etree.tostring(expected)


# -- reading a workbook (calamine): what openpyxl's reader read, and no crash on a broken file ----

def test_a_workbook_reads_from_a1_with_its_row_numbers_dates_and_numbers(tmp_path):
    from datetime import datetime, time

    import openpyxl

    from banli.sheets.reading import read_sheet

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B1"] = "2026年人大代表建议汇总表"  # a title above the header, the table from column B
    sheet.append([None, "编号", "标题", "提交日期", "件数", "时间"])
    sheet.append([None, "16-1-001", "关于道路改造的建议", datetime(2026, 1, 5), 3.0, time(9, 30)])
    sheet.append([])
    sheet.append([None, "16-1-002", "=1+1", datetime(2026, 1, 6, 9, 30), 1.5, True])
    path = tmp_path / "s.xlsx"
    book.save(path)

    read = read_sheet(path)

    assert (read.header_row, read.header) == (2, ["", "编号", "标题", "提交日期", "件数", "时间"])
    assert read.rows == [(3, ["", "16-1-001", "关于道路改造的建议", "2026-01-05", "3", "09:30:00"]),
                         (5, ["", "16-1-002", "", "2026-01-06 09:30", "1.5", "true"])]  # =1+1 never computed: blank


def test_a_chart_sheet_before_the_rows_is_passed_over(tmp_path):
    import openpyxl

    from banli.sheets.reading import read_sheet

    book = openpyxl.Workbook()
    book.active.append(["编号", "标题"])
    book.active.append(["16-1-001", "甲"])
    book.create_chartsheet("图", 0)  # openpyxl's own reader failed on this workbook (AttributeError)
    book.save(tmp_path / "s.xlsx")

    assert read_sheet(tmp_path / "s.xlsx").rows == [(2, ["16-1-001", "甲"])]


@pytest.mark.parametrize("damage", ["truncated", "bad-xml", "bad-zip"])
def test_a_damaged_workbook_is_invalid_input_never_a_crash(tmp_path, damage):
    """openpyxl's reader let lxml's XMLSyntaxError, zlib's error, EOFError … through (exit 1)."""
    import zipfile

    import openpyxl

    from banli.errors import InvalidInput
    from banli.sheets.reading import read_sheet

    good, path = tmp_path / "good.xlsx", tmp_path / "s.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["编号", "标题"])
    book.active.append(["16-1-001", "甲"])
    book.save(good)
    if damage == "truncated":
        path.write_bytes(good.read_bytes()[:-200])
    elif damage == "bad-xml":
        with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
            for name in source.namelist():
                data = source.read(name)
                target.writestr(name, data[: len(data) // 2] if name == "xl/worksheets/sheet1.xml" else data)
    else:
        path.write_bytes(b"PK\x03\x04" + good.read_bytes()[4:40])

    with pytest.raises(InvalidInput) as refused:
        read_sheet(path)
    assert str(refused.value).startswith(f"{path}: not a readable .xlsx workbook (")
    assert "\n" not in str(refused.value)


def test_an_error_cell_reads_as_blank_not_as_its_code(tmp_path):
    """A lookup that failed in Excel (#N/A) is no title: the import says the title is missing."""
    import openpyxl

    from banli.sheets.reading import read_sheet

    book = openpyxl.Workbook()
    book.active.append(["编号", "标题"])
    book.active.append(["16-1-001", "#N/A"])  # openpyxl stores this as an error cell
    book.save(tmp_path / "s.xlsx")

    assert read_sheet(tmp_path / "s.xlsx").rows == [(2, ["16-1-001", ""])]
