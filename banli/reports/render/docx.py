"""A report as a Word document (python-docx): A4, Word's own styles (Title, Heading 1/2,
Caption, Table Grid) set to the fonts of a Chinese government document — 宋体 for the text,
黑体 for the title and headings, 楷体 for sub-headings — with the East Asian font named
(w:eastAsia) and the language zh-CN, so Word and LibreOffice draw the Chinese in a CJK font.
The fonts go by their English names (SimSun …): Word takes them for 宋体 …, and LibreOffice,
where they are missing, knows what to put in their place (SimSun → Noto Serif CJK), which it
does not for the Chinese names. Pages are numbered in the footer (— 1 —), table rows never
break across a page and header rows repeat on each; the document ends with its signature."""

from __future__ import annotations

import io
import unicodedata
from copy import deepcopy
from datetime import timezone
from pathlib import Path
from typing import Iterator
from uuid import uuid4
from zipfile import ZIP_DEFLATED, ZipFile

from docx import Document as new_document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table as DocxTable
from lxml import etree

from banli.i18n import CHINESE, language
from banli.reports.document import Chart, Document, Heading, Paragraph, Signature, Table

LATIN = "Times New Roman"
SONG, HEI, KAI = "SimSun", "SimHei", "KaiTi"
BLACK = RGBColor(0, 0, 0)
HEADER_FILL = "E8EDF5"
TEXT_WIDTH = 15.6  # cm: A4 less the margins
CHART_WIDTH = Cm(15.5)
KEPT_TOGETHER = 12  # rows: a table this short is not broken across pages at all
_THEME_FONTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
DOCUMENT_PART = "word/document.xml"
_W_DECLARATION = b' xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def write_docx(document: Document, path: Path) -> None:
    word = new_document()
    _page(word)
    _styles(word)
    title = word.add_paragraph(style="Title")
    for index, line in enumerate(document.title_lines or (document.title,)):
        run = title.add_run(line)
        if index < len(document.title_lines) - 1:
            run.add_break()
    subtitle = word.add_paragraph(document.subtitle)
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    last = None  # the paragraph or table written last
    streamed: list[tuple[bytes, Iterator[bytes]]] = []  # each table's rows, written as the file is
    for block in document.blocks:
        if isinstance(block, Heading):
            last = word.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            paragraph = word.add_paragraph(block.text)
            if block.indent:
                paragraph.paragraph_format.first_line_indent = Pt(24)  # two characters of 12 pt
            if isinstance(last, DocxTable):
                paragraph.paragraph_format.space_before = Pt(8)  # not glued to the table's last row
            last = paragraph
        elif isinstance(block, Table):
            last = _table(word, block, streamed)
        elif isinstance(block, Chart):
            last = _chart(word, block)
        elif isinstance(block, Signature):
            if last is not None and not isinstance(last, DocxTable):
                last.paragraph_format.keep_with_next = True  # the signature never alone on a page
            _signature(word, block)
    _page_numbers(word)
    _properties(word, document)
    package = io.BytesIO()
    word.save(package)
    _write_with_rows(package, path, streamed)


def _page(word) -> None:
    section = word.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)


def _fonts(style, east_asian: str, size: float, *, bold: bool = False) -> None:
    """Latin and East Asian fonts of a style, instead of the template's theme fonts."""
    style.font.name = LATIN
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = BLACK
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in _THEME_FONTS:
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


def _language(rpr, tag: str = "w:lang") -> None:
    """Latin text in English, East Asian text in Chinese (run defaults, or the theme's `tag`)."""
    lang = rpr.find(qn(tag))
    if lang is None:
        lang = OxmlElement(tag)
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _styles(word) -> None:
    defaults = word.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), SONG)
    _language(rpr)
    styles = word.styles
    normal = styles["Normal"]
    _fonts(normal, SONG, 12)
    _language(normal.element.get_or_add_rPr())
    normal.paragraph_format.line_spacing = 1.5
    normal.paragraph_format.space_after = Pt(0)
    title = styles["Title"]
    _fonts(title, HEI, 20)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(6)
    _no_border(title)
    for name, east_asian, size, bold in (("Heading 1", HEI, 14, False), ("Heading 2", KAI, 13, True)):
        heading = styles[name]
        _fonts(heading, east_asian, size, bold=bold)
        heading.paragraph_format.space_before, heading.paragraph_format.space_after = Pt(10), Pt(4)
    caption = styles["Caption"]
    _fonts(caption, HEI, 10.5)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.space_before, caption.paragraph_format.space_after = Pt(6), Pt(4)
    _language(word.settings.element, "w:themeFontLang")


def _no_border(style) -> None:
    """The template's Title has a rule under it; a report's title does not."""
    ppr = style.element.find(qn("w:pPr"))
    border = ppr.find(qn("w:pBdr")) if ppr is not None else None
    if border is not None:
        ppr.remove(border)


def _table(word, block: Table, streamed: list) -> DocxTable:
    """The table with its caption, each row kept whole on one page. Its rows are left for the
    saving (`_write_with_rows`): python-docx holds a document as one XML tree, ~20 KB for a row
    of five cells, where the saving holds one row at a time."""
    word.add_paragraph(block.caption, style="Caption").paragraph_format.keep_with_next = True  # never alone at a page's foot
    rows = list(block.rows) + ([block.total] if block.total else [])
    size = Pt(10.5 if len(block.headers) <= 6 else 9)
    numeric = [block.numeric(column) for column in range(len(block.headers))]
    kept = [number or column in block.unbroken for column, number in enumerate(numeric)]
    widths = _widths(block, kept, size.pt)
    table = word.add_table(rows=0, cols=len(block.headers))
    table.style = word.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = width  # the grid: each row added takes its cells' widths from it
    header = _row(table, header=True)
    for cell, text in zip(header.cells, block.headers):
        _shade(cell)
        _text(cell, text, size, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    if not rows:
        return table
    together = len(rows) <= KEPT_TOGETHER

    def look(index: int) -> tuple[bool, bool]:
        """(bold, kept with the next) of row `index` (from 1): the total bold, a short table whole."""
        return block.total is not None and index == len(rows), together and index < len(rows)

    models = {look(index): _model_row(table, block, numeric, size, bold=look(index)[0], keep=look(index)[1])
              for index in {1, len(rows)}}
    marker = f"banli-rows-{len(streamed)}-{uuid4().hex}"
    table._tbl.append(etree.Comment(marker))  # where the rows go
    streamed.append((f"<!--{marker}-->".encode(), _rows_xml(rows, models, look)))
    return table


def _rows_xml(rows: list, models: dict, look) -> Iterator[bytes]:
    """Each row as XML: a copy of the model row of its look with its texts filled in, one at a time."""
    for index, values in enumerate(rows, start=1):
        tr = deepcopy(models[look(index)])
        for run, value in zip(tr.iter(qn("w:r")), values):
            _fill(run, "" if value is None else str(value))
        # as python-docx writes the document part; the namespace is declared at its root
        yield etree.tostring(tr, encoding="UTF-8").replace(_W_DECLARATION, b"", 1)


def _write_with_rows(package: io.BytesIO, path: Path, streamed: list) -> None:
    """The package python-docx wrote, each table's rows written into its document part where
    the table's marker is."""
    if not streamed:
        path.write_bytes(package.getvalue())
        return
    with ZipFile(package) as source, ZipFile(path, "w", ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != DOCUMENT_PART:
                target.writestr(info, source.read(info))
                continue
            xml, position = source.read(info), 0
            with target.open(info, "w") as part:
                for marker, rows in streamed:
                    at = xml.index(marker)
                    part.write(xml[position:at])
                    for row in rows:
                        part.write(row)
                    position = at + len(marker)
                part.write(xml[position:])


def _model_row(table: DocxTable, block: Table, numeric: list[bool], size, *, bold: bool, keep: bool):
    """A row of empty cells formatted as the table's rows are, taken out of the table: each row
    is a copy of it with its texts filled in (python-docx takes ~0.3 ms to make and format a
    cell, and its rows list is rebuilt on every index; copying a row's XML takes microseconds)."""
    row = _row(table)
    for column, cell in enumerate(row.cells):
        if column in block.unbroken:
            _no_wrap(cell)
        _text(cell, "", size, bold=bold, align=WD_ALIGN_PARAGRAPH.RIGHT if numeric[column] else None, keep=keep)
    table._tbl.remove(row._tr)
    return row._tr


def _fill(run, text: str) -> None:
    """An empty run's text, as python-docx's `add_run(text)` writes it (a tab or a line break in
    the text become elements of their own; leading or trailing spaces are preserved)."""
    if "\t" in text or "\n" in text or "\r" in text:
        run.text = text
    elif text:
        run.add_t(text)


def _row(table: DocxTable, *, header: bool = False):
    """A new last row that is never split across pages; a header row repeats on each page."""
    row = table.add_row()
    properties = row._tr.get_or_add_trPr()
    for name in ("w:cantSplit", "w:tblHeader") if header else ("w:cantSplit",):  # the schema's order
        marker = OxmlElement(name)
        marker.set(qn("w:val"), "true")
        properties.append(marker)
    return row


def _display(value, *, bold: bool = False) -> float:
    """Width in half-width characters: CJK characters and % count two, others 1.3 (where Times
    New Roman is missing, its stand-in DejaVu Serif draws digits wider than half an em), and
    bold a tenth more."""
    width = sum(2 if ch == "%" or unicodedata.east_asian_width(ch) in "WF" else 1.3
                for ch in str("" if value is None else value))
    return width * 1.1 if bold else width


def _widths(block: Table, kept: list[bool], size: float) -> list:
    """Column widths filling the text width: kept columns (figures, refs) and headers (wrapped
    once at most) keep their width, and the other columns share the rest, the widest giving
    way first."""
    headers = block.headers
    unit = size * 2.54 / 72 / 2  # cm per half-width character
    padding = 0.45  # cm: the cell's margins
    available = (TEXT_WIDTH - padding * len(headers)) / unit
    # a header of up to three characters stays on one line; a longer one wraps once
    least = [_display(header) if _display(header) <= 6 else -(-_display(header) // 4) * 2 for header in headers]
    natural = [max([_display(row[column]) for row in block.rows] + [least[column]]
                   + ([_display(block.total[column], bold=True)] if block.total else []))
               for column in range(len(headers))]
    fixed = sum(width for width, keep in zip(natural, kept) if keep)
    text = [column for column, keep in enumerate(kept) if not keep]
    widths = list(natural)
    if sum(natural) > available and text:
        low, high = 0.0, float(max(natural))
        for _step in range(40):  # the widest a text column may be, so that all fit
            level = (low + high) / 2
            if fixed + sum(max(least[c], min(natural[c], level)) for c in text) > available:
                high = level
            else:
                low = level
        for column in text:
            widths[column] = max(least[column], min(natural[column], low))
    scale = available / sum(widths)  # fill the line (or shrink all, if even that does not fit)
    return [Cm(round(width * scale * unit + padding, 2)) for width in widths]


def _text(cell, text: str, size, *, bold: bool = False, align=None, keep: bool = True) -> None:
    """The cell's text; `keep` holds its row on the page of the next (a short table stays whole)."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.line_spacing = 1.0
    paragraph.paragraph_format.keep_with_next = keep
    if align is not None:
        paragraph.alignment = align
    run = paragraph.add_run(text)
    run.font.size = size
    run.font.bold = bold


def _no_wrap(cell) -> None:
    """The cell's text on one line (a ref broken after its hyphen reads as two refs)."""
    marker = OxmlElement("w:noWrap")
    cell._tc.get_or_add_tcPr().append(marker)


def _shade(cell) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), HEADER_FILL)
    cell._tc.get_or_add_tcPr().append(shading)


def _chart(word, block: Chart):
    paragraph = word.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.keep_with_next = True
    paragraph.add_run().add_picture(io.BytesIO(block.png), width=CHART_WIDTH)
    return word.add_paragraph(block.caption, style="Caption")


def _signature(word, block: Signature) -> None:
    """Who issues the document and the date, at the right, some way under the last paragraph."""
    for index, line in enumerate(block.lines):
        paragraph = word.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = Pt(48)  # four characters in from the margin
        paragraph.paragraph_format.keep_with_next = index < len(block.lines) - 1
        if index == 0:
            paragraph.paragraph_format.space_before = Pt(36)


def _page_numbers(word) -> None:
    """— N — centred at the foot of every page: a PAGE field, which Word and LibreOffice fill in."""
    paragraph = word.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        if kind:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._r.append(field)
        elif text == " PAGE ":
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)
        else:
            run.text = text
    paragraph.add_run(" —")
    for run in paragraph.runs:
        run.font.size = Pt(14)  # 四号, as page numbers of Chinese official documents are


def _properties(word, document: Document) -> None:
    properties = word.core_properties
    properties.title = document.title
    properties.author = properties.last_modified_by = document.author
    properties.keywords = "; ".join(document.keywords)
    properties.language = "zh-CN" if language() == CHINESE else "en-US"
    properties.comments = document.subtitle
    properties.revision = 1
    # naive UTC, as the core properties are written; the date the figures were judged
    properties.created = properties.modified = document.created.astimezone(timezone.utc).replace(tzinfo=None)
