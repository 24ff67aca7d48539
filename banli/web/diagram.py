"""A workflow's diagram as SVG, drawn on the server in a simple layered layout: states in
rows by their longest path from the initial state (top to bottom, so a phone shows it
well), transitions as arrows labelled with their events; edges back up curve on the right."""

from __future__ import annotations

from collections import defaultdict
from html import escape

from banli.engine.model import Definition
from banli.i18n import _

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 150, 38, 40, 74, 20


def edges(definition: Definition) -> dict[tuple[str, str], list[str]]:
    """(source, target) → the labels of the events that make that move."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for event in definition.events.values():
        for source in event.sources:
            for branch in event.branches:
                label = str(event.label)
                if label not in found[(source, branch.to)]:
                    found[(source, branch.to)].append(label)
    return found


def ranks(definition: Definition, moves) -> dict[str, int]:
    """Each state's row: its longest path from the initial state once the edges that lead
    back (to a state on the way there) are set aside; unreachable states go last."""
    out: dict[str, list[str]] = defaultdict(list)
    for source, target in moves:
        if source != target:
            out[source].append(target)
    back, seen, stack = set(), set(), []

    def visit(state: str) -> None:
        seen.add(state)
        stack.append(state)
        for target in out[state]:
            if target in stack:
                back.add((state, target))
            elif target not in seen:
                visit(target)
        stack.pop()

    visit(definition.initial)
    rank = {definition.initial: 0}
    changed = True
    while changed:  # longest path over the acyclic rest: a few passes for a few dozen states
        changed = False
        for (source, target) in moves:
            if source == target or (source, target) in back or source not in rank:
                continue
            if rank.get(target, -1) < rank[source] + 1:
                rank[target] = rank[source] + 1
                changed = True
    last = max(rank.values(), default=0)
    for name in definition.states:
        rank.setdefault(name, last + 1)
    return rank


def _ordered_rows(definition: Definition, moves, rank: dict[str, int]) -> dict[int, list[str]]:
    """The states of each row, each row ordered by where their predecessors stand (the mean
    position of the states leading to them): fewer crossing arrows, in one pass down."""
    rows: dict[int, list[str]] = defaultdict(list)
    for name in definition.states:
        rows[rank[name]].append(name)
    position: dict[str, float] = {}  # across a row, centred on 0
    for row in sorted(rows):
        names = rows[row]
        centred = {name: index - (len(names) - 1) / 2 for index, name in enumerate(names)}
        weights = {}
        for name in names:
            above = [position[source] for source, target in moves if target == name and source in position]
            weights[name] = sum(above) / len(above) if above else centred[name]
        rows[row] = sorted(names, key=lambda name: (weights[name], centred[name]))
        position.update({name: index - (len(names) - 1) / 2 for index, name in enumerate(rows[row])})
    return rows


def svg(definition: Definition) -> str:
    moves = edges(definition)
    rank = ranks(definition, moves)
    rows = _ordered_rows(definition, moves, rank)
    widest = max(len(names) for names in rows.values())
    width = MARGIN * 2 + widest * BOX_W + (widest - 1) * GAP_X + 120  # room on the right for edges going back
    height = MARGIN * 2 + (max(rows) + 1) * (BOX_H + GAP_Y) - GAP_Y
    centre: dict[str, tuple[float, float]] = {}
    for row, names in rows.items():
        span = len(names) * BOX_W + (len(names) - 1) * GAP_X
        left = MARGIN + (widest * BOX_W + (widest - 1) * GAP_X - span) / 2
        for index, name in enumerate(names):
            centre[name] = (left + index * (BOX_W + GAP_X) + BOX_W / 2, MARGIN + row * (BOX_H + GAP_Y) + BOX_H / 2)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'width="{width:.0f}" height="{height:.0f}" font-family="sans-serif" role="img" '
             f'aria-label="{escape(str(definition.title))}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#55657a"/></marker></defs>']
    back_lane = 0
    for (source, target), labels in moves.items():
        (x1, y1), (x2, y2) = centre[source], centre[target]
        text = escape(_(", ").join(labels))
        if source == target:
            continue
        if rank[target] > rank[source]:
            start, end = (x1, y1 + BOX_H / 2), (x2, y2 - BOX_H / 2)
            path = f"M{start[0]:.0f},{start[1]:.0f} L{end[0]:.0f},{end[1]:.0f}"
            lx, ly = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        else:  # back up (or across): a curve out to the right
            back_lane += 1
            bend = max(x1, x2) + BOX_W / 2 + 20 + 14 * (back_lane % 6)
            path = (f"M{x1 + BOX_W / 2:.0f},{y1:.0f} C{bend:.0f},{y1:.0f} {bend:.0f},{y2:.0f} "
                    f"{x2 + BOX_W / 2:.0f},{y2:.0f}")
            lx, ly = bend - 4, (y1 + y2) / 2
        parts.append(f'<path d="{path}" fill="none" stroke="#8494a8" stroke-width="1.2" marker-end="url(#arrow)"/>')
        parts.append(f'<text x="{lx:.0f}" y="{ly:.0f}" font-size="10" fill="#2b3a4f" text-anchor="middle" '
                     f'paint-order="stroke" stroke="#fff" stroke-width="3">{text}</text>')
    for name, state in definition.states.items():
        x, y = centre[name]
        fill = "#e6f0fb" if state.initial else "#eef7ee" if state.final else "#ffffff"
        border = 'stroke-width="2.5"' if state.final else 'stroke-width="1.2"'
        parts.append(f'<rect x="{x - BOX_W / 2:.0f}" y="{y - BOX_H / 2:.0f}" width="{BOX_W}" height="{BOX_H}" rx="10" '
                     f'fill="{fill}" stroke="#33577f" {border}/>')
        parts.append(f'<text x="{x:.0f}" y="{y + 5:.0f}" font-size="14" text-anchor="middle" fill="#13243a">'
                     f'{escape(str(state.label))}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
