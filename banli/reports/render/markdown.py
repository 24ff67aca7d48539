"""A report as Markdown: headings, pipe tables, and each chart as a link to its PNG (when
written to a file) above its data drawn as text bars, so the terminal shows it too."""

from __future__ import annotations

import unicodedata

from banli.i18n import CHINESE, language
from banli.reports.document import Chart, Document, Heading, Paragraph, Signature, Table

BAR = "█"
BAR_WIDTH = 30


def markdown(document: Document, images: dict[str, str] | None = None) -> str:
    """The document; `images` maps a chart's name to the path its PNG is linked at."""
    lines = [f"# {document.title}", "", document.subtitle, ""]
    indent = "　　" if language() == CHINESE else ""  # two full-width spaces begin a Chinese paragraph
    for block in document.blocks:
        if isinstance(block, Heading):
            lines += ["#" * (block.level + 1) + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            lines += [(indent if block.indent else "") + block.text, ""]
        elif isinstance(block, Table):
            lines += table(block) + [""]
        elif isinstance(block, Chart):
            lines += chart(block, (images or {}).get(block.name)) + [""]
        elif isinstance(block, Signature):
            lines += [line + "  " for line in block.lines[:-1]] + [*block.lines[-1:], ""]  # one line each
    return "\n".join(lines).rstrip() + "\n"


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ") if value is not None else ""


def table(block: Table) -> list[str]:
    numeric = [block.numeric(column) for column in range(len(block.headers))]
    lines = [f"**{block.caption}**", "", "| " + " | ".join(block.headers) + " |",
             "|" + "|".join("---:" if right else "---" for right in numeric) + "|"]
    rows = list(block.rows) + ([block.total] if block.total else [])
    for index, row in enumerate(rows):
        cells = [_cell(value) for value in row]
        if block.total and index == len(rows) - 1:
            cells = [f"**{cell}**" if cell else cell for cell in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def chart(block: Chart, image: str | None) -> list[str]:
    lines = [f"**{block.caption}**", ""]
    if image:
        lines += [f"![{block.caption}]({image})", ""]
    label_width = max((width(label) for label in block.labels), default=0)
    if len(block.series) == 1:
        values = block.series[0][1]
        top = max(values, default=0) or 1
        bars = [f"{label}{' ' * (label_width - width(label))}  {BAR * round(value * BAR_WIDTH / top)} {value:g}"
                for label, value in zip(block.labels, values)]
    else:
        names = [name for name, _values in block.series]
        bars = [f"{' ' * label_width}  " + "  ".join(names)]
        for index, label in enumerate(block.labels):
            cells = [f"{values[index]:>{width(name)}g}" for name, values in block.series]
            bars.append(f"{label}{' ' * (label_width - width(label))}  " + "  ".join(cells))
    return lines + ["```text", *bars, "```"]
