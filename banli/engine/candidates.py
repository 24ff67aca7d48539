"""The rows of an import file checked one at a time: each becomes a `Candidate` ready to
register, or `Problem`s naming its spreadsheet row and column (`banli.engine.importer` runs it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Collection

from banli.engine import limits
from banli.engine.bulk import Lookup
from banli.engine.compile import CompiledWorkflow
from banli.engine.naming import iso_text
from banli.engine.outcomes import given_at_registration
from banli.engine.refusals import close_names, unknown_deputy
from banli.engine.times import parse_instant
from banli.engine.values import coerce
from banli.errors import InvalidInput
from banli.i18n import _

REMEMBERED = 10_000  # checked cell texts kept (a column of distinct texts must not fill memory)
_NAME_SPLIT = re.compile(r"[、，,;；]")


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One thing wrong in an import file: its spreadsheet row (the header counts), its column."""

    row: int
    column: str
    message: str

    def render(self, file: str) -> str:
        return f"{file}:{self.row}: " + (f"{self.column}: " if self.column else "") + self.message

    def as_json(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True, kw_only=True, slots=True)
class Candidate:
    """One checked row, ready to be registered."""

    row: int
    ref: str
    title: str
    deputies: list[str]
    fields: dict
    content: str
    at: datetime | None


def column_letter(index: int) -> str:
    """A column as Excel names it: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


class RowChecker:
    """Checks one row at a time: against the workflow's fields, the names in the database, and
    the refs of the rows above it. A file repeats its categories, deputies and dates: a cell
    text checked once gives its value again without being checked again, unless it was wrong
    (then every row with it is named)."""

    def __init__(self, workflow: CompiledWorkflow, header: list[str], columns: dict[str, int],
                 fixed: Collection[str], names, existing: set[str], now: datetime) -> None:
        """`columns`: column name → index, of the fixed columns (`fixed`, e.g. ref) and fields."""
        self.workflow, self.header, self.columns, self.existing, self.now = workflow, header, columns, existing, now
        self.fields = [(name, index, workflow.definition.fields[name]) for name, index in columns.items()
                       if name not in fixed]
        self.required = [name for name, spec in workflow.definition.fields.items()
                         if spec.required and name in columns]
        self.outcomes = {name: given_at_registration(workflow.definition, name) for name in columns
                         if name not in fixed and workflow.definition.fields[name].outcome}
        self.deputies = set(names.deputies)
        self.deputy_list = list(names.deputies)
        self.lookup = Lookup(names)
        self.unit_ids = {name: unit for unit, name in names.units.items()}  # 县住建局 → zjj
        self.width = len(header)
        self.unnamed = [index for index, text in enumerate(header) if not text]
        # columns of text that may run over several lines: the content and the text fields
        self.multiline = {index for name, index in columns.items()
                          if name == "content" or (name in workflow.definition.fields
                                                   and workflow.definition.fields[name].type == "text")}
        self.one_line = [index for index in range(self.width) if index not in self.multiline]
        self.seen: dict[str, int] = {}
        self.hints: dict[str, list[str]] = {}  # an unknown deputy's name → the names it may mean
        self.known: dict[tuple[str, str], object] = {}  # (column name, cell text) → its checked value

    def check(self, number: int, cells: list[str], problems: list[Problem]) -> Candidate | None:
        before = len(problems)

        def problem(column: str, message: str) -> None:
            problems.append(Problem(row=number, column=column, message=message))

        def cell(name: str) -> str:
            index = self.columns.get(name)
            return cells[index] if index is not None and index < len(cells) else ""

        if any(cells[self.width:]) or any(cells[index] for index in self.unnamed if index < len(cells)):
            for index, value in enumerate(cells):
                if value and (index >= self.width or not self.header[index]):
                    problem("", _("a value in column {column}, which has no header: {value}").format(
                        column=column_letter(index), value=repr(value[:20])))
        if self._has_controls(cells) and self._controls(cells, problem):
            return None  # the row's other checks would only repeat what is wrong with those cells
        ref, title = cell("ref"), cell("title")
        if "ref" in self.columns:
            self._check_ref(ref, number, problem)
        if "title" in self.columns and not title:
            problem(self._header("title"), _("the title is empty; every row needs one"))
        text = cell("deputies")
        deputies = self.known.get(("deputies", text))
        if deputies is None:
            mark = len(problems)
            deputies = self._deputies(text, problem)
            if len(problems) == mark:
                self._keep("deputies", text, deputies)
        else:
            deputies = list(deputies)
        fields = {}
        for name, index, spec in self.fields:
            text = cells[index] if index < len(cells) else ""
            if not text:
                if name in self.required:
                    problem(self.header[index], _("{field} is empty; {workflow} requires it").format(
                        field=name, workflow=self.workflow.definition.id))
                continue
            if name in self.outcomes:  # only the events that record it may set it
                problem(self.header[index], self.outcomes[name])
                continue
            value = self.known.get((name, text))
            if value is None:
                try:
                    value = coerce(self.lookup, spec.type, spec.choices, self._prepared(spec.type, text), name)
                except InvalidInput as exc:
                    problem(self.header[index], exc.message)
                    continue
                if spec.type == "units" and len(set(value)) < len(value):  # one assignment per unit
                    twice = next(unit for unit in value if value.count(unit) > 1)
                    problem(self.header[index], _("'{field}' names unit '{unit}' twice").format(field=name, unit=twice))
                    continue
                width = limits.value_problem(name, value)
                if width:
                    problem(self.header[index], f"{name} {width}")
                    continue
                self._keep(name, text, value)
            fields[name] = list(value) if isinstance(value, tuple) else value  # a list kept as a tuple
        text = cell("submitted_on")
        at = self.known.get(("submitted_on", text)) if text else None
        if text and at is None:
            at = self._submitted_on(text, problem)
            if at is not None:
                self._keep("submitted_on", text, at)
        if len(problems) > before:
            return None
        return Candidate(row=number, ref=ref, title=title, deputies=deputies, fields=fields,
                         content=cell("content"), at=at)

    def _keep(self, column: str, text: str, value) -> None:
        """`value`, checked from `text` without a problem, for the column's next cell with that text."""
        if len(self.known) < REMEMBERED:
            self.known[(column, text)] = tuple(value) if isinstance(value, list) else value

    def _has_controls(self, cells: list[str]) -> bool:
        """Whether a control character is where it is not allowed: a row with a line break in
        its content is common, and is told apart from a bad one without a look at each cell."""
        row = "".join(cells)
        if row.isprintable():
            return False
        width = len(cells)
        return bool(limits.control_character(row, multiline=True)
                    or limits.control_character("".join([cells[index] for index in self.one_line if index < width])))

    def _controls(self, cells: list[str], problem) -> bool:
        """A problem for each cell with a control character (tabs and line breaks are allowed in
        multi-line columns); whether there was one."""
        found = False
        for index, text in enumerate(cells[:self.width]):
            if not text or not self.header[index]:
                continue
            reason = limits.text_problem(text, multiline=index in self.multiline)
            if reason:
                problem(self.header[index], f"'{limits.shown(text, 20)}' {reason}")
                found = True
        return found

    def _header(self, name: str) -> str:
        return self.header[self.columns[name]]

    def _check_ref(self, ref: str, number: int, problem) -> None:
        column = self._header("ref")
        if not ref:
            problem(column, _("the ref is empty; every row needs one, e.g. 16-1-073"))
        elif reason := limits.ref_problem(ref):
            problem(column, reason)
        elif ref in self.seen:
            problem(column, _("ref {ref} is also in row {row}; each ref may appear once").format(ref=ref, row=self.seen[ref]))
        elif ref in self.existing:
            problem(column, _("item {ref} already exists; see 'banli item show {ref}'").format(ref=ref))
        if ref:
            self.seen.setdefault(ref, number)

    def _deputies(self, text: str, problem) -> list[str]:
        names = []
        for part in _NAME_SPLIT.split(text):
            name = part.strip()
            if not name:
                continue
            if name not in self.deputies and "".join(name.split()) in self.deputies:
                name = "".join(name.split())  # 王　五, padded to line up in a table, is 王五
            if name not in self.deputies:
                problem(self._header("deputies"), self._unknown_deputy(name))
            elif name not in names:
                names.append(name)
        return names

    def _unknown_deputy(self, name: str) -> str:
        close = self.hints.get(name)
        if close is None:
            close = self.hints[name] = close_names(name, self.deputy_list)
        return unknown_deputy(name, close)

    def _prepared(self, kind: str, text: str) -> object:
        """Cell text in the form `coerce` takes: loose dates made ISO, unit names made ids."""
        if kind == "date":
            return iso_text(text)
        if kind == "unit":
            return self.unit_ids.get(text, text)
        if kind == "units":
            return [self.unit_ids.get(part.strip(), part.strip()) for part in _NAME_SPLIT.split(text) if part.strip()]
        return text

    def _submitted_on(self, text: str, problem) -> datetime | None:
        if not text:
            return None
        column, zone = self._header("submitted_on"), self.workflow.zone
        try:
            when = parse_instant(text, zone, "submitted_on")
        except InvalidInput as exc:
            out_of_range = exc.facts.get("out_of_range")
            problem(column, f"{text} {out_of_range}" if out_of_range else
                    _("{text} is not a date; write e.g. 2026-01-10 or 2026-01-10 09:30").format(text=repr(text)))
            return None
        if when > self.now:
            problem(column, _("{text} is in the future; it is the day the suggestion was submitted").format(text=text))
            return None
        return when
