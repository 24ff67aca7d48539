"""An item as its trace establishes it: state, version and fields replayed from its trace rows,
each under the definition version that recorded it. `audit verify` checks every stored item
against this projection, and reports read items through it as of an instant, so a figure
counts only what events established.

A row's effect on the fields is what the runtime did when it recorded it: `created` gives the
fields at registration; an event sets the fields its data names (the data keys that are
fields of the workflow) and then what its `set_fields` effects fix. Migrations and recounted
deadlines change no field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Iterable, Protocol

from banli.engine.model import Definition

CREATED = "created"
DEADLINE_RECOMPUTED = "deadline_recomputed"
MIGRATED = "migrated"
_NO_FIELDS = (frozenset(), {})


class TraceRow(Protocol):
    """What the projection reads of a trace row (a mapping's keys or a record's attributes)."""

    seq: int
    event: str
    to_state: str
    data: str  # canonical JSON text, as hashed
    def_hash: str


@dataclass
class Projection:
    """What an item's trace rows so far establish."""

    state: str = ""
    version: int = 0
    fields: dict = field(default_factory=dict)

    def as_tuple(self) -> tuple[str, int, dict]:
        return self.state, self.version, self.fields


class Projector:
    """Applies trace rows to projections; what each (definition, event) does to the fields is
    worked out once. `definition_of(def_hash)` gives the definition that recorded a row."""

    def __init__(self, definition_of: Callable[[str], Definition]) -> None:
        self._definition_of = definition_of
        self._effects: dict[tuple[str, str], tuple[frozenset[str], dict]] = {}

    def apply(self, projection: Projection, seq: int, event: str, to_state: str, data: str, def_hash: str) -> None:
        """One row, the next of the item's (its seq follows the projection's version)."""
        projection.state, projection.version = to_state, seq
        if event == CREATED:
            projection.fields = dict(json.loads(data).get("fields") or {})
            return
        keys, fixed = self.field_effects(def_hash, event)
        if keys and data != "{}":
            given = json.loads(data)
            projection.fields.update((key, value) for key, value in given.items() if key in keys)
        if fixed:
            projection.fields.update(fixed)

    def field_effects(self, def_hash: str, event: str) -> tuple[frozenset[str], dict]:
        """(the data keys of `event` that are fields, the values its `set_fields` effects fix)."""
        known = self._effects.get((def_hash, event))
        if known is None:
            known = self._effects[(def_hash, event)] = self._work_out(def_hash, event)
        return known

    def _work_out(self, def_hash: str, event: str) -> tuple[frozenset[str], dict]:
        if event in (MIGRATED, DEADLINE_RECOMPUTED):
            return _NO_FIELDS
        spec = self._definition_of(def_hash).events.get(event)
        if spec is None:  # not an event of that definition: it set nothing (verify reports the row)
            return _NO_FIELDS
        fixed: dict = {}
        for call in spec.effects:
            if call.name == "set_fields":
                fixed.update(call.kwargs())
        return frozenset(data.key for data in spec.data if data.is_field), fixed

    def project(self, rows: Iterable[TraceRow]) -> Projection:
        """The projection of one item's rows, in seq order."""
        projection = Projection()
        for row in rows:
            self.apply(projection, row.seq, row.event, row.to_state, row.data, row.def_hash)
        return projection
