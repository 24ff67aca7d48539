"""Child items' refs (REF/UNIT) belong to assignment, on every backend: nobody registers one,
and an item already holding one that is not the assigned item's child stops the assignment
instead of standing in for the co-unit's task."""

from __future__ import annotations

import pytest

from banli.engine.limits import MAX_REF
from banli.errors import InvalidInput, NotAllowedNow
from tests.unit.conftest import assignments, counts, events, item, verified

FILED = [("reg", "sort", {"category": "城市建设"}), ("reg", "review", {}), ("reg", "audit", {}), ("npc", "approve", {})]
ASSIGN = ("wang", "assign", {"lead_unit": "zjj", "co_units": "czj", "mode": "会办"})


def walk(runtime, clock, ref, steps):
    for user, event, data in steps:
        clock.advance(hours=2)
        runtime.fire(ref, event, user, data)


def register(runtime, ref: str, title: str = "关于整治占道经营的建议") -> None:
    runtime.create(workflow_id="npc-suggestion", ref=ref, title=title, actor="reg", deputies=["张三"],
                   fields={"category": "城市建设"})


def test_nobody_registers_a_ref_with_a_slash(store, runtime):
    register(runtime, "Q-1")
    with pytest.raises(InvalidInput, match="'/' is reserved for the units' child items"):
        register(runtime, "Q-1/czj", "冒名的协办任务")
    assert item(store, "Q-1/czj") is None


def test_an_item_holding_a_co_units_child_ref_stops_the_assignment(store, runtime, clock):
    """The attack of issue 12 with an item made before refs with '/' were refused (or moved in
    from such a database): the assignment must not take it for czj's task and skip czj."""
    register(runtime, "Q-1")
    register(runtime, "OTHER", "另一件建议")
    with store.write() as tx:  # as an older banli let anyone do: Q-1/czj, not a child of Q-1
        other = tx.item("OTHER")
        runtime.create_in(tx, workflow=store.workflows.get("unit-task"), ref="Q-1/czj", title="冒名的协办任务",
                          actor=runtime.actor("reg"), deputies=[], fields={"lead_unit": "czj"}, parent_id=other.id)
    walk(runtime, clock, "Q-1", FILED)
    before = counts(store)

    with pytest.raises(InvalidInput, match="Q-1/czj is not a child item of Q-1.*leave czj out"):
        walk(runtime, clock, "Q-1", [ASSIGN])

    assert counts(store) == before and item(store, "Q-1").state == "filed"  # nothing of the assignment
    assert events(store, "Q-1/czj") == ["created"]
    assert verified(store)


def test_a_co_unit_named_again_keeps_its_child_item(store, runtime, clock):
    register(runtime, "Q-2")
    walk(runtime, clock, "Q-2", FILED + [ASSIGN])
    child = item(store, "Q-2/czj")

    walk(runtime, clock, "Q-2", [("li", "request_change", {"reason": "需教育局协办"}),
                                 ("wang", "approve_change", {"lead_unit": "zjj", "co_units": "czj,jyj"}),
                                 ("li", "sign_for", {"leader": "王局长", "handler": "李科长"})])

    assert item(store, "Q-2/czj").id == child.id and item(store, "Q-2/jyj").parent_id == item(store, "Q-2").id
    assert assignments(store, "Q-2") == [("zjj", "lead", None), ("czj", "co", "Q-2/czj"), ("jyj", "co", "Q-2/jyj")]
    reply = {"result_class": "A", "text": "张三代表：您好！", "signer": "王局长", "contact_person": "李科长"}
    with pytest.raises(NotAllowedNow, match="县财政局、县教育局"):  # the lead waits for both opinions
        runtime.fire("Q-2", "reply", "li", reply)


def test_a_child_ref_longer_than_a_ref_may_be_is_refused_on_every_backend(store, runtime, clock):
    ref = "Q-" + "9" * (MAX_REF - 2)  # as long as a ref may be: its child's ref could not be stored
    register(runtime, ref)
    walk(runtime, clock, ref, FILED)

    with pytest.raises(InvalidInput, match=f"czj's child item would have the ref .*{MAX_REF + 4} characters"):
        walk(runtime, clock, ref, [ASSIGN])

    assert item(store, ref).state == "filed"
