"""Writing a report (banli/reports/document.py) to a file, in the format its name asks for:
.md (charts as PNG files in a folder beside it), .docx or .html (charts inside)."""

from __future__ import annotations

import shutil
from pathlib import Path

from banli.errors import InvalidInput
from banli.files import replacing
from banli.i18n import _
from banli.reports.document import Document

FORMATS = (".md", ".docx", ".html")


def report_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(_("{path}: the report is written as .md, .docx or .html; name the file e.g. 办理情况报告.docx")
                           .format(path=path))
    return suffix


def chart_folder(path: Path) -> Path:
    """Where a Markdown report's charts go: `报告.md` → `报告_charts/`."""
    return path.with_name(f"{path.stem}_charts")


def write(document: Document, path: Path) -> None:
    """Write `document` to `path`; a failed write leaves no half a file."""
    suffix = report_format(path)
    with replacing(path) as temporary:
        if suffix == ".docx":
            from banli.reports.render.docx import write_docx

            write_docx(document, temporary)
        elif suffix == ".html":
            from banli.reports.render.html import html

            temporary.write_text(html(document), encoding="utf-8")
        else:
            from banli.reports.render.markdown import markdown

            folder = chart_folder(path)
            images = {chart.name: f"{folder.name}/{chart.name}.png" for chart in document.charts()}
            temporary.write_text(markdown(document, images), encoding="utf-8")
            _write_charts(document, folder)


def _write_charts(document: Document, folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    if document.charts():
        folder.mkdir(parents=True)
        for chart in document.charts():
            (folder / f"{chart.name}.png").write_bytes(chart.png)


