"""The report's charts as PNG images, drawn by matplotlib (Agg, no pyplot state) in the CJK
font shipped in banli/reports/fonts (a subset of Noto Sans CJK SC), so that their Chinese
reads the same on any machine, whatever fonts it has."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from banli.i18n import _, ngettext

FONT_FILE = Path(__file__).with_name("fonts") / "NotoSansSC-banli.otf"
FONT_FAMILY = "Banli Noto Sans SC"
# after the shipped font: a system CJK font for a rare character it lacks, then matplotlib's own
FALLBACK = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "DejaVu Sans")
COLOURS = ("#2f5597", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6", "#bf9000")
MUTED = ("#a6a6a6", "#d9d9d9")  # shares that are none of the others (items not yet classified, …)
ON_TIME, LATE, OPEN_LATE = "#548235", "#c55a11", "#c00000"
DPI = 200


@cache
def font_families() -> tuple[str, ...]:
    """Register the shipped font with matplotlib (once); it and the fallbacks this machine has,
    in order (naming a missing family makes matplotlib log a warning for every text drawn)."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_FILE))
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return (FONT_FAMILY, *(name for name in FALLBACK if name in installed))


def _style() -> dict:
    return {"font.family": list(font_families()), "axes.unicode_minus": False, "font.size": 10,
            "axes.spines.top": False, "axes.spines.right": False}


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _counted(value: int, unit: str | None) -> str:
    """A count as a chart labels it: 12件 (12 items), or with the caller's `unit`."""
    if unit is not None:
        return f"{value}{unit}"
    return ngettext("{count} item", "{count} items", value).format(count=value)


def _axis(unit: str | None) -> str:
    return unit if unit is not None else _("number of items")


def bar_chart(title: str, labels: list[str], values: list[int], *, unit: str | None = None) -> bytes:
    """Vertical bars, each with its count above it (in items, or in the caller's `unit`)."""
    import matplotlib

    with matplotlib.rc_context(_style()):
        figure = _figure(6.4, 3.4)
        axes = figure.add_subplot()
        bars = axes.bar(labels, values, color=[COLOURS[i % len(COLOURS)] for i in range(len(labels))], width=0.6)
        axes.bar_label(bars, labels=[_counted(value, unit) for value in values], padding=2)
        axes.set_title(title)
        axes.set_ylabel(_axis(unit))
        axes.set_ylim(0, max([*values, 1]) * 1.18)
        axes.yaxis.get_major_locator().set_params(integer=True)
        return _png(figure)


def share_chart(title: str, labels: list[str], values: list[int], shares: list[str], *, muted: tuple[str, ...] = (),
                unit: str | None = None) -> bytes:
    """A ring of shares, each labelled with its count and its percent as the caller prints it
    (`shares`), so that the ring, the text and the tables say the same figure; the `title`
    names the base the percents are of. Labels in `muted` are drawn in greys."""
    import matplotlib

    shown = [(label, value, share) for label, value, share in zip(labels, values, shares) if value]
    colours, greys = [], iter(MUTED * len(shown))
    for index, (label, _value, _share) in enumerate(shown):
        colours.append(next(greys) if label in muted else COLOURS[index % len(COLOURS)])
    with matplotlib.rc_context(_style()):
        figure = _figure(6.4, 3.4)
        axes = figure.add_subplot()
        if shown:
            wedges, _texts = axes.pie([value for _label, value, _share in shown], colors=colours, startangle=90,
                                      counterclock=False, wedgeprops={"width": 0.42, "edgecolor": "white"})
            # a legend beside the ring: the labels of thin neighbouring shares would overlap at its edge
            legend = [_("{label}  {count} ({share})").format(label=label, count=_counted(value, unit), share=share)
                      for label, value, share in shown]
            axes.legend(wedges, legend,
                        loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
        axes.set_title(title)
        axes.set_aspect("equal")
        return _png(figure)


def timeliness_chart(title: str, units: list[str], on_time: list[int], late: list[int], open_late: list[int],
                     names: tuple[str, str, str]) -> bytes:
    """One horizontal bar per unit, stacked: replied on time, replied late, open past the deadline."""
    import matplotlib

    with matplotlib.rc_context(_style()):
        figure = _figure(6.4, max(2.4, 0.6 + 0.32 * len(units)))
        axes = figure.add_subplot()
        rows = list(range(len(units)))[::-1]  # the first unit on top
        left = [0] * len(units)
        for values, colour, name in zip((on_time, late, open_late), (ON_TIME, LATE, OPEN_LATE), names):
            axes.barh(rows, values, left=left, color=colour, label=name, height=0.62)
            left = [a + b for a, b in zip(left, values)]
        axes.set_yticks(rows, units)
        axes.set_xlabel(_axis(None))
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.set_title(title)
        axes.set_xlim(0, max([*left, 1]) * 1.05)
        axes.legend(loc="lower right", frameon=False, fontsize=8)  # units come most items first: room at the foot
        return _png(figure)
