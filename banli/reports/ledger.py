"""The ledger (台账): one row per top-level item, as the supervision office keeps it (assigned
on, deadline, urges, contacts, reply, result, rating, days overdue), and per-unit totals.

The deadline of a row is its reply deadline, of the latest reply round: the deadline set
while the item waited in a state its `reply` event leaves from (handling, re-handling),
extensions included. Before the unit has signed for the item it is counted ahead from the
rule of that state (3 months from `assign`). A re-handled item's row shows the re-handling
round: its deadline and its second reply. Days overdue are counted by calendar date,
at least 1 once the deadline has passed: for a replied round, how late the reply came
(0 on time); for an open item still waiting for its reply, how late it is as of `as_of`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from banli.engine.compile import CompiledWorkflow
from banli.engine.times import from_utc_text
from banli.store.ledger_queries import LedgerEvent, LedgerSource, ledger_sources

TOTAL = "合计"
RATINGS = ("满意", "基本满意", "不满意")
FACE_TO_FACE = "face_to_face"
# the trace events a row counts or dates (rows that set or move a deadline are read too)
COUNTED = ("assign", "urge", "contact", "reply")
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

    @property
    def overdue(self) -> bool:
        return bool(self.overdue_days)

    def cells(self) -> list:
        """The row's values under the ledger's headers (`banli.sheets.columns.LEDGER_HEADERS`,
        in that order): text, whole numbers, dates, or None for blank."""
        return [self.ref, self.title, "、".join(self.deputies), self.category, self.lead_unit_name,
                "、".join(self.co_units), self.leader, self.handler, self.assigned_on, self.deadline,
                self.state_label, self.urges, f"{self.contacts}（面商{self.face_to_face}）", self.replied_on,
                self.result_class, self.rating, self.overdue_days]


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
class Ledger:
    rows: tuple[LedgerRow, ...]
    units: tuple[UnitTotals, ...]  # by number of items, most first
    as_of: datetime
    session: str | None = None

    @property
    def overdue(self) -> int:
        return sum(row.overdue for row in self.rows)

    def total(self) -> UnitTotals:
        """The per-unit sheet's bottom line: every row with a lead unit."""
        total = UnitTotals(unit="", name=TOTAL)
        for row in self.rows:
            if row.lead_unit:
                total.add(row)
        return total


def build_ledger(store, *, as_of: datetime, session: str | None = None) -> Ledger:
    """The ledger of every top-level item (of `session`, when given), judged as of `as_of`."""
    rows = tuple(ledger_row(source, store.workflows.by_id(source.definition_id), as_of)
                 for source in ledger_sources(store, events=COUNTED, session=session))
    units: dict[str, UnitTotals] = {}
    for row in rows:
        if row.lead_unit:
            units.setdefault(row.lead_unit, UnitTotals(unit=row.lead_unit, name=row.lead_unit_name)).add(row)
    ordered = sorted(units.values(), key=lambda totals: (-totals.items, totals.unit))
    return Ledger(rows=rows, units=tuple(ordered), as_of=as_of, session=session)


def ledger_row(source: LedgerSource, workflow: CompiledWorkflow, as_of: datetime) -> LedgerRow:
    """One item's row, its overdue days judged as of `as_of`."""
    fields, zone = source.fields, workflow.zone
    assigned = next((event for event in source.events if event.event == "assign"), None)
    contacts = [event for event in source.events if event.event == "contact"]
    due, replied = reply_round(source, workflow)
    final = source.state in workflow.final_states
    if due is None:
        overdue = None
    elif replied is not None:
        overdue = days_late(due, replied, zone)
    else:
        overdue = None if final else days_late(due, as_of, zone)
    lead_id, lead_name = source.lead_unit or ("", "")
    return LedgerRow(
        ref=source.ref, title=source.title, deputies=tuple(source.deputies), category=_text(fields.get("category")),
        lead_unit=lead_id, lead_unit_name=lead_name, co_units=tuple(name for _unit, name in source.co_units),
        leader=_text(fields.get("leader")), handler=_text(fields.get("handler")),
        assigned_on=_local(assigned.occurred_at).date() if assigned else None,
        deadline=last_day(due, zone) if due else None,
        state=source.state, state_label=workflow.label(source.state),
        urges=sum(event.event == "urge" for event in source.events),
        contacts=len(contacts), face_to_face=sum(event.data.get("method") == FACE_TO_FACE for event in contacts),
        replied_on=replied.astimezone(zone).date() if replied else None,
        result_class=_text(fields.get("result_class")), rating=_text(fields.get("rating")), overdue_days=overdue,
    )


def reply_round(source: LedgerSource, workflow: CompiledWorkflow) -> tuple[datetime | None, datetime | None]:
    """(deadline, reply time) of the item's latest reply round; the reply time is None while
    the round waits for its reply. A workflow without a `reply` event has no rounds: its
    row shows the current state's deadline."""
    reply = workflow.definition.events.get("reply")
    if reply is None:
        return (from_utc_text(source.deadline) if source.deadline else None), None
    due = replied = None
    for event, in_force in deadlines_in_force(source.events):
        if event.event == "reply":
            due, replied = in_force, _local(event.occurred_at)  # judged as scores judge it
            continue
        mark = event.data.get("@deadline")
        if mark and mark.get("due") and event.to_state in reply.sources:
            due, replied = _local(mark["due"]), None  # set or moved: a round begins (or goes on)
    if due is None and source.state not in workflow.final_states:
        due = _ahead(source, workflow, reply.sources)
    return due, replied


def deadlines_in_force(events: Iterable[LedgerEvent]) -> Iterator[tuple[LedgerEvent, datetime | None]]:
    """Each trace row (in sequence order) with the item's deadline in force when it occurred:
    the latest `@deadline.due` recorded before it, None if none was or the latest is none.
    The runtime records `@deadline` whenever it sets, moves or clears the deadline, so this
    is the deadline an event was judged against (a reply: the reply deadline, extensions
    included). The rows must include every row that carries `@deadline`."""
    due = None
    for event in events:
        yield event, due
        due = deadline_after(event, due)


def deadline_after(event: LedgerEvent, before: datetime | None) -> datetime | None:
    """The deadline in force after a trace row: the one it recorded, else the one before it."""
    mark = event.data.get("@deadline")
    if mark is None:
        return before
    return _local(mark["due"]) if mark.get("due") else None


def in_time(deadline: datetime | None, when: datetime) -> bool | None:
    """Whether `when` is by the deadline (None: there was no deadline to judge by)."""
    return None if deadline is None else when <= deadline


def _ahead(source: LedgerSource, workflow: CompiledWorkflow, answering: tuple[str, ...]) -> datetime | None:
    """The reply deadline counted ahead, before the item has entered a state that has it
    (from `assign`, one of the COUNTED events the store hands over)."""
    for name in answering:
        rule = workflow.definition.states[name].deadline
        if rule is None or rule.start == "enter":
            continue
        started = [event for event in source.events if event.event == rule.start]
        if started:
            return workflow.after(_local(started[-1].occurred_at), rule.after)[0]
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
