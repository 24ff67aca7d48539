"""The ledger (台账): one row per top-level item, as the supervision office keeps it (assigned
on, deadline, urges, contacts, reply, result, rating, days overdue), and per-unit totals.

The deadline of a row is its reply deadline, of the latest reply round: the deadline set
while the item waited in a state its `reply` event leaves from (handling, re-handling),
extensions included. Before the unit has signed for the item it is counted ahead from the
rule of that state (3 months from `assign`). A re-handled item's row shows the re-handling
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

from banli.reports.replay import Replayed, replay
from banli.store.ledger_queries import unit_names
from banli.store.report_queries import require_session

TOTAL = "合计"
RATINGS = ("满意", "基本满意", "不满意")
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
    """The ledger of every top-level item (of `session`, when given) as of `as_of`: the items
    registered by then, each with the state, fields, deadline and events it had then. A session
    no item carries is refused (exit 7), naming those there are."""
    names = unit_names(store)
    rows = tuple(ledger_row(item, as_of, names) for item in replay(store, as_of=as_of, session=session))
    if session is not None and not rows:
        require_session(store, session)  # a session known but not yet begun as of `as_of`: an empty ledger
    units: dict[str, UnitTotals] = {}
    for row in rows:
        if row.lead_unit:
            units.setdefault(row.lead_unit, UnitTotals(unit=row.lead_unit, name=row.lead_unit_name)).add(row)
    ordered = sorted(units.values(), key=lambda totals: (-totals.items, totals.unit))
    return Ledger(rows=rows, units=tuple(ordered), as_of=as_of, session=session)


def ledger_row(item: Replayed, as_of: datetime, names: dict[str, str]) -> LedgerRow:
    """One item's row as of `as_of` (the item replayed up to it); `names`: unit id → name."""
    workflow, fields = item.workflow, item.fields
    zone = workflow.zone
    assigned = next((event for event in item.events if event.event == "assign"), None)
    contacts = [event for event in item.events if event.event == "contact"]
    due, replied = reply_round(item)
    final = item.state in workflow.final_states
    if due is None:
        overdue = None
    elif replied is not None:
        overdue = days_late(due, replied, zone)
    else:
        overdue = None if final else days_late(due, as_of, zone)
    lead_id = str(fields.get("lead_unit") or "")
    return LedgerRow(
        ref=item.ref, title=item.title, deputies=item.deputies, category=_text(fields.get("category")),
        lead_unit=lead_id, lead_unit_name=names.get(lead_id, lead_id),
        co_units=tuple(names.get(unit, unit) for unit in fields.get("co_units") or ()),
        leader=_text(fields.get("leader")), handler=_text(fields.get("handler")),
        assigned_on=_local(assigned.occurred_at).date() if assigned else None,
        deadline=last_day(due, zone) if due else None,
        state=item.state, state_label=workflow.label(item.state),
        urges=sum(event.event == "urge" for event in item.events),
        contacts=len(contacts), face_to_face=sum(event.data.get("method") == FACE_TO_FACE for event in contacts),
        replied_on=replied.astimezone(zone).date() if replied else None,
        result_class=_text(fields.get("result_class")), rating=_text(fields.get("rating")), overdue_days=overdue,
    )


def reply_round(item: Replayed) -> tuple[datetime | None, datetime | None]:
    """(deadline, reply time) of the item's latest reply round; the reply time is None while
    the round waits for its reply. A workflow without a `reply` event has no rounds: its
    row shows the deadline in force."""
    workflow = item.workflow
    reply = workflow.definition.events.get("reply")
    if reply is None:
        return item.deadline, None
    due = replied = None
    for step in item.steps:
        event = step.event
        if event.event == "reply":
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
