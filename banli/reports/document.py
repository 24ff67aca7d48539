"""A report as format-free blocks (headings, paragraphs, tables, charts) that each renderer
in banli/reports/render/ writes in its own format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Union

_FIGURE = re.compile(r"-?\d+(\.\d+)?%?|—")


@dataclass(frozen=True, kw_only=True)
class Heading:
    text: str
    level: int = 1  # 1: 一、…  2: （一）…


@dataclass(frozen=True, kw_only=True)
class Paragraph:
    text: str
    indent: bool = True  # the first line indented by two characters, as Chinese documents are


@dataclass(frozen=True, kw_only=True)
class Table:
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]  # cells: text or numbers
    total: tuple | None = None  # a bottom line, set apart
    unbroken: tuple[int, ...] = ()  # columns whose cells stay on one line (refs, figures with units)

    def numeric(self, column: int) -> bool:
        """Whether a column holds figures (counts, percents), to be aligned right."""
        values = [row[column] for row in self.rows]
        return bool(values) and all(isinstance(value, (int, float)) or _FIGURE.fullmatch(str(value))
                                    for value in values)


@dataclass(frozen=True, kw_only=True)
class Chart:
    caption: str
    name: str  # a file name stem, ASCII (category, result-class, …)
    png: bytes
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]  # (name, one value per label): the data drawn


@dataclass(frozen=True, kw_only=True)
class Signature:
    """The lines a document ends with, set to the right: who issues it, and the date."""

    lines: tuple[str, ...]


Block = Union[Heading, Paragraph, Table, Chart, Signature]


@dataclass(frozen=True, kw_only=True)
class Document:
    title: str
    title_lines: tuple[str, ...]  # the title broken where a printed page breaks it (the issuer on a line of its own)
    subtitle: str  # the line under the title (the date)
    blocks: tuple[Block, ...]
    created: datetime  # when the figures were judged: the file's date, so one report makes one file
    author: str = "banli"
    keywords: tuple[str, ...] = field(default_factory=tuple)

    def charts(self) -> list[Chart]:
        return [block for block in self.blocks if isinstance(block, Chart)]
