"""An item's state, version and fields are what its trace establishes: replayed from the trace
rows, under the definitions that recorded them, they equal the stored row after every step of
a year (co-units, a change, an extension, a reply sent back, a rating, a supervision that sets
a field, a migration), on every backend."""

from __future__ import annotations

import json

from banli.engine.projection import Projection, Projector
from tests.unit.conftest import item
from tests.unit.steps import YEAR, register_for_year

REF = "16-1-155"


def projected(store, ref: str) -> tuple[str, int, dict]:
    found = item(store, ref)
    projector = Projector(lambda def_hash: store.workflows.by_hash(def_hash).definition)
    with store.read() as tx:
        rows = tx.trace(found.id)
    projection = Projection()
    for row in rows:
        projector.apply(projection, row["seq"], row["event"], row["to_state"], row["data"], row["def_hash"])
    return projection.as_tuple()


def stored(store, ref: str) -> tuple[str, int, dict]:
    found = item(store, ref)
    return found.state, found.version, found.fields


def test_every_step_of_a_year_is_what_the_trace_establishes(store, runtime):
    register_for_year(runtime, REF)
    assert projected(store, REF) == stored(store, REF)
    for suffix, user, event, data, at in YEAR:
        runtime.fire(REF + suffix, event, user, data, at)
        for ref in (REF, REF + "/czj", REF + "/jyj"):
            if item(store, ref) is not None:
                assert projected(store, ref) == stored(store, ref), (event, ref)
    assert stored(store, REF)[2]["rating"] == "满意"


def test_fields_an_effect_sets_are_projected_too(store, runtime):
    register_for_year(runtime, REF)
    for suffix, user, event, data, at in YEAR[:8]:  # signed for, handling
        runtime.fire(REF + suffix, event, user, data, at)
    runtime.fire(REF, "supervise", "wang", {"note": "督办"}, "2026-03-06T10:00")
    assert stored(store, REF)[2]["supervised"] is True  # set by the event's set_fields, not by its data
    assert projected(store, REF) == stored(store, REF)


def test_a_field_changed_behind_the_traces_back_differs_from_the_projection(store, runtime):
    """What `audit verify` relies on: a stored row made up after the fact is told apart."""
    register_for_year(runtime, REF)
    state, version, fields = stored(store, REF)
    assert projected(store, REF) == (state, version, fields)
    assert projected(store, REF) != (state, version, {**fields, "rating": "满意"})
    assert json.dumps(projected(store, REF)[2], ensure_ascii=False) == json.dumps(fields, ensure_ascii=False)
