"""The ledger as a file: XLSX (the 台账 sheet with a frozen, filterable header and overdue
rows in red, and a 单位汇总 sheet of per-unit totals) or CSV (UTF-8 with a BOM, so that
Excel reads the Chinese right; the 台账 columns only)."""

from __future__ import annotations

import csv
import unicodedata
from datetime import date, timezone
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from banli.errors import InvalidInput
from banli.files import replacing
from banli.reports.ledger import HEADERS, UNIT_HEADERS, Ledger, build_ledger

FORMATS = (".xlsx", ".csv")
LEDGER_SHEET, UNITS_SHEET = "台账", "单位汇总"
DATE_FORMAT = "yyyy-mm-dd"
# Excel's own "light red fill with dark red text", so the highlight reads as Excel's
OVERDUE_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
OVERDUE_FONT = Font(color="FF9C0006")
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
HEADER_FONT = Font(bold=True)
_THIN = Side(style="thin", color="FFBFBFBF")
HEADER_BORDER = Border(bottom=_THIN)
MAX_WIDTH = 60
# short values read better centred under their headers
CENTRED = {"类别", "交办日期", "办理期限", "状态", "催办次数", "联系次数(面商)", "答复日期", "办理结果", "代表评价", "逾期天数"}


def export_ledger(store, path: str | Path, *, as_of, session: str | None = None) -> Ledger:
    """Build the ledger and write it to `path` (.xlsx or .csv); returns what was written."""
    path = Path(path)
    suffix = ledger_format(path)
    ledger = build_ledger(store, as_of=as_of, session=session)
    with replacing(path) as temporary:
        if suffix == ".xlsx":
            write_xlsx(ledger, temporary)
        else:
            write_csv(ledger, temporary)
    return ledger


def ledger_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(f"{path}: the ledger is written as .xlsx or .csv; name the file e.g. 台账.xlsx")
    return suffix


def write_xlsx(ledger: Ledger, path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = LEDGER_SHEET
    _table(sheet, HEADERS, [row.cells() for row in ledger.rows])
    for index, row in enumerate(ledger.rows, start=2):
        if row.overdue:
            for cell in sheet[index]:
                cell.fill, cell.font = OVERDUE_FILL, OVERDUE_FONT
    units = book.create_sheet(UNITS_SHEET)
    _table(units, UNIT_HEADERS, [totals.cells() for totals in ledger.units])
    total = units.max_row + 1
    for column, value in enumerate(ledger.total().cells(), start=1):
        cell = units.cell(row=total, column=column, value=value)
        cell.font = HEADER_FONT
    book.properties.title = "建议办理台账" + (f" {ledger.session}" if ledger.session else "")
    # the file says when it was judged, and the same ledger makes the same file
    book.properties.created = book.properties.modified = ledger.as_of.astimezone(timezone.utc).replace(tzinfo=None)
    book.save(path)


def _table(sheet: Worksheet, headers: tuple[str, ...], rows: list[list]) -> None:
    """Header and rows; frozen header, filters on every column, widths to the contents, printable."""
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for values in rows:
        sheet.append(values)
    centred = Alignment(horizontal="center")
    for row in sheet.iter_rows(min_row=2):
        for cell, header in zip(row, headers):
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            if header in CENTRED:
                cell.alignment = centred
    last = get_column_letter(len(headers))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last}{max(sheet.max_row, 2)}"
    for index, header in enumerate(headers, start=1):
        width = max([_width(header)] + [_width(values[index - 1]) for values in rows])
        sheet.column_dimensions[get_column_letter(index)].width = min(width, MAX_WIDTH) + 2
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _width(value) -> int:
    """Display width: CJK characters take two columns."""
    if value is None:
        return 0
    if isinstance(value, date):
        return 10
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def write_csv(ledger: Ledger, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in ledger.rows:
            writer.writerow([csv_text(value) for value in row.cells()])


def csv_text(value) -> str:
    """A cell as CSV text: ISO dates, plain numbers, empty for blank."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
