"""The items as their trace establishes them at an instant: each top-level item's rows up to
that instant replayed (banli.engine.projection) into its state, fields and deadline, with the
rows themselves, each with the item's fields after it and the deadline in force when it
occurred. Every report reads items through here, so a figure counts only what events
established, and "as of T" means everything as of T: an item registered after T is not
there, and one registered before shows the state, fields and deadline it had then.

A field the definition marks `outcome` (a rating, a result class) counts only when an event
set it: one given with the registration (an old import) is left out of the replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from banli.engine.compile import CompiledWorkflow
from banli.engine.projection import CREATED, Projection, Projector
from banli.store.ledger_queries import LedgerEvent, traced_items

LEAD_UNIT = "lead_unit"


@dataclass(slots=True)  # not frozen: a year has many rows, and a frozen one is slower to make
class Step:
    """One trace row, with the item's fields after it and the deadline in force before it."""

    event: LedgerEvent
    fields: dict
    deadline: datetime | None

    @property
    def at(self) -> datetime:
        return datetime.fromisoformat(self.event.occurred_at)

    @property
    def unit(self) -> str:
        """The item's lead unit after the row ("" while unassigned)."""
        return self.fields.get(LEAD_UNIT) or ""

    @property
    def deadline_after(self) -> datetime | None:
        return deadline_after(self.event, self.deadline)


@dataclass(frozen=True, kw_only=True)
class Replayed:
    """One top-level item as its trace rows up to the instant establish it."""

    id: int
    ref: str
    title: str
    deputies: tuple[str, ...]
    workflow: CompiledWorkflow  # the definition version that recorded its latest row
    state: str
    fields: dict
    deadline: datetime | None  # in force at the instant
    steps: tuple[Step, ...]  # its rows, in sequence order

    @property
    def events(self) -> list[LedgerEvent]:
        return [step.event for step in self.steps]


def deadline_after(event: LedgerEvent, before: datetime | None) -> datetime | None:
    """The deadline in force after a trace row: the one it recorded, else the one before it."""
    if not event.marks_deadline:
        return before
    due = event.data["@deadline"].get("due")
    return datetime.fromisoformat(due) if due else None


def replay(store, *, as_of: datetime | None = None, session: str | None = None) -> list[Replayed]:
    """The top-level items (of `session`: those whose fields give that session as of `as_of`),
    in ref order, as their rows up to `as_of` (every row, if None) establish them."""
    workflows = store.workflows
    projector = Projector(lambda def_hash: workflows.by_hash(def_hash).definition)
    outcomes: dict[str, frozenset[str]] = {}  # per definition hash: the fields only events set
    return [item for item in (_replayed(traced, projector, workflows, outcomes, as_of)
                              for traced in traced_items(store, session=session))
            if item is not None and (session is None or str(item.fields.get("session") or "") == session)]


def _replayed(traced, projector: Projector, workflows, outcomes: dict, as_of: datetime | None) -> Replayed | None:
    projection = Projection()
    steps: list[Step] = []
    deadline = None
    title, deputies, last = "", (), None
    for row in traced.rows:
        if as_of is not None and datetime.fromisoformat(row.occurred_at) > as_of:
            break  # a row's business time never comes before the row above it
        projector.apply(projection, row.seq, row.event, row.to_state, row.text, row.def_hash)
        if row.event == CREATED:
            title, deputies = str(row.data.get("title") or ""), tuple(row.data.get("deputies") or ())
            for name in _outcome_fields(row.def_hash, workflows, outcomes):
                projection.fields.pop(name, None)
        steps.append(Step(event=row, fields=dict(projection.fields), deadline=deadline))
        deadline = deadline_after(row, deadline)
        last = row
    if last is None:
        return None  # registered after the instant
    return Replayed(id=traced.id, ref=traced.ref, title=title, deputies=deputies,
                    workflow=workflows.by_hash(last.def_hash), state=projection.state, fields=projection.fields,
                    deadline=deadline, steps=tuple(steps))


def _outcome_fields(def_hash: str, workflows, known: dict) -> frozenset[str]:
    found = known.get(def_hash)
    if found is None:
        fields = workflows.by_hash(def_hash).definition.fields
        found = known[def_hash] = frozenset(name for name, spec in fields.items() if spec.outcome)
    return found

