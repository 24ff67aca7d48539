"""Spreadsheets read as text: a CSV (UTF-8, UTF-8 with BOM, GB18030, Excel's UTF-16 text) or
the first sheet of an XLSX workbook, to its header row and its rows (`Sheet`). A cell that
starts with the apostrophe that keeps a formula-like text from running ('=…) reads as the text."""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Iterable, Iterator

from banli.errors import InvalidInput
from banli.files import collector_paused
from banli.i18n import _
from banli.sheets.columns import QUOTE, VOCABULARY, Vocabulary, unquoted

HEADER_SEARCH = 10  # a title row or two above the header is common in county ledgers


@dataclass(frozen=True, kw_only=True)
class Sheet:
    """A file's rows as text; blank rows are left out, each row keeps its spreadsheet number.
    It carries the vocabulary its header row was found by, which names its columns."""

    file: str
    header_row: int
    header: list[str]
    rows: list[tuple[int, list[str]]]
    vocabulary: Vocabulary = VOCABULARY


@collector_paused
def read_sheet(path: str | Path) -> Sheet:
    """The rows of a CSV (UTF-8, UTF-8 with BOM, GB18030, or Excel's UTF-16 text) or of the
    first sheet of an XLSX workbook, as text."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(_("{path}: no such file").format(path=path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _sheet(str(path), _xlsx_rows(path))
    if suffix == ".xls":
        raise InvalidInput(_("{path}: the old Excel format (.xls) is not read; save it as .xlsx or as CSV").format(path=path))
    return _sheet(str(path), _csv_rows(path))


def _sheet(file: str, rows: Iterable[list[str]]) -> Sheet:
    leading: list[tuple[int, list[str]]] = []  # non-blank rows while the header is not yet known
    header_row, header, data = 0, [], []
    for number, cells in enumerate(rows, start=1):
        cells = [cell.strip() for cell in cells]
        if QUOTE in "".join(cells):  # rare: one look at the row, not at each cell
            cells = [unquoted(cell).strip() for cell in cells]
        if not any(cells):
            continue
        if header_row:
            data.append((number, cells))
            continue
        leading.append((number, cells))
        if VOCABULARY.names_ref(cells) or len(leading) == HEADER_SEARCH:
            header_row, header = _header_of(leading)
            data = [entry for entry in leading if entry[0] > header_row]
    if not leading:
        raise InvalidInput(_("{file} is empty: it needs a header row (ref, title, …) and one row per item").format(file=file))
    if not header_row:
        header_row, header = _header_of(leading)
        data = [entry for entry in leading if entry[0] > header_row]
    while header and not header[-1]:
        header.pop()
    if not data:
        raise InvalidInput(_("{file} has a header row but no rows below it: nothing to import").format(file=file))
    return Sheet(file=file, header_row=header_row, header=header, rows=data)


def _header_of(leading: list[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The first row naming a ref column (rows above it are titles), else the first row."""
    return next((entry for entry in leading if VOCABULARY.names_ref(entry[1])), leading[0])


def _csv_rows(path: Path) -> Iterator[list[str]]:
    """Rows streamed from the file in its encoding (a 100,000-row file is not held three times)."""
    with path.open(encoding=_encoding(path), newline="") as stream:
        first = stream.readline()
        stream.seek(0)
        delimiter = "\t" if "\t" in first and "," not in first else ","  # Excel's "Unicode text" is tab-separated
        reader = csv.reader(stream, delimiter=delimiter)
        try:
            yield from reader
        except csv.Error as exc:
            raise InvalidInput(_("{path}:{line}: not readable as CSV ({reason})").format(
                path=path, line=reader.line_num, reason=exc)) from exc


def _encoding(path: Path) -> str:
    with path.open("rb") as stream:
        head = stream.read(3)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):  # GB18030: what Excel writes on a Chinese Windows
        if _decodes(path, encoding):
            return encoding
    raise InvalidInput(_("{path}: the text is neither UTF-8 nor GB18030; in Excel, save it as "
                         "'CSV UTF-8' or as .xlsx").format(path=path))


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes, read in chunks (the text is not kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as stream:
        try:
            while chunk := stream.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    """The first worksheet's rows from A1, its cells' values (a formula's last result, an error
    such as #N/A blank) as text. Read with calamine (Rust): a fifth of the CPU time of openpyxl's
    reader on a large workbook."""
    from zipfile import BadZipFile, ZipFile

    import python_calamine  # here, not at the top: only a workbook pays for loading it

    try:
        with ZipFile(path):  # not a zip file at all, or of a zip version zipfile does not know
            pass
        with python_calamine.CalamineWorkbook.from_path(str(path)) as workbook:
            rows = _first_worksheet(workbook, path).to_python(skip_empty_area=False)
    except (BadZipFile, NotImplementedError, python_calamine.CalamineError, OSError) as exc:
        raise InvalidInput(_("{path}: not a readable .xlsx workbook ({reason})").format(path=path, reason=exc)) from exc
    for values in rows:
        yield [value if value.__class__ is str else _cell_text(value) for value in values]  # most are text


def _first_worksheet(workbook, path: Path):
    """The first sheet of cells (a chart sheet before it is passed over)."""
    from python_calamine import SheetTypeEnum

    for index, sheet in enumerate(workbook.sheets_metadata):
        if sheet.typ == SheetTypeEnum.WorkSheet:
            return workbook.get_sheet_by_index(index)
    raise InvalidInput(_("{path}: the workbook has no sheet of cells; put the rows on its first sheet").format(path=path))


def _cell_text(value: object) -> str:
    """A cell as the text a user would have typed: dates ISO, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
