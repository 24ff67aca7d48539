"""Bulk registration from a spreadsheet (SPEC §4 "import files"): check every row of a sheet
read by `banli.sheets` against the workflow and the database, then register all of them in one
transaction, or none (SPEC §6: bad input never half-applies). The engine reads no file.

Three steps, each callable on its own (the benchmark times them): `banli.sheets.reading.read_sheet`
(given by the front-end) → `check` → `register`; `import_sheet` runs them, as `banli item import` does.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, ContextManager, Iterator, Mapping, Protocol

from banli.engine import links
from banli.engine.candidates import Candidate, Problem, RowChecker, column_letter
from banli.engine.compile import CompiledWorkflow
from banli.engine.model import REGISTERING_ROLES
from banli.engine.records import SYSTEM_ACTOR, Actor
from banli.errors import BanliError, Conflict, InvalidInput, NotPermitted, RefTaken, Retry
from banli.files import collector_paused
from banli.i18n import _

DEFAULT_WORKFLOW = "npc-suggestion"

# progress(label, total) → a context giving step(n): the CLI draws a bar with it
Progress = Callable[[str, int], ContextManager[Callable[[int], None]]]
STEP = 500  # rows between progress updates


class Vocabulary(Protocol):
    """The column names of import files (`banli.sheets.columns.VOCABULARY`): the engine knows
    its own columns (ref, title, deputies, content, submitted_on) by key only; a workflow's
    fields are found by their names and labels."""

    @property
    def imported(self) -> Mapping[str, tuple[str, ...]]:
        """Column key → the names a file may give it, its header first."""

    def normal(self, text: str) -> str:
        """A header as compared with a name (notes, case and spaces ignored)."""


class Table(Protocol):
    """A spreadsheet as `check` takes it (`banli.sheets.reading.Sheet`): its header row, the
    rows below as text with their spreadsheet numbers, and the vocabulary naming its columns."""

    @property
    def file(self) -> str: ...

    @property
    def header_row(self) -> int: ...

    @property
    def header(self) -> list[str]: ...

    @property
    def rows(self) -> list[tuple[int, list[str]]]: ...

    @property
    def vocabulary(self) -> Vocabulary: ...


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
        return _("{errors} error(s) in {rows} row(s); nothing was imported").format(errors=len(self.problems), rows=rows)

    def as_json(self) -> dict:
        return {"file": self.file, "workflow": self.workflow, "rows": self.rows, "imported": self.imported,
                "dry_run": self.dry_run, "errors": [problem.as_json() for problem in self.problems]}


class ImportRefused(InvalidInput):
    """The file has problems; every one of them is in `problems`, and nothing was imported."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.problems = list(report.problems)
        super().__init__(report.summary(), file=report.file)


# -- the whole import ------------------------------------------------------------------------

def import_sheet(runtime, read: Callable[[], Table], *, actor: str, workflow_id: str = DEFAULT_WORKFLOW,
                 dry_run: bool = False, progress: Progress | None = None) -> ImportReport:
    """Check every row of the sheet `read()` gives (`lambda: read_sheet(path)`) and register them
    all, or raise ImportRefused listing every problem. With `dry_run` only the checks run.

    The sheet is read once the user may import and the workflow exists (a refused import reads
    no large file), and it is not held while the rows are registered (memory)."""
    who = registering_actor(runtime, actor)
    workflow = runtime.store.workflows.get(workflow_id)
    plan = check(runtime, workflow, read(), progress=progress)
    if plan.problems:
        raise ImportRefused(plan.report(dry_run=dry_run))
    imported = 0 if dry_run else register(runtime, plan, who, progress=progress)
    return plan.report(dry_run=dry_run, imported=imported)


def registering_actor(runtime, user: str | None) -> Actor:
    who = runtime.actor(user)
    if who is not SYSTEM_ACTOR and not who.roles & REGISTERING_ROLES:
        raise NotPermitted(_("user '{user}' may not import items: that needs the role registrar, supervisor "
                             "or admin").format(user=who.id))
    return who


# -- checking --------------------------------------------------------------------------------

@collector_paused
def check(runtime, workflow: CompiledWorkflow, sheet: Table, *, progress: Progress | None = None) -> Plan:
    """Every row checked, every problem collected in the plan's `problems` (row order)."""
    plan = Plan(file=sheet.file, rows=len(sheet.rows), workflow=workflow)
    columns = _columns(sheet, workflow, plan.problems)
    ref_at = columns.get("ref")
    refs = [cells[ref_at] for _n, cells in sheet.rows if ref_at is not None and ref_at < len(cells)]
    linked = _linked_refs(sheet, workflow, columns)  # of `items` fields (往届相同建议): earlier items
    with runtime.store.read() as tx:
        names = tx.org_names()
        existing = set(tx.item_ids([ref for ref in refs if ref]))
        known = set(tx.item_ids(linked)) if linked else set()
    rows = RowChecker(workflow, sheet.header, columns, sheet.vocabulary.imported, names, existing, runtime.now())
    rows.lookup.items = frozenset(known)
    with (progress or _no_progress)(_("checking"), len(sheet.rows)) as step:
        for index, (number, cells) in enumerate(sheet.rows, start=1):
            candidate = rows.check(number, cells, plan.problems)
            if candidate is not None:
                plan.candidates.append(candidate)
            if index % STEP == 0:
                step(STEP)
        step(len(sheet.rows) % STEP)
    plan.problems.sort(key=lambda problem: problem.row)
    return plan


def _linked_refs(sheet: Table, workflow: CompiledWorkflow, columns: dict[str, int]) -> list[str]:
    """The refs the file's `items` columns name (each checked to exist, banli.engine.links)."""
    at = [index for name, index in columns.items()
          if name in workflow.definition.fields and workflow.definition.fields[name].type == "items"]
    return sorted({ref for _n, cells in sheet.rows for index in at if index < len(cells)
                   for ref in links.split(cells[index])})


def _columns(sheet: Table, workflow: CompiledWorkflow, problems: list[Problem]) -> dict[str, int]:
    """Column name (`ref`, … or a field) → its index; header problems go into `problems`."""
    definition, fixed, normal = workflow.definition, sheet.vocabulary.imported, sheet.vocabulary.normal
    known: dict[str, str] = {}
    for name, spec in definition.fields.items():  # labels first: a fixed name or a field name wins
        for label in (spec.label.zh, spec.label.en):
            if label:
                known.setdefault(normal(label), name)
    for name, aliases in fixed.items():
        for alias in aliases:
            known[normal(alias)] = name
    known.update({normal(name): name for name in definition.fields})
    known.update({normal(name): name for name in fixed})
    columns: dict[str, int] = {}
    row = sheet.header_row
    for index, text in enumerate(sheet.header):
        if not text:
            continue
        name = known.get(normal(text))
        if name is None:
            problems.append(Problem(row=row, column=text, message=_(
                "unknown column (column {letter}); the columns are {columns}").format(
                letter=column_letter(index), columns=_column_list(definition, fixed))))
        elif name in columns:
            first = sheet.header[columns[name]]
            problems.append(Problem(row=row, column=text, message=_(
                "a second column for {name} (column {letter}; '{first}' is column {first_letter})").format(
                name=name, letter=column_letter(index), first=first, first_letter=column_letter(columns[name]))))
        else:
            columns[name] = index
    for name in ("ref", "title"):
        if name not in columns:
            problems.append(Problem(row=row, column="", message=_("no {name} column ({header}); it is required").format(
                name=name, header=fixed[name][0])))
    for name, spec in definition.fields.items():
        if spec.required and name not in columns:
            problems.append(Problem(row=row, column="", message=_(
                "no {name} column ({label}); the field is required by {workflow}").format(
                name=name, label=spec.label.zh, workflow=definition.id)))
    return columns


def _column_list(definition, fixed: Mapping[str, tuple[str, ...]]) -> str:
    columns = [f"{name} ({aliases[0]})" for name, aliases in fixed.items()]
    fields = [f"{name} ({spec.label.zh})" if spec.label.zh and spec.label.zh != name else name
              for name, spec in definition.fields.items()]
    return ", ".join(columns + fields)


# -- registering -----------------------------------------------------------------------------

@collector_paused
def register(runtime, plan: Plan, actor: Actor, *, progress: Progress | None = None) -> int:
    """Register every checked row in one transaction: all of them, or (on any error) none.
    The rows are those `Runtime.create_in` writes, computed and written many at a time
    (`banli.engine.bulk`)."""
    from banli.engine.bulk import ItemRefused, register_many

    if plan.problems:
        raise ImportRefused(plan.report(dry_run=False))
    total = len(plan.candidates)
    try:
        with (progress or _no_progress)(_("importing"), total) as step, runtime.store.write() as tx:
            register_many(tx, plan.workflow, plan.candidates, actor, runtime.now(), step, runtime.origin)
    except ItemRefused as exc:  # e.g. a deputy removed from the organisation since the check
        raise ImportRefused(plan.report(dry_run=False, problems=[
            Problem(row=plan.candidates[exc.index].row, column="", message=exc.message)])) from exc
    except RefTaken as exc:  # another user registered one of the refs since the check
        raise _taken(runtime, plan) from exc
    except Retry:
        raise Conflict(_("the database changed while the file was being imported; nothing was imported: "
                         "run the import again")) from None
    return total


def _taken(runtime, plan: Plan) -> BanliError:
    """The refusal naming the first row whose ref was registered by someone else meanwhile."""
    with runtime.store.read() as tx:
        taken = tx.item_ids([item.ref for item in plan.candidates])
    item = next((item for item in plan.candidates if item.ref in taken), None)
    if item is None:  # that other registration was rolled back
        return Conflict(_("the database changed while the file was being imported; nothing was imported: "
                          "run the import again"))
    message = _("item {ref} already exists; choose another ref or see 'banli item show {ref}'").format(ref=item.ref)
    return ImportRefused(plan.report(dry_run=False, problems=[Problem(row=item.row, column="", message=message)]))


@contextmanager
def _no_progress(_label: str, _total: int) -> Iterator[Callable[[int], None]]:
    yield lambda _steps: None
