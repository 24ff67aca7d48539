"""A report as one self-contained HTML page: the charts inside as data URIs, the style inline,
printable on A4 (page numbers at the foot, table rows kept whole, header rows repeated)."""

from __future__ import annotations

import base64
from html import escape

from banli.i18n import CHINESE, language
from banli.reports.document import Chart, Document, Heading, Paragraph, Signature, Table

STYLE = """
@page { size: A4; margin: 2.5cm 2.2cm; @bottom-center { content: "— " counter(page) " —"; } }
body { font-family: "SimSun", "宋体", "Songti SC", "Noto Serif CJK SC", "Source Han Serif SC", serif;
       font-size: 12pt; line-height: 1.8; max-width: 46em; margin: 2em auto; color: #000; }
h1 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 20pt; text-align: center;
     font-weight: normal; margin-bottom: 0.2em; }
.subtitle { text-align: center; margin-top: 0; }
h2 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 14pt; font-weight: normal; }
h3 { font-family: "KaiTi", "楷体", "STKaiti", serif; font-size: 12pt; }
p.indent { text-indent: 2em; }
table { border-collapse: collapse; margin: 0.6em auto 1.2em; font-size: 10.5pt; width: 100%; }
caption { font-weight: bold; margin-bottom: 0.3em; }
th, td { border: 1px solid #444; padding: 0.15em 0.5em; }
th { background: #e8edf5; }
td.number { text-align: right; }
tr.total td { font-weight: bold; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
td.unbroken { white-space: nowrap; }
div.signature { text-align: right; margin: 3em 4em 0 0; break-inside: avoid; break-before: avoid; }
div.signature p { margin: 0; }
figure { text-align: center; margin: 1em 0; }
figure img { max-width: 100%; }
figcaption { font-size: 10.5pt; }
"""


def html(document: Document) -> str:
    parts = [
        "<!DOCTYPE html>", f'<html lang="{"zh-CN" if language() == CHINESE else "en"}">', "<head>", '<meta charset="utf-8">',
        f"<title>{escape(document.title)}</title>",
        f'<meta name="author" content="{escape(document.author)}">',
        f'<meta name="date" content="{document.created.isoformat(timespec="seconds")}">',
        f"<style>{STYLE}</style>", "</head>", "<body>",
        "<h1>" + "<br>".join(escape(line) for line in document.title_lines or (document.title,)) + "</h1>",
        f'<p class="subtitle">{escape(document.subtitle)}</p>',
    ]
    for block in document.blocks:
        if isinstance(block, Heading):
            level = block.level + 1
            parts.append(f"<h{level}>{escape(block.text)}</h{level}>")
        elif isinstance(block, Paragraph):
            parts.append(f'<p class="indent">{escape(block.text)}</p>' if block.indent else f"<p>{escape(block.text)}</p>")
        elif isinstance(block, Table):
            parts.append(table(block))
        elif isinstance(block, Chart):
            data = base64.b64encode(block.png).decode("ascii")
            parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{escape(block.caption)}">'
                         f"<figcaption>{escape(block.caption)}</figcaption></figure>")
        elif isinstance(block, Signature):
            parts.append('<div class="signature">' + "".join(f"<p>{escape(line)}</p>" for line in block.lines) + "</div>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _cell(value, kind: str) -> str:
    text = escape("" if value is None else str(value))
    return f'<td class="{kind}">{text}</td>' if kind else f"<td>{text}</td>"


def table(block: Table) -> str:
    kinds = ["number" if block.numeric(column) else "unbroken" if column in block.unbroken else ""
             for column in range(len(block.headers))]
    head = "<thead><tr>" + "".join(f"<th>{escape(header)}</th>" for header in block.headers) + "</tr></thead>"
    rows = ["<tr>" + "".join(_cell(value, kind) for value, kind in zip(row, kinds)) + "</tr>" for row in block.rows]
    if block.total:
        rows.append('<tr class="total">' + "".join(_cell(value, kind) for value, kind in zip(block.total, kinds))
                    + "</tr>")
    return (f"<table>\n<caption>{escape(block.caption)}</caption>\n{head}\n<tbody>\n" + "\n".join(rows)
            + "\n</tbody>\n</table>")
