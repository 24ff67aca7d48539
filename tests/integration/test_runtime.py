"""The SQL store's writing transaction, which keeps items and holds its writes back: what it
leaves is what one transaction per event leaves, and a row changed or a trace seq taken behind
its back makes the event run again. The rules themselves are tested on every backend in
tests/unit."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from banli.errors import Retry
from banli.store.audit import log, verify
from tests.unit.steps import ALONE, YEAR, register_for_year

ITEM_COLUMNS = ("state", "version", "seq", "fields", "created_at", "entered_at", "last_at", "deadline",
                "deadline_basis", "entered_seq", "next_due_at")


def written(store, ref: str) -> dict:
    """What banli wrote for the item and its children, without what names them (ref, id, hashes)."""
    with store.engine.connect() as connection:
        items = connection.execute(text(f"SELECT ref, {', '.join(ITEM_COLUMNS)} FROM item "
                                        "WHERE ref = :ref OR ref LIKE :children ORDER BY ref"),
                                   {"ref": ref, "children": ref + "/%"}).all()
        trace = connection.execute(text("SELECT ref, seq, event, from_state, to_state, actor, occurred_at, "
                                        "recorded_at, data, def_hash FROM trace "
                                        "WHERE ref = :ref OR ref LIKE :children ORDER BY ref, seq"),
                                   {"ref": ref, "children": ref + "/%"}).all()
    unnamed = lambda row: (row[0][len(ref):],) + tuple(row[1:])  # noqa: E731 - "/czj" for "16-1-150/czj"
    return {"items": [unnamed(row) for row in items], "trace": [unnamed(row) for row in trace]}


@pytest.mark.parametrize("steps", [YEAR, ALONE], ids=["a-year-with-co-units", "assigned-alone"])
def test_events_in_one_transaction_write_what_one_transaction_each_writes(store, runtime, steps):
    """`replay --atomic` runs every event in one transaction, which keeps items and holds trace
    rows back: the rows it leaves are those of the same events fired one transaction each."""
    register_for_year(runtime, "16-1-150")
    for suffix, user, event, data, at in steps:
        runtime.fire("16-1-150" + suffix, event, user, data, at=at)
    for ref in ("16-1-151", "16-1-152", "16-1-153", "16-1-154"):
        register_for_year(runtime, ref)
    with store.write() as tx:  # two items' events interleaved
        for suffix, user, event, data, at in steps:
            for ref in ("16-1-151", "16-1-152"):
                runtime.fire_in(tx, ref + suffix, event, user, data, at)
    with store.write() as tx:  # one item's, one after another
        for suffix, user, event, data, at in steps:
            runtime.fire_in(tx, "16-1-153" + suffix, event, user, data, at)
    with store.write() as tx:  # written event by event for half the steps, then held: `assign` written and
        for number, (suffix, user, event, data, at) in enumerate(steps):  # the extension after it held
            runtime.fire_in(tx, "16-1-154" + suffix, event, user, data, at)
            if number < len(steps) // 2:
                tx.flush()
    expected = written(store, "16-1-150")
    assert expected["items"][0][2] == len(steps) - sum(1 for step in steps if step[0]) + 1  # version
    assert expected["items"][0][7] is not None  # a deadline, counted from `assign`
    for ref in ("16-1-151", "16-1-152", "16-1-153", "16-1-154"):
        assert written(store, ref) == expected, ref
    assert verify(store)["ok"]


def test_an_item_changed_by_another_writer_is_run_again(store, runtime, clock):
    """The held-back update still carries the version the item was read at: if the row changed
    meanwhile (here by hand, as a writer ignoring the lock would), the event is run again."""
    register_for_year(runtime, "16-1-170")
    changed = False
    with pytest.raises(Retry):
        with store.write() as tx:
            runtime.fire_in(tx, "16-1-170", "sort", "reg", {"category": "城市建设"}, None)
            if not changed:
                tx.flush()  # nothing is held back now: …
                runtime.fire_in(tx, "16-1-170", "review", "reg", {}, None)
                # … and the row the next flush checks against is moved on behind the transaction's back
                tx._connection.execute(text("UPDATE item SET version = version + 1 WHERE ref = '16-1-170'"))
    assert [row["event"] for row in log(store, "16-1-170")] == ["created"]
    assert runtime.fire("16-1-170", "sort", "reg", {"category": "城市建设"}).seq == 2
    assert verify(store)["ok"]


def test_a_trace_row_appended_first_by_another_writer_runs_the_event_again(store, runtime):
    """UNIQUE(item_id, seq) is the last safety net: a clash when the held-back rows are written
    is a retry, like a lost version check, and nothing of the event stays."""
    register_for_year(runtime, "16-1-180")
    with pytest.raises(Retry):
        with store.write() as tx:
            runtime.fire_in(tx, "16-1-180", "sort", "reg", {"category": "城市建设"}, None)
            # seq 2 taken behind the transaction's back, as a writer ignoring the lock would
            tx._connection.execute(text(
                "INSERT INTO trace (item_id, ref, seq, event, from_state, to_state, actor, occurred_at, recorded_at, "
                "data, def_hash, prev_hash, hash) SELECT item_id, ref, 2, event, from_state, to_state, actor, "
                "occurred_at, recorded_at, data, def_hash, prev_hash, hash FROM trace WHERE ref = '16-1-180'"))
    assert [row["event"] for row in log(store, "16-1-180")] == ["created"]
    assert runtime.fire("16-1-180", "sort", "reg", {"category": "城市建设"}).seq == 2
    assert verify(store)["ok"]
