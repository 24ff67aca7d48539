"""Rendering for the terminal: one JSON document for `--json`, aligned tables for people."""

from __future__ import annotations

import json
import unicodedata

import click


def emit_json(value: object) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def table(headers: list[str], rows: list[list[object]]) -> None:
    """Print rows under headers, columns aligned (CJK characters count double)."""
    cells = [[("" if value is None else str(value)) for value in row] for row in rows]
    widths = [max([_width(h)] + [_width(row[i]) for row in cells]) for i, h in enumerate(headers)]
    click.echo("  ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo("  ".join(_pad(value, w) for value, w in zip(row, widths)).rstrip())


def json_option(function):
    """The `--json` flag every listing and every changing command takes."""
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")(function)


def deadline_text(iso: str | None) -> str:
    """A deadline for people: one at 24:00 is shown as its own last day ("2026-05-01 24:00")."""
    if not iso:
        return ""
    from datetime import datetime, timedelta

    instant = datetime.fromisoformat(iso)
    if (instant.hour, instant.minute, instant.second) == (0, 0, 0):
        return (instant - timedelta(days=1)).strftime("%Y-%m-%d") + " 24:00"
    return instant.strftime("%Y-%m-%d %H:%M")
