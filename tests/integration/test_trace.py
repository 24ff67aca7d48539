"""The trace: append-only in the database itself, and `audit verify` names every changed,
deleted or reordered row by ref and seq."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from banli.store.audit import checkpoint, verify
from tests.integration.tamper import tamper

STEPS = [("reg", "sort", {"category": "城市建设"}), ("reg", "review", {}), ("reg", "audit", {}), ("npc", "approve", {})]


@pytest.fixture
def filed(runtime, clock):
    """Two items walked to `filed`: 16-1-001 and 16-1-002 (5 trace rows each)."""
    for ref in ("16-1-001", "16-1-002"):
        runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于道路维修的建议", actor="reg",
                       deputies=["张三"], fields={"category": "城市建设"})
        for user, event, data in STEPS:
            clock.advance(hours=1)
            runtime.fire(ref, event, user, data)
    return runtime


def test_intact_trace_verifies(filed, store):
    result = verify(store)
    assert result == {"ok": True, "items": 2, "rows": 10, "failures": []}


@pytest.mark.parametrize("statement", [
    "UPDATE trace SET actor = 'x' WHERE seq = 1",
    "DELETE FROM trace WHERE seq = 1",
], ids=["update", "delete"])
def test_database_refuses_to_change_the_trace(filed, store, statement):
    with pytest.raises(DatabaseError, match="append-only"):
        with store.engine.begin() as connection:
            connection.execute(text(statement))
    assert verify(store)["ok"]


def test_changed_row_is_named(filed, store, db_url):
    tamper(db_url, "UPDATE trace SET data = '{\"category\":\"农业农村\"}' WHERE ref = '16-1-002' AND seq = 2")
    result = verify(store)
    assert not result["ok"]
    assert result["failures"] == [{"ref": "16-1-002", "seq": 2, "reason": "row changed: its hash does not match its content"}]


def test_deleted_row_is_named(filed, store, db_url):
    tamper(db_url, "DELETE FROM trace WHERE ref = '16-1-001' AND seq = 3")
    failures = verify(store)["failures"]
    assert failures and all(f["ref"] == "16-1-001" for f in failures)
    assert failures[0]["seq"] == 4 and "expected seq 3" in failures[0]["reason"]


def test_deleted_last_row_is_caught_by_the_item_head(filed, store, db_url):
    tamper(db_url, "DELETE FROM trace WHERE ref = '16-1-001' AND seq = 5")
    failures = verify(store)["failures"]
    assert [(f["ref"], f["seq"]) for f in failures] == [("16-1-001", 5)]
    assert "trace ends at seq 4" in failures[0]["reason"]


def test_reordered_rows_are_named(filed, store, db_url):
    # swap the sequence numbers of rows 2 and 3 (through a free number, UNIQUE(item_id, seq))
    tamper(db_url,
           "UPDATE trace SET seq = 99 WHERE ref = '16-1-002' AND seq = 2",
           "UPDATE trace SET seq = 2 WHERE ref = '16-1-002' AND seq = 3",
           "UPDATE trace SET seq = 3 WHERE ref = '16-1-002' AND seq = 99")
    failures = verify(store)["failures"]
    assert {(f["ref"], f["seq"]) for f in failures} >= {("16-1-002", 2), ("16-1-002", 3)}
    assert all(f["ref"] == "16-1-002" for f in failures)


def test_checkpoint_changes_with_any_event(filed, store, runtime):
    before = checkpoint(store)
    assert before == checkpoint(store)
    runtime.fire("16-1-001", "assign", "wang", {"lead_unit": "zjj", "mode": "单独办理"})
    assert checkpoint(store)["root"] != before["root"]
