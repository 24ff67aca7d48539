"""Small charts for the dashboard as inline SVG: horizontal bars, one row per label, drawn
on the server (no script, no library in the browser)."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from banli.i18n import _, ngettext

ROW, LABEL_W, BAR_W = 26, 130, 240
COLOURS = ("#3b6ea8", "#c0504d", "#4f9a57", "#d49a2a", "#7a5ba6")


def bars(title: str, counts: dict[str, int], *, colour: str = COLOURS[0]) -> Markup:
    """A bar per (label, count of items), longest first as given; an empty chart says so."""
    if not counts:
        empty = _("{title}: no data yet").format(title=title)
        return Markup(f'<p class="muted">{escape(empty)}</p>')
    top = max(counts.values()) or 1
    height = ROW * len(counts) + 30
    width = LABEL_W + BAR_W + 70
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">',
             f'<text x="0" y="16" font-size="14" font-weight="bold" fill="#13243a">{escape(title)}</text>']
    for index, (label, count) in enumerate(counts.items()):
        y = 28 + index * ROW
        length = BAR_W * count / top
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 15}" font-size="12" text-anchor="end" fill="#2b3a4f">'
                     f'{escape(str(label))}</text>')
        parts.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" fill="{colour}" rx="2"/>')
        items = ngettext("{count} item", "{count} items", count).format(count=count)
        parts.append(f'<text x="{LABEL_W + length + 6:.1f}" y="{y + 15}" font-size="12" fill="#2b3a4f">'
                     f'{escape(items)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
