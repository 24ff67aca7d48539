"""Firing events, on every backend: the order of checks (SPEC §4), roles on the item, windows,
branches, deadlines, co-unit child items, and one transaction per event or several in one,
all or nothing."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from banli.engine import registry
from banli.engine.chain import GENESIS
from banli.engine.definitions import register_text
from banli.errors import Conflict, InvalidInput, NotAllowedNow, NotFound, NotPermitted, Retry
from tests.unit.conftest import assignments, counts, deadline, events, item, log, verified
from tests.unit.steps import YEAR, register_for_year


@registry.effect("explode_on_purpose")
def _explode(ctx, **_params):
    ctx.runtime.create_in(ctx.tx, workflow=ctx.runtime.store.workflows.get("unit-task"), ref=ctx.item.ref + "/zjj",
                          title="half-made child", actor=ctx.actor, deputies=[], fields={"lead_unit": "zjj"},
                          parent_id=ctx.item.id)
    raise RuntimeError("effect failed after writing")


FRAGILE = """
id: fragile
title: 易碎流程
fields: {lead_unit: {type: unit}}
states:
  open: {initial: true}
  done: {final: true}
events:
  finish: {from: open, to: done, roles: [supervisor], effects: [explode_on_purpose]}
"""


def test_failing_effect_leaves_nothing_behind(store, runtime):
    register_text(store, FRAGILE, "fragile.yaml", "test")
    runtime.create(workflow_id="fragile", ref="F-1", title="t", actor="wang")
    before = counts(store)
    with pytest.raises(RuntimeError, match="effect failed"):
        runtime.fire("F-1", "finish", "wang")
    assert counts(store) == before  # neither the child the effect wrote nor a trace row
    assert events(store, "F-1") == ["created"]
    assert item(store, "F-1/zjj") is None
    assert verified(store)


def walk(runtime, clock, ref, steps):
    for user, event, data in steps:
        clock.advance(hours=2)
        runtime.fire(ref, event, user, data)


FILED = [("reg", "sort", {"category": "城市建设"}), ("reg", "review", {}), ("reg", "audit", {}), ("npc", "approve", {})]


@pytest.mark.parametrize("ref, event, user, data, at, expect, error, says", [
    ("16-9-999", "fly", "nobody", {}, "2099-01-01", 9, NotFound, "no item 16-9-999"),
    ("16-1-001", "fly", "li", {}, "2099-01-01", 9, InvalidInput, "has no event 'fly'"),
    ("16-1-001", "approve", "li", {"colour": "red"}, "2099-01-01", 9, NotPermitted, "needs the role npc_office"),
    ("16-1-001", "approve", "npc", {"colour": "red"}, "2099-01-01", 9, NotAllowedNow, "in state"),
    ("16-1-001", "sort", "reg", {}, "2099-01-01", 9, InvalidInput, "needs data 'category'"),
    ("16-1-001", "sort", "reg", {"category": "天文"}, None, 9, InvalidInput, "must be one of"),
    ("16-1-001", "sort", "reg", {"category": "城市建设"}, "2099-01-01", 9, InvalidInput, "in the future"),
    ("16-1-001", "sort", "reg", {"category": "城市建设"}, "2025-12-31", 9, InvalidInput, "before 16-1-001's latest"),
    ("16-1-001", "sort", "reg", {"category": "城市建设"}, None, 9, Conflict, "version 1, not 9"),
], ids=["7-before-all", "3-event-before-role", "4-role-before-state", "5-state-before-data", "3-data-before-at",
        "3-choice-before-version", "3-future-at", "3-at-before-previous", "6-version-last"])
def test_the_first_failing_check_wins(store, runtime, ref, event, user, data, at, expect, error, says):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-001", title="关于加强物业管理的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设"}, at="2026-01-10T09:00")
    with pytest.raises(error, match=says):
        runtime.fire(ref, event, user, data, at=at, expect_version=expect)
    assert events(store, "16-1-001") == ["created"]
    assert runtime.fire("16-1-001", "sort", "reg", {"category": "城市建设"}, expect_version=1).version == 2


def test_a_closed_window_is_refused_before_the_data_is_looked_at(store, runtime, clock):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-002", title="t", actor="reg", deputies=["张三"],
                   fields={"category": "城市建设"}, at="2026-01-05T09:00")
    for user, event, data in FILED:
        runtime.fire("16-1-002", event, user, data, at="2026-01-06T09:00")
    runtime.fire("16-1-002", "assign", "wang", {"lead_unit": "zjj", "mode": "单独办理"}, at="2026-03-02T09:00")
    with pytest.raises(NotAllowedNow, match="window is closed"):
        runtime.fire("16-1-002", "request_change", "li", {})  # no reason, and months too late


def test_item_relative_roles_match_only_this_items_unit_and_deputies(store, runtime, clock):
    for ref, deputy in (("16-1-003", "张三"), ("16-1-004", "王五")):
        runtime.create(workflow_id="npc-suggestion", ref=ref, title="t", actor="reg", deputies=[deputy],
                       fields={"category": "城市建设"})
    with pytest.raises(NotPermitted):
        runtime.fire("16-1-004", "withdraw", "zhang")  # 张三 is not its deputy
    assert runtime.fire("16-1-003", "withdraw", "zhang").to_state == "withdrawn"
    walk(runtime, clock, "16-1-004", FILED + [("wang", "assign", {"lead_unit": "zjj", "co_units": "czj",
                                                                   "mode": "会办"})])
    with pytest.raises(NotPermitted, match="lead_unit"):
        runtime.fire("16-1-004", "sign_for", "sun", {"leader": "孙局长", "handler": "孙科长"})  # 县教育局
    with pytest.raises(NotPermitted, match="lead_unit"):
        runtime.fire("16-1-004", "sign_for", "zhao", {"leader": "赵局长", "handler": "钱科长"})  # a co-unit
    assert runtime.fire("16-1-004", "sign_for", "li", {"leader": "王局长", "handler": "李科长"}).to_state == "handling"
    assert runtime.fire("16-1-004", "contact", "zhao", {"method": "phone"}).to_state == "handling"  # co_unit
    with pytest.raises(NotPermitted):
        runtime.fire("16-1-004", "contact", "sun", {"method": "phone"})


def test_co_units_work_through_child_items(store, runtime, clock):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-073", title="关于多部门联合加强电动车治理的建议",
                   actor="reg", deputies=["张三", "李四"], fields={"category": "工交财贸"})
    walk(runtime, clock, "16-1-073", [
        ("reg", "sort", {"category": "工交财贸"}), ("reg", "review", {}), ("reg", "audit", {}), ("npc", "approve", {}),
        ("wang", "assign", {"lead_unit": "zjj", "co_units": "czj,jyj", "mode": "会办"}),
        ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}),
    ])
    assert assignments(store, "16-1-073") == [
        ("zjj", "lead", None), ("czj", "co", "16-1-073/czj"), ("jyj", "co", "16-1-073/jyj")]
    with store.read() as tx:
        children = tx.children(tx.item("16-1-073").id)
    assert {c.ref: c.state for c in children} == {"16-1-073/czj": "assigned", "16-1-073/jyj": "assigned"}
    reply = {"result_class": "A", "text": "张三、李四代表：您好！", "signer": "王局长", "contact_person": "李科长"}
    with pytest.raises(NotAllowedNow, match="县财政局、县教育局"):
        runtime.fire("16-1-073", "reply", "li", reply)
    walk(runtime, clock, "16-1-073/czj", [("zhao", "sign_for", {"leader": "赵局长", "handler": "钱科长"}),
                                          ("zhao", "submit_opinion", {"text": "财政支持"})])
    with pytest.raises(NotAllowedNow, match="县教育局"):
        runtime.fire("16-1-073", "reply", "li", reply)
    walk(runtime, clock, "16-1-073/jyj", [("sun", "sign_for", {"leader": "孙局长", "handler": "周科长"}),
                                          ("sun", "submit_opinion", {"text": "配合宣传"})])
    assert runtime.fire("16-1-073", "reply", "li", reply).to_state == "replied"
    with pytest.raises(Exception, match="may not fire"):
        runtime.fire("16-1-073/jyj", "urge", "li", {})  # zjj staff are not the co-unit's people nor supervisors


def test_rating_unsatisfied_leads_to_one_rehandling_round(store, runtime, clock):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-090", title="关于提高村干部待遇的建议", actor="reg",
                   deputies=["张三"], fields={"category": "农业农村"})
    reply = {"result_class": "C", "text": "张三代表：您好！", "signer": "王局长", "contact_person": "李科长"}
    walk(runtime, clock, "16-1-090", [
        ("reg", "sort", {"category": "农业农村"}), ("reg", "review", {}), ("reg", "audit", {}), ("npc", "approve", {}),
        ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}),
        ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}),
        ("li", "contact", {"method": "face_to_face", "stage": "before"}),
        ("li", "reply", reply), ("wang", "accept_reply", {}), ("zhang", "rate", {"rating": "不满意"}),
    ])
    assert runtime.fire("16-1-090", "contact", "li", {"method": "visit"}).to_state == "rehandling"
    walk(runtime, clock, "16-1-090", [("li", "reply", {**reply, "result_class": "A"}), ("wang", "accept_reply", {})])
    fired = runtime.fire("16-1-090", "rate_again", "zhang", {"rating": "基本满意"})
    assert fired.to_state == "closed"
    trace = events(store, "16-1-090")
    assert trace.count("reply") == 2 and trace[-1] == "rate_again"


def test_deadline_is_three_months_after_assignment(store, runtime, clock):
    clock.now = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
    runtime.create(workflow_id="npc-suggestion", ref="16-1-120", title="关于城区停车难的建议", actor="reg",
                   deputies=["李四"], fields={"category": "城市建设"})
    walk(runtime, clock, "16-1-120", FILED)
    clock.now = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
    runtime.fire("16-1-120", "assign", "wang", {"lead_unit": "zjj", "mode": "单独办理"}, at="2026-05-27T09:00")
    runtime.fire("16-1-120", "sign_for", "li", {"leader": "王局长", "handler": "李科长"}, at="2026-05-28T09:00")
    # end of 27 August, local time; not overdue yet
    assert deadline(store, "16-1-120", clock.now) == ("2026-08-28T00:00:00+08:00", False)
    assert deadline(store, "16-1-120", datetime(2026, 8, 28, 1, 0, tzinfo=timezone.utc))[1]


def test_data_is_typed_and_checked(store, runtime, clock):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-130", title="t", actor="reg", deputies=["张三"],
                   fields={"category": "城市建设"})
    walk(runtime, clock, "16-1-130", FILED)
    with pytest.raises(InvalidInput, match="no unit 'nosuch'"):
        runtime.fire("16-1-130", "assign", "wang", {"lead_unit": "nosuch", "mode": "单独办理"})
    with pytest.raises(InvalidInput, match="must be one of 单独办理, 会办, 分办"):
        runtime.fire("16-1-130", "assign", "wang", {"lead_unit": "zjj", "mode": "alone"})
    fired = runtime.fire("16-1-130", "assign", "wang", {"lead_unit": "zjj", "co_units": "czj，jyj", "mode": "会办"})
    assert fired.seq == 6  # the refused attempts left no trace
    assert item(store, "16-1-130").fields["co_units"] == ["czj", "jyj"]


def test_unknown_deputy_is_refused_with_a_suggestion(runtime):
    with pytest.raises(InvalidInput, match="did you mean 张三"):
        runtime.create(workflow_id="npc-suggestion", ref="16-1-131", title="t", actor="reg", deputies=["张二"],
                       fields={"category": "城市建设"})


def to_assigned(runtime, ref, co_units="czj"):
    runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于县城供水管网改造的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设"}, at="2026-01-05T09:00")
    for user, event, data, at in [("reg", "sort", {"category": "城市建设"}, "2026-01-06T09:00"),
                                  ("reg", "review", {}, "2026-01-07T09:00"), ("reg", "audit", {}, "2026-01-08T09:00"),
                                  ("npc", "approve", {}, "2026-01-09T09:00"),
                                  ("wang", "assign", {"lead_unit": "zjj", "co_units": co_units, "mode": "会办"},
                                   "2026-03-02T09:00")]:
        runtime.fire(ref, event, user, data, at=at)


def test_window_is_judged_at_the_events_own_time(store, runtime):
    to_assigned(runtime, "16-1-140")  # assigned Monday 2 March 2026: 5 workdays → Monday 9 March
    # recorded months later, the change request made on 6 March is within its window …
    assert runtime.fire("16-1-140", "request_change", "li", {"reason": "职责不符"}, at="2026-03-06T10:00").to_state \
        == "change_requested"
    runtime.fire("16-1-140", "reject_change", "wang", {"reason": "属于本单位职责"}, at="2026-03-07T10:00")
    # … while one made on 20 March, after the window of the renewed assignment, is refused
    with pytest.raises(NotAllowedNow, match="window is closed"):
        runtime.fire("16-1-140", "request_change", "li", {"reason": "职责不符"}, at="2026-03-20T10:00")


def test_a_co_unit_taken_off_the_item_no_longer_holds_up_the_reply(store, runtime):
    to_assigned(runtime, "16-1-141", co_units="czj,jyj")
    runtime.fire("16-1-141", "request_change", "li", {"reason": "协办单位有误"}, at="2026-03-03T09:00")
    runtime.fire("16-1-141", "approve_change", "wang", {"lead_unit": "zjj", "co_units": "czj"}, at="2026-03-04T09:00")
    runtime.fire("16-1-141", "sign_for", "li", {"leader": "王局长", "handler": "李科长"}, at="2026-03-05T09:00")
    for user, event, data in [("zhao", "sign_for", {"leader": "赵局长", "handler": "钱科长"}),
                              ("zhao", "submit_opinion", {"text": "同意"})]:
        runtime.fire("16-1-141/czj", event, user, data, at="2026-03-06T09:00")
    reply = {"result_class": "A", "text": "张三代表：您好！", "signer": "王局长", "contact_person": "李科长"}
    assert runtime.fire("16-1-141", "reply", "li", reply, at="2026-03-10T09:00").to_state == "replied"
    assert assignments(store, "16-1-141") == [("zjj", "lead", None), ("czj", "co", "16-1-141/czj")]


# -- several events in one transaction ------------------------------------------------------------

def test_a_year_in_one_transaction_ends_where_it_should(store, runtime):
    register_for_year(runtime, "16-1-155")
    with store.write() as tx:
        for suffix, user, event, data, at in YEAR:
            runtime.fire_in(tx, "16-1-155" + suffix, event, user, data, at)
    assert [(ref, item(store, "16-1-155" + ref).state) for ref in ("", "/czj", "/jyj")] == [
        ("", "closed"), ("/czj", "done"), ("/jyj", "assigned")]
    # the item's own rows, then /czj's (created, sign_for, submit_opinion) and /jyj's (created)
    rows = [row["ref"][len("16-1-155"):] for row in log(store) if row["ref"].startswith("16-1-155")]
    assert rows == [""] * (len(YEAR) - 1) + ["/czj"] * 3 + ["/jyj"]
    assert verified(store)


def test_a_refused_event_in_one_transaction_leaves_nothing_of_the_others(store, runtime):
    register_for_year(runtime, "16-1-160")
    before = counts(store)
    with pytest.raises(NotAllowedNow, match="'urge' is not possible"):
        with store.write() as tx:
            for suffix, user, event, data, at in YEAR[:4]:
                runtime.fire_in(tx, "16-1-160" + suffix, event, user, data, at)
            runtime.fire_in(tx, "16-1-160", "urge", "wang", {}, "2026-01-10T09:00")
    assert counts(store) == before
    assert events(store, "16-1-160") == ["created"]
    assert verified(store)


def test_the_row_read_after_each_event_is_the_row_the_event_made(store, runtime):
    """What a later transaction reads back is, column for column, the row the runtime made."""
    register_for_year(runtime, "16-1-175")
    for suffix, user, event, data, at in YEAR:
        with store.write() as tx:
            runtime.fire_in(tx, "16-1-175" + suffix, event, user, data, at)
            made = tx.item("16-1-175" + suffix)  # the row as the transaction keeps it: not read back
        with store.read() as tx:
            assert tx.item("16-1-175" + suffix) == made, event
    assert verified(store)


def test_a_trace_seq_taken_by_another_writer_runs_the_event_again(store, runtime):
    """The store's last safety net, through the port: a second row with a seq the item has is a
    Retry (now or at the commit), and nothing of the transaction stays."""
    register_for_year(runtime, "16-1-180")
    with pytest.raises(Retry):
        with store.write() as tx:
            fired = runtime.fire_in(tx, "16-1-180", "sort", "reg", {"category": "城市建设"}, None)
            tx.append_trace(tx.item("16-1-180").id, {
                "ref": "16-1-180", "seq": fired.seq, "event": "sort", "from_state": "registered",
                "to_state": "sorted", "actor": "reg", "occurred_at": fired.occurred_at,
                "recorded_at": fired.occurred_at, "data": "{}", "def_hash": "x", "prev_hash": GENESIS, "hash": "y"})
    assert events(store, "16-1-180") == ["created"]
    assert runtime.fire("16-1-180", "sort", "reg", {"category": "城市建设"}).seq == 2
    assert verified(store)
