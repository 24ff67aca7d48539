"""Registering many items in one transaction (an import file): for each, the rows
`Runtime.create_in` writes — the item with its chain head, its deputies and assignments, its
`created` trace row — computed in Python and written a chunk at a time, not one item at a time.

The rows must be the ones `create_in` would write, byte for byte (the trace is hash-chained,
and an imported item must not be told apart from one registered by hand);
`tests/integration/test_import.py` compares both paths table by table. The time of the whole
import is read from the clock once: its items are recorded at the same instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Protocol, Sequence

from banli.engine import limits
from banli.engine.chain import GENESIS, canonical_json, row_hash
from banli.engine.compile import CompiledWorkflow
from banli.engine.records import Actor
from banli.engine.reminders import next_due
from banli.engine.roles import assignments
from banli.engine.refusals import unknown_deputy_message
from banli.engine.runtime import CREATED
from banli.engine.times import from_utc_text, local_text, utc_text
from banli.engine.values import coerce
from banli.errors import InvalidInput
from banli.i18n import _

CHUNK = 2000  # items computed and written at a time: memory stays flat however long the file
REMEMBERED = 4096  # distinct business times, and combinations of field values, kept for the next item
# field types whose values name rows of the organisation (checked again in the writing transaction)
_ORG_TYPES = ("unit", "units", "person")


class NewItem(Protocol):
    """What is registered: a checked row of an import file (`importer.Candidate`)."""

    ref: str
    title: str
    deputies: list[str]
    fields: dict
    content: str
    at: datetime | None


class ItemRefused(InvalidInput):
    """Item number `index` (from 0, in the order given) cannot be registered; nothing was."""

    def __init__(self, message: str, *, index: int) -> None:
        super().__init__(message)
        self.index = index


class Lookup:
    """Answers what `coerce` asks a transaction (do these units, this person exist?) from
    names read once (`Tx.org_names`)."""

    def __init__(self, names) -> None:
        self.names = names
        self.units, self.people = names.units, names.people

    def org_names(self):
        return self.names

    def missing_units(self, units: list[str]) -> list[str]:
        return [unit for unit in units if unit not in self.units]

    def person_exists(self, person: str) -> bool:
        return person in self.people

    items: frozenset[str] = frozenset()  # refs an `items` field may name (set by an import's check)

    def item(self, ref: str) -> str | None:
        """The ref if it names an item (all `links.refs` asks), else None."""
        return ref if ref in self.items else None


def register_many(tx, workflow: CompiledWorkflow, items: Sequence[NewItem], actor: Actor, now: datetime,
                  step: Callable[[int], None] = lambda _count: None, origin: dict | None = None) -> None:
    """Register `items` in `tx`, in order, as `Runtime.create_in` would one by one at `now`
    (`step(count)` after each chunk written; `origin` as `Runtime.origin`). Raises
    ItemRefused for the first item it would refuse (the caller rolls back), and RefTaken when
    an item with one of the refs was registered since they were checked."""
    rows = _Rows(workflow, actor, now, tx.org_names(), origin or {})
    ids = tx.reserve_item_ids(len(items))
    rows.children = _children(tx, items, ids)
    for start in range(0, len(items), CHUNK):
        chunk = _Chunk()
        for index in range(start, min(start + CHUNK, len(items))):
            try:
                rows.add(chunk, index, ids[index], items[index])
            except InvalidInput as exc:
                raise ItemRefused(exc.message, index=index) from exc
        tx.insert_created(items=chunk.items, deputies=chunk.deputies, assignments=chunk.assignments,
                            traces=chunk.traces)
        step(len(chunk.items))


def _children(tx, items: Sequence[NewItem], ids: Sequence[int]) -> dict[str, tuple[int, int]]:
    """Ref → (id, position) of the items an assignment may point at as its unit's child item
    (REF/UNIT): those already in the database (position -1) and those being registered."""
    wanted = {f"{item.ref}/{unit}" for item in items for unit, _role in _assignments(item.fields)}
    if not wanted:
        return {}
    own = {item.ref: (ids[index], index) for index, item in enumerate(items) if item.ref in wanted}
    found = tx.item_ids(sorted(wanted - own.keys()))
    return {**{ref: (item_id, -1) for ref, item_id in found.items()}, **own}


def _assignments(fields: dict) -> list[tuple[str, str]]:
    """(unit, role) of the assignment rows registering an item with `fields` writes."""
    if "lead_unit" not in fields and "co_units" not in fields:
        return []
    return assignments(fields.get("lead_unit"), fields.get("co_units") or [])


@dataclass
class _Chunk:
    items: list[dict] = field(default_factory=list)
    deputies: list[dict] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)
    traces: list[dict] = field(default_factory=list)


class _Rows:
    """Computes one item's rows, with what stays the same for every item worked out once."""

    def __init__(self, workflow: CompiledWorkflow, actor: Actor, now: datetime, names, origin: dict) -> None:
        definition = workflow.definition
        self.workflow, self.actor, self.now, self.origin = workflow, actor, now, origin
        self.initial = definition.initial
        self.recorded_at = local_text(now, workflow.zone)
        self.deputy_names = frozenset(names.deputies)
        self.all_deputies = list(names.deputies)
        self.lookup = Lookup(names)
        self.org_fields = {name: spec for name, spec in definition.fields.items() if spec.type in _ORG_TYPES}
        self.required = [name for name, spec in definition.fields.items() if spec.required]
        self.children: dict[str, tuple[int, int]] = {}
        self._times: dict[datetime | None, tuple] = {}
        self._json: dict[tuple, str] = {}

    def add(self, chunk: _Chunk, index: int, item_id: int, item: NewItem) -> None:
        ref, fields = item.ref, item.fields
        self._check(item)
        created_at, occurred_at, deadline, basis, due_note, next_due_at = self._at(item.at)
        data = {"title": item.title, "deputies": item.deputies, "fields": fields, "content": item.content}
        if due_note is not None:
            data["@deadline"] = due_note
        data.update(self.origin)
        trace = {"item_id": item_id, "ref": ref, "seq": 1, "event": CREATED, "from_state": "",
                 "to_state": self.initial, "actor": self.actor.id, "occurred_at": occurred_at,
                 "recorded_at": self.recorded_at, "data": canonical_json(data), "def_hash": self.workflow.hash,
                 "prev_hash": GENESIS}
        trace["hash"] = row_hash(ref, 1, CREATED, "", self.initial, self.actor.id, occurred_at,
                                 self.recorded_at, trace["data"], self.workflow.hash, GENESIS)
        chunk.traces.append(trace)
        chunk.items.append({
            "id": item_id, "ref": ref, "workflow_id": self.workflow.definition.id,
            "definition_id": self.workflow.definition_id, "parent_id": None, "title": item.title,
            "content": item.content, "state": self.initial, "version": 1, "seq": 1, "head_hash": trace["hash"],
            "fields": self._fields_json(fields), "created_at": created_at, "entered_at": created_at,
            "last_at": created_at, "deadline": deadline, "deadline_basis": basis, "entered_seq": 1,
            "next_due_at": next_due_at})
        for position, name in enumerate(dict.fromkeys(item.deputies)):
            chunk.deputies.append({"item_id": item_id, "name": name, "position": position})
        for unit, role in _assignments(fields):
            child_id, position = self.children.get(f"{ref}/{unit}", (None, -1))
            # a child item registered by a later row did not exist yet when this one was
            chunk.assignments.append({"item_id": item_id, "unit_id": unit, "role": role,
                                      "child_id": child_id if position < index else None})

    def _fields_json(self, fields: dict) -> str:
        """The canonical JSON of `fields`; a file repeats its few combinations of values (each
        value's type is in the key: 1 and True are equal keys otherwise)."""
        try:
            key = tuple((name, value.__class__, value) for name, value in fields.items())
            return self._json[key]
        except KeyError:
            text = canonical_json(fields)
            if len(self._json) < REMEMBERED:
                self._json[key] = text
            return text
        except TypeError:  # a list value (units): not a key
            return canonical_json(fields)

    def _check(self, item: NewItem) -> None:
        """What `create_in` checks against the database, asked again inside the writing
        transaction: the organisation may have changed since the file was checked."""
        limits.check_ref(item.ref)
        if not item.title.strip():
            raise InvalidInput(_("item {ref} needs a title").format(ref=item.ref))
        for name, spec in self.org_fields.items():
            if name in item.fields:
                coerce(self.lookup, spec.type, spec.choices, item.fields[name], name)
        missing = [name for name in self.required if item.fields.get(name) in (None, "", [])]
        if missing:
            raise InvalidInput(_("item {ref} lacks required field(s): {missing}").format(ref=item.ref, missing=", ".join(missing)))
        for name in item.deputies:
            if name not in self.deputy_names:
                raise InvalidInput(unknown_deputy_message(name, self.all_deputies))

    def _at(self, at: datetime | None) -> tuple:
        """Everything that depends only on the item's business time, computed once per time:
        (created_at, occurred_at, deadline, deadline basis, the trace's @deadline, next_due_at)."""
        known = self._times.get(at)
        if known is None:
            known = self._times_of(at)
            if len(self._times) < REMEMBERED:
                self._times[at] = known
        return known

    def _times_of(self, at: datetime | None) -> tuple:
        workflow = self.workflow
        when = self.now if at is None else at
        if when > self.now:  # as `Runtime._business_time`
            raise InvalidInput(_("--at {at} is in the future; an event's time is when it happened").format(
                at=local_text(when, workflow.zone)))
        deadline, basis = self._deadline(when)
        due_note = None
        if deadline is not None or basis is not None:  # as `Runtime._commit`: the deadline was set
            due_note = {"due": local_text(from_utc_text(deadline), workflow.zone) if deadline else None,
                        "was": None, "calendar": basis}
        return (utc_text(when), local_text(when, workflow.zone), deadline, basis, due_note,
                next_due(workflow, self.initial, deadline, set(), []))

    def _deadline(self, when: datetime) -> tuple[str | None, str | None]:
        """`Runtime._deadline` for an item being created at `when`: a rule counted from its
        entry or from `created` starts then; one counted from any other event does not start
        (a new item has no other event, nor extensions)."""
        rule = self.workflow.definition.states[self.initial].deadline
        if rule is None or rule.start not in ("enter", CREATED):
            return None, None
        deadline, basis = self.workflow.after(when, rule.after)
        return utc_text(deadline), basis
