"""Bulk registration from a spreadsheet (SPEC §4 "import files"): read a CSV or XLSX file into
rows of text, check every row against the workflow and the database, then register all of
them in one transaction, or none (SPEC §6: bad input never half-applies).

Three steps, each callable on its own (the benchmark times them): `read_sheet` → `check` →
`register`; `import_file` runs them in order, as `banli item import` does.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import functools
import gc
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable, ContextManager, Iterable, Iterator

from banli.engine.bulk import Lookup
from banli.engine.compile import CompiledWorkflow
from banli.engine.model import REGISTERING_ROLES
from banli.engine.records import SYSTEM_ACTOR, Actor
from banli.engine.times import parse_instant
from banli.engine.values import coerce
from banli.errors import BanliError, Conflict, InvalidInput, NotPermitted

DEFAULT_WORKFLOW = "npc-suggestion"
MAX_REF = 128  # the item.ref column's width
HEADER_SEARCH = 10  # a title row or two above the header is common in county ledgers

# The fixed columns and the names county staff give them; a workflow field is also found by
# its label (类别 for category).
FIXED = {
    "ref": ("编号", "建议编号", "案号"),
    "title": ("标题", "建议标题", "案由", "题目"),
    "deputies": ("代表", "领衔代表", "提出代表", "代表姓名", "deputy"),
    "content": ("内容", "建议内容", "正文"),
    "submitted_on": ("提交日期", "提出日期", "提交时间", "提出时间"),
}
_NAME_SPLIT = re.compile(r"[、，,;；]")
_HEADER_NOTE = re.compile(r"[(（]\s*(必填|选填|可选|必选)\s*[)）]|[*＊]")
# Dates as Excel writes them into a CSV on a Chinese Windows (2026/1/10 9:30), or people type them.
_LOOSE_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                         r"(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?")

# progress(label, total) → a context giving step(n): the CLI draws a bar with it
Progress = Callable[[str, int], ContextManager[Callable[[int], None]]]
STEP = 500  # rows between progress updates
REMEMBERED = 10_000  # checked cell texts kept (a column of distinct texts must not fill memory)


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


@dataclass(frozen=True, kw_only=True)
class Sheet:
    """A file's rows as text; blank rows are left out, each row keeps its spreadsheet number."""

    file: str
    header_row: int
    header: list[str]
    rows: list[tuple[int, list[str]]]


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


@dataclass(kw_only=True)
class Plan:
    """A checked file: its rows ready to register, or its problems (the sheet is not kept: memory)."""

    file: str
    rows: int
    workflow: CompiledWorkflow
    candidates: list[Candidate] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def report(self, *, dry_run: bool, imported: int = 0, problems: list[Problem] | None = None) -> "ImportReport":
        return ImportReport(file=self.file, workflow=self.workflow.definition.id, rows=self.rows, imported=imported,
                            dry_run=dry_run, problems=tuple(self.problems if problems is None else problems))


@dataclass(frozen=True, kw_only=True)
class ImportReport:
    file: str
    workflow: str
    rows: int
    imported: int
    dry_run: bool
    problems: tuple[Problem, ...] = ()

    def summary(self) -> str:
        rows = len({problem.row for problem in self.problems})
        return f"{len(self.problems)} error(s) in {rows} row(s); nothing was imported"

    def as_json(self) -> dict:
        return {"file": self.file, "workflow": self.workflow, "rows": self.rows, "imported": self.imported,
                "dry_run": self.dry_run, "errors": [problem.as_json() for problem in self.problems]}


class ImportRefused(InvalidInput):
    """The file has problems; every one of them is in `problems`, and nothing was imported."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.problems = list(report.problems)
        super().__init__(report.summary(), file=report.file)


def _collector_paused(step: Callable) -> Callable:
    """`step` run with Python's cyclic garbage collector paused. A 100,000-row file is millions
    of objects, none of them in a cycle, and each full collection walks every one of them:
    that was a fifth of an import's time. Whatever cycles the step leaves are collected after."""

    @functools.wraps(step)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return step(*args, **kwargs)
        gc.disable()
        try:
            return step(*args, **kwargs)
        finally:
            gc.enable()

    return paused


# -- the whole import ------------------------------------------------------------------------

def import_file(runtime, path: str | Path, *, actor: str, workflow_id: str = DEFAULT_WORKFLOW,
                dry_run: bool = False, progress: Progress | None = None) -> ImportReport:
    """Check every row of the file and register them all, or raise ImportRefused listing every
    problem. With `dry_run` only the checks run."""
    who = registering_actor(runtime, actor)
    workflow = runtime.store.workflow(workflow_id)
    plan = check(runtime, workflow, read_sheet(path), progress=progress)
    if plan.problems:
        raise ImportRefused(plan.report(dry_run=dry_run))
    imported = 0 if dry_run else register(runtime, plan, who, progress=progress)
    return plan.report(dry_run=dry_run, imported=imported)


def registering_actor(runtime, user: str | None) -> Actor:
    who = runtime.actor(user)
    if who is not SYSTEM_ACTOR and not who.roles & REGISTERING_ROLES:
        raise NotPermitted(f"user '{who.id}' may not import items: that needs the role registrar, supervisor or admin")
    return who


# -- reading ---------------------------------------------------------------------------------

@_collector_paused
def read_sheet(path: str | Path) -> Sheet:
    """The rows of a CSV (UTF-8, UTF-8 with BOM, GB18030, or Excel's UTF-16 text) or of the
    first sheet of an XLSX workbook, as text."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _sheet(str(path), _xlsx_rows(path))
    if suffix == ".xls":
        raise InvalidInput(f"{path}: the old Excel format (.xls) is not read; save it as .xlsx or as CSV")
    return _sheet(str(path), _csv_rows(path))


def _sheet(file: str, rows: Iterable[list[str]]) -> Sheet:
    leading: list[tuple[int, list[str]]] = []  # non-blank rows while the header is not yet known
    header_row, header, data = 0, [], []
    for number, cells in enumerate(rows, start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if header_row:
            data.append((number, cells))
            continue
        leading.append((number, cells))
        if _has_ref(cells) or len(leading) == HEADER_SEARCH:
            header_row, header = _header_of(leading)
            data = [entry for entry in leading if entry[0] > header_row]
    if not leading:
        raise InvalidInput(f"{file} is empty: it needs a header row (ref, title, …) and one row per item")
    if not header_row:
        header_row, header = _header_of(leading)
        data = [entry for entry in leading if entry[0] > header_row]
    while header and not header[-1]:
        header.pop()
    if not data:
        raise InvalidInput(f"{file} has a header row but no rows below it: nothing to import")
    return Sheet(file=file, header_row=header_row, header=header, rows=data)


def _header_of(leading: list[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The first row naming a ref column (rows above it are titles), else the first row."""
    return next((entry for entry in leading if _has_ref(entry[1])), leading[0])


def _column_key(text: str) -> str:
    """A header as compared: notes like （必填） dropped, case, spaces, '_' and '-' ignored."""
    return re.sub(r"[\s_\-]+", "", _HEADER_NOTE.sub("", text)).casefold()


_REF_KEYS = {_column_key(name) for name in ("ref", *FIXED["ref"])}


def _has_ref(cells: list[str]) -> bool:
    return any(_column_key(cell) in _REF_KEYS for cell in cells)


def _csv_rows(path: Path) -> Iterator[list[str]]:
    """Rows streamed from the file in its encoding (a 100,000-row file is not held three times)."""
    with path.open(encoding=_encoding(path), newline="") as stream:
        first = stream.readline()
        stream.seek(0)
        delimiter = "\t" if "\t" in first and "," not in first else ","  # Excel's "Unicode text" is tab-separated
        reader = csv.reader(stream, delimiter=delimiter)
        try:
            yield from reader
        except csv.Error as exc:
            raise InvalidInput(f"{path}:{reader.line_num}: not readable as CSV ({exc})") from exc


def _encoding(path: Path) -> str:
    with path.open("rb") as stream:
        head = stream.read(3)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):  # GB18030: what Excel writes on a Chinese Windows
        if _decodes(path, encoding):
            return encoding
    raise InvalidInput(f"{path}: the text is neither UTF-8 nor GB18030; in Excel, save it as "
                       "'CSV UTF-8' or as .xlsx")


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes, read in chunks (the text is not kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as stream:
        try:
            while chunk := stream.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise InvalidInput(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    try:
        for values in workbook.worksheets[0].iter_rows(min_row=1, min_col=1, values_only=True):
            yield [value if value.__class__ is str else _cell_text(value) for value in values]  # most are text
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A cell as the text a user would have typed: dates ISO, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- checking --------------------------------------------------------------------------------

@_collector_paused
def check(runtime, workflow: CompiledWorkflow, sheet: Sheet, *, progress: Progress | None = None) -> Plan:
    """Every row checked, every problem collected in the plan's `problems` (row order)."""
    from banli.store import bulk

    plan = Plan(file=sheet.file, rows=len(sheet.rows), workflow=workflow)
    columns = _columns(sheet, workflow, plan.problems)
    ref_at = columns.get("ref")
    refs = [cells[ref_at] for _n, cells in sheet.rows if ref_at is not None and ref_at < len(cells)]
    with runtime.store.read() as tx:
        names = bulk.names(tx)
        existing = bulk.existing_refs(tx, [ref for ref in refs if ref])
    rows = _RowChecker(workflow, sheet, columns, names, existing, runtime.now())
    with (progress or _no_progress)("checking", len(sheet.rows)) as step:
        for index, (number, cells) in enumerate(sheet.rows, start=1):
            candidate = rows.check(number, cells, plan.problems)
            if candidate is not None:
                plan.candidates.append(candidate)
            if index % STEP == 0:
                step(STEP)
        step(len(sheet.rows) % STEP)
    plan.problems.sort(key=lambda problem: problem.row)
    return plan


def _columns(sheet: Sheet, workflow: CompiledWorkflow, problems: list[Problem]) -> dict[str, int]:
    """Column name (`ref`, … or a field) → its index; header problems go into `problems`."""
    definition = workflow.definition
    known: dict[str, str] = {}
    for name, spec in definition.fields.items():  # labels first: a fixed name or a field name wins
        for label in (spec.label.zh, spec.label.en):
            if label:
                known.setdefault(_column_key(label), name)
    for name, aliases in FIXED.items():
        for alias in aliases:
            known[_column_key(alias)] = name
    known.update({_column_key(name): name for name in definition.fields})
    known.update({_column_key(name): name for name in FIXED})
    columns: dict[str, int] = {}
    row = sheet.header_row
    for index, text in enumerate(sheet.header):
        if not text:
            continue
        name = known.get(_column_key(text))
        if name is None:
            problems.append(Problem(row=row, column=text, message=(
                f"unknown column (column {_letter(index)}); the columns are {_column_list(definition)}")))
        elif name in columns:
            first = sheet.header[columns[name]]
            problems.append(Problem(row=row, column=text, message=(
                f"a second column for {name} (column {_letter(index)}; '{first}' is column {_letter(columns[name])})")))
        else:
            columns[name] = index
    for name in ("ref", "title"):
        if name not in columns:
            problems.append(Problem(row=row, column="", message=f"no {name} column ({FIXED[name][0]}); it is required"))
    for name, spec in definition.fields.items():
        if spec.required and name not in columns:
            problems.append(Problem(row=row, column="", message=f"no {name} column ({spec.label.zh}); "
                                                                 f"the field is required by {definition.id}"))
    return columns


def _column_list(definition) -> str:
    fixed = [f"{name} ({aliases[0]})" for name, aliases in FIXED.items()]
    fields = [f"{name} ({spec.label.zh})" if spec.label.zh and spec.label.zh != name else name
              for name, spec in definition.fields.items()]
    return ", ".join(fixed + fields)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


class _RowChecker:
    """Checks one row at a time: against the workflow's fields, the names in the database, and
    the refs of the rows above it. A file repeats its categories, deputies and dates: a cell
    text checked once gives its value again without being checked again, unless it was wrong
    (then every row with it is named)."""

    def __init__(self, workflow: CompiledWorkflow, sheet: Sheet, columns: dict[str, int], names,
                 existing: set[str], now: datetime) -> None:
        self.workflow, self.sheet, self.columns, self.existing, self.now = workflow, sheet, columns, existing, now
        self.fields = [(name, index, workflow.definition.fields[name]) for name, index in columns.items()
                       if name not in FIXED]
        self.required = [name for name, spec in workflow.definition.fields.items()
                         if spec.required and name in columns]
        self.deputies = set(names.deputies)
        self.deputy_list = list(names.deputies)
        self.lookup = Lookup(names)
        self.unit_ids = {name: unit for unit, name in names.units.items()}  # 县住建局 → zjj
        self.width = len(sheet.header)
        self.unnamed = [index for index, text in enumerate(sheet.header) if not text]
        self.seen: dict[str, int] = {}
        self.hints: dict[str, str] = {}
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
                if value and (index >= self.width or not self.sheet.header[index]):
                    problem("", f"a value in column {_letter(index)}, which has no header: {value[:20]!r}")
        ref, title = cell("ref"), cell("title")
        if "ref" in self.columns:
            self._check_ref(ref, number, problem)
        if "title" in self.columns and not title:
            problem(self._header("title"), "the title is empty; every row needs one")
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
                    problem(self.sheet.header[index], f"{name} is empty; {self.workflow.definition.id} requires it")
                continue
            value = self.known.get((name, text))
            if value is None:
                try:
                    value = coerce(self.lookup, spec.type, spec.choices, self._prepared(spec.type, text), name)
                except InvalidInput as exc:
                    problem(self.sheet.header[index], exc.message)
                    continue
                if spec.type == "units" and len(set(value)) < len(value):  # one assignment per unit
                    twice = next(unit for unit in value if value.count(unit) > 1)
                    problem(self.sheet.header[index], f"'{name}' names unit '{twice}' twice")
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

    def _header(self, name: str) -> str:
        return self.sheet.header[self.columns[name]]

    def _check_ref(self, ref: str, number: int, problem) -> None:
        column = self._header("ref")
        if not ref:
            problem(column, "the ref is empty; every row needs one, e.g. 16-1-073")
        elif len(ref) > MAX_REF:
            problem(column, f"the ref is longer than {MAX_REF} characters")
        elif ref in self.seen:
            problem(column, f"ref {ref} is also in row {self.seen[ref]}; each ref may appear once")
        elif ref in self.existing:
            problem(column, f"item {ref} already exists; see 'banli item show {ref}'")
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
        hint = self.hints.get(name)
        if hint is None:
            close = difflib.get_close_matches(name, self.deputy_list, n=3, cutoff=0.3)
            hint = self.hints[name] = f" (did you mean {'、'.join(close)}?)" if close else ""
        return f"unknown deputy '{name}'{hint}; deputies come from the organisation file ('banli org load')"

    def _prepared(self, kind: str, text: str) -> object:
        """Cell text in the form `coerce` takes: loose dates made ISO, unit names made ids."""
        if kind == "date":
            return _iso(text)
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
            when = parse_instant(_iso(text), zone, "submitted_on")
        except InvalidInput:
            problem(column, f"{text!r} is not a date; write e.g. 2026-01-10 or 2026-01-10 09:30")
            return None
        if when > self.now:
            problem(column, f"{text} is in the future; it is the day the suggestion was submitted")
            return None
        return when


def _iso(text: str) -> str:
    """2026/1/10, 2026.1.10, 2026年1月10日 (with an optional 9:30) as ISO text; else unchanged."""
    match = _LOOSE_DATE.fullmatch(text.strip())
    if not match:
        return text
    year, month, day, hour, minute, second = match.groups()
    iso = f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    if hour is not None:
        iso += f"T{int(hour):02d}:{minute}:{second or '00'}"
    return iso


# -- registering -----------------------------------------------------------------------------

@_collector_paused
def register(runtime, plan: Plan, actor: Actor, *, progress: Progress | None = None) -> int:
    """Register every checked row in one transaction: all of them, or (on any error) none.
    The rows are those `Runtime.create_in` writes, computed and written many at a time
    (`banli.engine.bulk`)."""
    from banli.engine.bulk import ItemRefused, register_many
    from banli.engine.runtime import Retry
    from banli.store.bulk import RefTaken

    if plan.problems:
        raise ImportRefused(plan.report(dry_run=False))
    total = len(plan.candidates)
    try:
        with (progress or _no_progress)("importing", total) as step, runtime.store.write() as tx:
            register_many(tx, plan.workflow, plan.candidates, actor, runtime.now(), step)
    except ItemRefused as exc:  # e.g. a deputy removed from the organisation since the check
        raise ImportRefused(plan.report(dry_run=False, problems=[
            Problem(row=plan.candidates[exc.index].row, column="", message=exc.message)])) from exc
    except RefTaken as exc:  # another user registered one of the refs since the check
        raise _taken(runtime, plan) from exc
    except Retry:
        raise Conflict("the database changed while the file was being imported; nothing was imported: "
                       "run the import again") from None
    return total


def _taken(runtime, plan: Plan) -> BanliError:
    """The refusal naming the first row whose ref was registered by someone else meanwhile."""
    from banli.store import bulk

    with runtime.store.read() as tx:
        taken = bulk.existing_refs(tx, [item.ref for item in plan.candidates])
    item = next((item for item in plan.candidates if item.ref in taken), None)
    if item is None:  # that other registration was rolled back
        return Conflict("the database changed while the file was being imported; nothing was imported: "
                        "run the import again")
    message = f"item {item.ref} already exists; choose another ref or see 'banli item show {item.ref}'"
    return ImportRefused(plan.report(dry_run=False, problems=[Problem(row=item.row, column="", message=message)]))


@contextmanager
def _no_progress(_label: str, _total: int) -> Iterator[Callable[[int], None]]:
    yield lambda _steps: None
