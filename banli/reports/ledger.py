"""The ledger (台账): one row per top-level item, as the supervision office keeps it, and
per-unit totals. Its columns are the definition's (`ledger:`, banli/engine/ledger_spec.py;
the cells: banli/reports/ledger_cells.py): one table per workflow, under the columns of its
newest registered version, whichever version recorded each item. A row also keeps the facts the reports count (assigned on,
urges, contacts, reply, result, rating), whatever the columns show.

The deadline of a row is its reply deadline, of the latest reply round: the deadline set
while the item waited in a state the definition's reply event (`ledger.reply`) leaves from
(handling, re-handling), extensions included. Before the unit has signed for the item it is
counted ahead from the rule of that state (3 months from `assign`). A re-handled item's row shows the re-handling
round: its deadline and its second reply. Days overdue are counted by calendar date,
at least 1 once the deadline has passed: for a replied round, how late the reply came
(0 on time); for an open item still waiting for its reply, how late it is as of `as_of`.

Each row is the item as its trace up to `as_of` establishes it (banli/reports/replay.py):
the ledger as of a past day shows that day's states, deadlines, replies and ratings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from banli.engine.ledger_spec import LedgerSpec, default
from banli.i18n import N_, _
from banli.reports.ledger_cells import centred, shows_people, spec_of
from banli.reports.ledger_cells import cells as column_cells
from banli.reports.promises import promise_of
from banli.reports.replay import Replayed, replay
from banli.store.ledger_queries import unit_names
from banli.store.report_queries import require_session

TOTAL = N_("Total")  # the bottom line of the per-unit tables, translated where it is made
RATINGS = ("满意", "基本满意", "不满意")  # the values of the rating field (data), in their order
FACE_TO_FACE = "face_to_face"
_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True, kw_only=True)
class LedgerRow:
    ref: str
    title: str
    deputies: tuple[str, ...]
    category: str
    lead_unit: str  # unit id ("" while unassigned)
    lead_unit_name: str
    co_units: tuple[str, ...]  # names
    leader: str
    handler: str
    assigned_on: date | None
    deadline: date | None  # the last day: a deadline at 24:00 shows as its own day
    state: str
    state_label: str
    urges: int
    contacts: int
    face_to_face: int
    replied_on: date | None
    result_class: str
    rating: str
    overdue_days: int | None  # None: no deadline to judge by
    workflow: str = ""  # the workflow's id: the table the row is in
    values: tuple = ()  # under its table's headers (the definition's ledger columns)

    @property
    def overdue(self) -> bool:
        return bool(self.overdue_days)

    def cells(self) -> list:
        """The row's values under its table's headers (`LedgerTable.headers`, in that order):
        text, whole numbers, dates, or None for blank."""
        return list(self.values)


@dataclass(kw_only=True)
class UnitTotals:
    unit: str
    name: str
    items: int = 0
    replied: int = 0
    on_time: int = 0
    overdue: int = 0
    urges: int = 0
    face_to_face: int = 0
    ratings: Counter = field(default_factory=Counter)

    def add(self, row: LedgerRow) -> None:
        self.items += 1
        self.replied += row.replied_on is not None
        self.on_time += row.replied_on is not None and row.overdue_days == 0
        self.overdue += row.overdue
        self.urges += row.urges
        self.face_to_face += row.face_to_face > 0
        if row.rating:
            self.ratings[row.rating] += 1

    def cells(self) -> list:
        """The unit's values under `banli.sheets.columns.UNIT_HEADERS`, in that order."""
        return [self.name, self.items, self.replied, self.on_time, self.overdue, self.urges, self.face_to_face,
                *(self.ratings[rating] for rating in RATINGS)]


@dataclass(frozen=True, kw_only=True)
class LedgerTable:
    """The rows of one workflow under its ledger's headers (a sheet of the workbook)."""

    workflow: str
    title: str  # the workflow's Chinese title: the workbook keeps the county's sheet names (台账-TITLE)
    headers: tuple[str, ...]
    rows: tuple[LedgerRow, ...]
    centred: tuple[bool, ...] = ()  # per column: short values (dates, counts, choices), centred when written


@dataclass(frozen=True, kw_only=True)
class Ledger:
    rows: tuple[LedgerRow, ...]  # every table's, in ref order
    units: tuple[UnitTotals, ...]  # by number of items, most first
    as_of: datetime
    session: str | None = None
    tables: tuple[LedgerTable, ...] = ()  # one per workflow, by its id

    @property
    def overdue(self) -> int:
        return sum(row.overdue for row in self.rows)

    def total(self) -> UnitTotals:
        """The per-unit sheet's bottom line: every row with a lead unit."""
        total = UnitTotals(unit="", name=_(TOTAL))
        for row in self.rows:
            if row.lead_unit:
                total.add(row)
        return total


def build_ledger(store, *, as_of: datetime, session: str | None = None, workflow: str | None = None) -> Ledger:
    """The ledger of every top-level item (of `session` and of `workflow`, when given) as of
    `as_of`: the items registered by then, each with the state, fields, deadline and events it
    had then. A session no item carries is refused (exit 7), naming those there are; so is a
    workflow that is not registered."""
    names = unit_names(store)
    items = replay(store, as_of=as_of, session=session)
    if workflow is not None:
        store.workflows.get(workflow)  # refused (exit 7) unless registered
        items = [item for item in items if item.workflow.definition.id == workflow]
    # each workflow's table has the columns of its newest version: registering a definition
    # with other columns changes the ledger of the items recorded under older ones too
    newest = {key: store.workflows.get(key).definition for key in {item.workflow.definition.id for item in items}}
    specs = {key: spec_of(definition) for key, definition in newest.items()}
    people = {}
    if any(shows_people(specs[key], definition) for key, definition in newest.items()):
        with store.read() as tx:  # a person field is shown by the person's name
            people = {person.id: person.name for person in tx.people()}
    rows = tuple(ledger_row(item, as_of, names, specs[item.workflow.definition.id], people) for item in items)
    if session is not None and not rows and workflow is None:
        require_session(store, session)  # a session known but not yet begun as of `as_of`: an empty ledger
    grouped: dict[str, list[LedgerRow]] = {}
    for row in rows:
        grouped.setdefault(row.workflow, []).append(row)
    tables = tuple(LedgerTable(workflow=key, title=newest[key].title.zh, headers=specs[key].headers,
                               centred=centred(specs[key], newest[key]), rows=tuple(grouped[key])) for key in sorted(newest))
    if not tables:  # nothing to show: the columns every ledger has
        tables = (_empty_table(store, workflow),)
    units: dict[str, UnitTotals] = {}
    for row in rows:
        if row.lead_unit:
            units.setdefault(row.lead_unit, UnitTotals(unit=row.lead_unit, name=row.lead_unit_name)).add(row)
    ordered = sorted(units.values(), key=lambda totals: (-totals.items, totals.unit))
    return Ledger(rows=rows, units=tuple(ordered), as_of=as_of, session=session, tables=tables)


def _empty_table(store, workflow: str | None) -> LedgerTable:
    """The table of a ledger without rows: the workflow's columns, or the built-in ones."""
    if workflow is not None:
        definition = store.workflows.get(workflow).definition
        spec = spec_of(definition)
        return LedgerTable(workflow=workflow, title=definition.title.zh, headers=spec.headers,
                           centred=centred(spec, definition), rows=())
    return LedgerTable(workflow="", title="", headers=default({}, {}).headers, rows=())


def ledger_row(item: Replayed, as_of: datetime, names: dict[str, str], spec: LedgerSpec | None = None,
               people: dict[str, str] | None = None) -> LedgerRow:
    """One item's row as of `as_of` (the item replayed up to it); `names`: unit id → name.
    With `spec` (the ledger of its table), the row's cells under those columns (`people`:
    person id → name, for person fields)."""
    workflow, fields = item.workflow, item.fields
    zone = workflow.zone
    assigned = next((event for event in item.events if event.event == "assign"), None)
    contacts = [event for event in item.events if event.event == "contact"]
    due, replied = reply_round(item, spec.reply if spec is not None else spec_of(workflow.definition).reply)
    final = item.state in workflow.final_states
    if due is None:
        overdue = None
    elif replied is not None:
        overdue = days_late(due, replied, zone)
    else:
        overdue = None if final else days_late(due, as_of, zone)
    lead_id = str(fields.get("lead_unit") or "")
    deadline = last_day(due, zone) if due else None
    replied_on = replied.astimezone(zone).date() if replied else None
    state_label = workflow.label(item.state)
    values = () if spec is None else column_cells(spec, {
        "ref": item.ref, "title": item.title, "deputies": _(", ").join(item.deputies), "state": state_label,
        "deadline": deadline, "replied_on": replied_on, "overdue_days": overdue,
        "promise": _promise(item, as_of) if spec.shows("promise") else ""}, item, names, people or {})
    return LedgerRow(
        ref=item.ref, title=item.title, deputies=item.deputies, category=_text(fields.get("category")),
        lead_unit=lead_id, lead_unit_name=names.get(lead_id, lead_id),
        co_units=tuple(names.get(unit, unit) for unit in fields.get("co_units") or ()),
        leader=_text(fields.get("leader")), handler=_text(fields.get("handler")),
        assigned_on=_local(assigned.occurred_at).date() if assigned else None,
        deadline=deadline, state=item.state, state_label=state_label,
        urges=sum(event.event == "urge" for event in item.events),
        contacts=len(contacts), face_to_face=sum(event.data.get("method") == FACE_TO_FACE for event in contacts),
        replied_on=replied_on,
        result_class=_text(fields.get("result_class")), rating=_text(fields.get("rating")), overdue_days=overdue,
        workflow=workflow.definition.id, values=values,
    )


def _promise(item: Replayed, as_of: datetime) -> str:
    promise = promise_of(item, as_of)
    return promise.label if promise else ""


def reply_round(item: Replayed, reply_event: str | None) -> tuple[datetime | None, datetime | None]:
    """(deadline, reply time) of the item's latest round of `reply_event` (the definition's
    `ledger.reply`); the reply time is None while the round waits for its reply. Without a
    reply event there are no rounds: the row shows the deadline in force."""
    workflow = item.workflow
    reply = workflow.definition.events.get(reply_event) if reply_event else None
    if reply is None:
        return item.deadline, None
    due = replied = None
    for step in item.steps:
        event = step.event
        if event.event == reply_event:
            due, replied = step.deadline, _local(event.occurred_at)  # judged as scores judge it
            continue
        if event.marks_deadline and event.to_state in reply.sources:
            mark = event.data["@deadline"].get("due")
            if mark:
                due, replied = _local(mark), None  # set or moved: a round begins (or goes on)
    if due is None and item.state not in workflow.final_states:
        due = _ahead(item, reply.sources)
    return due, replied


def in_time(deadline: datetime | None, when: datetime) -> bool | None:
    """Whether `when` is by the deadline (None: there was no deadline to judge by)."""
    return None if deadline is None else when <= deadline


def _ahead(item: Replayed, answering: tuple[str, ...]) -> datetime | None:
    """The reply deadline counted ahead, before the item has entered a state that has it
    (from `assign`: 3 months)."""
    workflow = item.workflow
    for name in answering:
        rule = workflow.definition.states[name].deadline
        if rule is None or rule.start == "enter":
            continue
        started = [event for event in item.events if event.event == rule.start]
        if started:
            return workflow.after(_local(started[-1].occurred_at), rule.after, item.fields)[0]
    return None


def last_day(deadline: datetime, zone) -> date:
    """The day a deadline ends on: one at 00:00 is the end (24:00) of the day before."""
    return (deadline - _INSTANT).astimezone(zone).date()


def days_late(deadline: datetime, when: datetime, zone) -> int:
    """Calendar days from the deadline's last day to `when`'s day; 0 if in time, at least 1 if not."""
    if when <= deadline:
        return 0
    return max(1, (when.astimezone(zone).date() - last_day(deadline, zone)).days)


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _text(value) -> str:
    if value is None:
        return ""
    return "、".join(map(str, value)) if isinstance(value, list) else str(value)
