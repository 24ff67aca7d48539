"""The ledger written as a file: XLSX (a 台账 sheet per workflow, under its definition's
columns, with a frozen, filterable header and overdue rows in red, and a 单位汇总 sheet of
per-unit totals) or CSV (UTF-8 with a BOM, so that Excel reads the Chinese right; one
workflow's 台账 columns only). The ledger itself is built by `banli.reports.ledger`.
No text cell can run as a formula (SPEC §6): XLSX cells of text are strings, and a text that
starts like a formula gets a leading apostrophe (Excel's quote prefix; in CSV, a ' character)."""

from __future__ import annotations

import csv
from copy import copy
import re
import unicodedata
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence

from banli.errors import InvalidInput
from banli.files import replacing
from banli.i18n import _
from banli.sheets.columns import FORMULA_STARTS, UNIT_HEADERS, neutral

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FORMATS = (".xlsx", ".csv")
LEDGER_SHEET, UNITS_SHEET = "台账", "单位汇总"
DATE_FORMAT = "yyyy-mm-dd"
# Excel's own "light red fill with dark red text", so the highlight reads as Excel's (ARGB)
OVERDUE_FILL, OVERDUE_TEXT = "FFFFC7CE", "FF9C0006"
HEADER_FILL, HEADER_RULE = "FFDDEBF7", "FFBFBFBF"
MAX_WIDTH = 60
# A sheet's name: at most 31 characters, none of these (Excel's rules)
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
MAX_SHEET_NAME = 31
UNIT_CENTRED = tuple(header == "催办次数" for header in UNIT_HEADERS)
# What XML 1.0, and so XLSX, cannot hold (openpyxl refuses it): shown as U+FFFD, never a failed file
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Cells(Protocol):
    def cells(self) -> list:
        """Values under the sheet's headers: text, whole numbers, dates, or None for blank."""


class LedgerRow(Cells, Protocol):
    @property
    def overdue(self) -> bool: ...


class Table(Protocol):
    """One workflow's rows under its headers; `centred`: per column, whether its short values
    read better centred (dates, counts, choices)."""

    @property
    def workflow(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def headers(self) -> tuple[str, ...]: ...

    @property
    def centred(self) -> tuple[bool, ...]: ...

    @property
    def rows(self) -> Sequence[LedgerRow]: ...


class Ledger(Protocol):
    """What is written (`banli.reports.ledger.Ledger`): a table per workflow, per-unit totals
    under UNIT_HEADERS and their bottom line."""

    @property
    def tables(self) -> Sequence[Table]: ...

    @property
    def units(self) -> Sequence[Cells]: ...

    @property
    def as_of(self) -> datetime: ...

    @property
    def session(self) -> str | None: ...

    def total(self) -> Cells: ...


def write_ledger(ledger: Ledger, path: str | Path) -> None:
    """The ledger written to `path` (.xlsx or .csv) in one piece: a failed write leaves no file."""
    path = Path(path)
    suffix = ledger_format(path)
    with replacing(path) as temporary:
        if suffix == ".xlsx":
            write_xlsx(ledger, temporary)
        else:
            write_csv(ledger, temporary)


def ledger_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(_("{path}: the ledger is written as .xlsx or .csv; name the file e.g. 台账.xlsx").format(path=path))
    return suffix


def write_xlsx(ledger: Ledger, path: Path) -> None:
    from openpyxl import Workbook  # here, not at the top: only a workbook pays for loading it
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    with open(path, "wb") as handle:  # first: a place that cannot be written fails before a sheet is begun
        book = Workbook(write_only=True)  # each row goes to the file as it is appended: memory stays flat
        overdue = (PatternFill(fill_type="solid", start_color=OVERDUE_FILL, end_color=OVERDUE_FILL),
                   Font(color=OVERDUE_TEXT))
        for table in ledger.tables:
            _table(book.create_sheet(sheet_name(table, len(ledger.tables))), table.headers,
                   [row.cells() for row in table.rows], marks=[overdue if row.overdue else None for row in table.rows],
                   centred=table.centred)
        units = book.create_sheet(UNITS_SHEET)
        bold = Font(bold=True)
        total = []
        for value in ledger.total().cells():
            cell = WriteOnlyCell(units, _xml_text(value))
            cell.font = bold
            if isinstance(value, str):
                as_text(cell)
            total.append(cell)
        _table(units, UNIT_HEADERS, [totals.cells() for totals in ledger.units], footer=total, centred=UNIT_CENTRED)
        titles = "、".join(table.title for table in ledger.tables if table.title) or "办理"
        book.properties.title = f"{titles}台账" + (f" {ledger.session}" if ledger.session else "")
        # the file says when it was judged, and the same ledger makes the same file
        book.properties.created = book.properties.modified = ledger.as_of.astimezone(timezone.utc).replace(tzinfo=None)
        book.save(handle)


def sheet_name(table: Table, tables: int) -> str:
    """台账, or 台账-TITLE when the workbook holds the tables of several workflows."""
    if tables == 1:
        return LEDGER_SHEET
    return _NOT_IN_SHEET_NAME.sub("_", f"{LEDGER_SHEET}-{table.title or table.workflow}")[:MAX_SHEET_NAME]


def _table(sheet: Worksheet, headers: tuple[str, ...], rows: list[list], marks: Sequence | None = None,
           footer: list | None = None, centred: Sequence[bool] = ()) -> None:
    """Header, rows and a `footer` row (left out of the filter); frozen header, filters on every
    column, widths to the contents, printable. `marks` gives each row a (fill, font) that stands
    it out (the overdue in red), or None. A write-only sheet: its settings first, then each row
    made, styled and appended in turn (reaching back for a row, `sheet[n]`, would cost openpyxl
    a pass over every cell: quadratic time)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    last = get_column_letter(len(headers))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"
    for index, header in enumerate(headers, start=1):
        width = max([_width(header)] + [_width(values[index - 1]) for values in rows])
        sheet.column_dimensions[get_column_letter(index)].width = min(width, MAX_WIDTH) + 2
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    fill = PatternFill(fill_type="solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    bold, rule = Font(bold=True), Border(bottom=Side(style="thin", color=HEADER_RULE))
    middle = Alignment(horizontal="center", vertical="center")
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, header)
        cell.font, cell.fill, cell.border, cell.alignment = bold, fill, rule, middle
        header_cells.append(cell)
    sheet.append(header_cells)
    middle_of = Alignment(horizontal="center")
    centred = tuple(centred) + (False,) * (len(headers) - len(centred))
    looks = _Looks()
    for index, values in enumerate(rows):
        mark = marks[index] if marks else None
        cells = []
        for column, value in enumerate(values):
            cell = WriteOnlyCell(sheet, _xml_text(value))
            dated = isinstance(cell.value, date)
            if not looks.give(cell, (column, dated, mark is not None)):
                if dated:
                    cell.number_format = DATE_FORMAT
                if centred[column]:
                    cell.alignment = middle_of
                if mark is not None:
                    cell.fill, cell.font = mark
                looks.keep(cell, (column, dated, mark is not None))
            if isinstance(cell.value, str):
                as_text(cell)
            cells.append(cell)
        sheet.append(cells)
    if footer:
        sheet.append(footer)


class _Looks:
    """Cell styles made once per look and copied to each cell of that look. openpyxl hashes a
    style object (font, fill, alignment: every field, recursively) each time one is assigned to
    a cell, ~20 µs apiece; copying a styled cell's style ids is what openpyxl itself does when it
    copies a worksheet (`openpyxl.worksheet.copier`)."""

    def __init__(self) -> None:
        self._styles: dict = {}

    def give(self, cell, look) -> bool:
        """Whether `cell` got the style of `look`, known from an earlier cell."""
        style = self._styles.get(look)
        if style is None:
            return False
        cell._style = copy(style)
        return True

    def keep(self, cell, look) -> None:
        self._styles[look] = copy(cell._style)


def _xml_text(value):
    return _NOT_XML.sub("\ufffd", value) if isinstance(value, str) else value


def as_text(cell) -> None:
    """A text cell kept text: a string, never a formula (openpyxl makes one of any text starting
    with '='), and one that starts like a formula carries Excel's quote prefix, so that editing
    it in Excel does not make it one either."""
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True


def _width(value) -> int:
    """Display width: CJK characters take two columns."""
    if value is None:
        return 0
    if isinstance(value, date):
        return 10
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def write_csv(ledger: Ledger, path: Path) -> None:
    """One table: a CSV file has no sheets, so a ledger of several workflows is refused."""
    if len(ledger.tables) > 1:
        names = ", ".join(table.workflow for table in ledger.tables)
        raise InvalidInput(_("{file}: the ledger holds items of {count} workflows ({names}) and a "
                             "CSV file holds one table; name one with --workflow, or write .xlsx (a sheet each)").format(
            file=path.name, count=len(ledger.tables), names=names))
    [table] = ledger.tables
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow([csv_text(value) for value in row.cells()])


def csv_text(value) -> str:
    """A cell as CSV text: ISO dates, plain numbers, empty for blank, text never a formula."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutral(value)
    return str(value)
