"""The runtime against a real database: one transaction per event, effects that fail leave
nothing behind, co-unit tasks gate the reply, deadlines follow the definition."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from banli.engine import registry
from banli.engine.definitions import register_text
from banli.errors import InvalidInput, NotAllowedNow
from banli.store.audit import log, verify


@registry.effect("explode_on_purpose")
def _explode(ctx, **_params):
    ctx.runtime.create_in(ctx.tx, workflow=ctx.runtime.store.workflows.get("unit-task"), ref=ctx.item.ref + "/zjj",
                          title="half-made child", actor=ctx.actor, deputies=[], fields={"lead_unit": "zjj"})
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


def counts(store) -> tuple[int, int]:
    with store.engine.connect() as connection:
        return (connection.execute(text("SELECT count(*) FROM item")).scalar(),
                connection.execute(text("SELECT count(*) FROM trace")).scalar())


def test_failing_effect_leaves_nothing_behind(store, runtime):
    register_text(store, FRAGILE, "fragile.yaml", "test")
    runtime.create(workflow_id="fragile", ref="F-1", title="t", actor="wang")
    before = counts(store)
    with pytest.raises(RuntimeError, match="effect failed"):
        runtime.fire("F-1", "finish", "wang")
    assert counts(store) == before  # neither the child the effect wrote nor a trace row
    assert [row["event"] for row in log(store, "F-1")] == ["created"]
    assert verify(store)["ok"]


def walk(runtime, clock, ref, steps):
    for user, event, data in steps:
        clock.advance(hours=2)
        runtime.fire(ref, event, user, data)


def test_co_units_work_through_child_items(store, runtime, clock):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-073", title="关于多部门联合加强电动车治理的建议",
                   actor="reg", deputies=["张三", "李四"], fields={"category": "工交财贸"})
    walk(runtime, clock, "16-1-073", [
        ("reg", "sort", {"category": "工交财贸"}), ("reg", "review", {}), ("reg", "audit", {}), ("npc", "approve", {}),
        ("wang", "assign", {"lead_unit": "zjj", "co_units": "czj,jyj", "mode": "会办"}),
        ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}),
    ])
    from banli.store.queries import show_item

    shown = show_item(store, "16-1-073", as_of=clock.now)
    assert [(a["unit"], a["role"], a["child"]) for a in shown["assignments"]] == [
        ("zjj", "lead", None), ("czj", "co", "16-1-073/czj"), ("jyj", "co", "16-1-073/jyj")]
    assert {c["ref"]: c["state"] for c in shown["children"]} == {"16-1-073/czj": "assigned", "16-1-073/jyj": "assigned"}
    reply = {"result_class": "B", "text": "张三、李四代表：您好！", "signer": "王局长", "contact_person": "李科长"}
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
    walk(runtime, clock, "16-1-090", [("li", "reply", {**reply, "result_class": "B"}), ("wang", "accept_reply", {})])
    fired = runtime.fire("16-1-090", "rate_again", "zhang", {"rating": "基本满意"})
    assert fired.to_state == "closed"
    events = [row["event"] for row in log(store, "16-1-090")]
    assert events.count("reply") == 2 and events[-1] == "rate_again"


def test_deadline_is_three_months_after_assignment(store, runtime, clock):
    from datetime import datetime, timezone

    from banli.store.queries import show_item

    clock.now = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
    runtime.create(workflow_id="npc-suggestion", ref="16-1-120", title="关于城区停车难的建议", actor="reg",
                   deputies=["李四"], fields={"category": "城市建设"})
    walk(runtime, clock, "16-1-120", [
        ("reg", "sort", {"category": "城市建设"}), ("reg", "review", {}), ("reg", "audit", {}), ("npc", "approve", {}),
    ])
    clock.now = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
    runtime.fire("16-1-120", "assign", "wang", {"lead_unit": "zjj", "mode": "单独办理"}, at="2026-05-27T09:00")
    runtime.fire("16-1-120", "sign_for", "li", {"leader": "王局长", "handler": "李科长"}, at="2026-05-28T09:00")
    shown = show_item(store, "16-1-120", as_of=clock.now)
    assert shown["deadline"] == "2026-08-28T00:00:00+08:00"  # end of 27 August, local time
    assert not shown["overdue"]
    late = show_item(store, "16-1-120", as_of=datetime(2026, 8, 28, 1, 0, tzinfo=timezone.utc))
    assert late["overdue"]


def test_data_is_typed_and_checked(store, runtime, clock):
    runtime.create(workflow_id="npc-suggestion", ref="16-1-130", title="t", actor="reg", deputies=["张三"],
                   fields={"category": "城市建设"})
    walk(runtime, clock, "16-1-130", [("reg", "sort", {"category": "城市建设"}), ("reg", "review", {}),
                                      ("reg", "audit", {}), ("npc", "approve", {})])
    with pytest.raises(InvalidInput, match="no unit 'nosuch'"):
        runtime.fire("16-1-130", "assign", "wang", {"lead_unit": "nosuch", "mode": "单独办理"})
    with pytest.raises(InvalidInput, match="must be one of 单独办理, 会办, 分办"):
        runtime.fire("16-1-130", "assign", "wang", {"lead_unit": "zjj", "mode": "alone"})
    fired = runtime.fire("16-1-130", "assign", "wang", {"lead_unit": "zjj", "co_units": "czj，jyj", "mode": "会办"})
    assert fired.seq == 6  # the refused attempts left no trace
    from banli.store.queries import show_item

    assert show_item(store, "16-1-130", as_of=clock.now)["fields"]["co_units"] == ["czj", "jyj"]


def test_unknown_deputy_is_refused_with_a_suggestion(runtime):
    with pytest.raises(InvalidInput, match="did you mean 张三"):
        runtime.create(workflow_id="npc-suggestion", ref="16-1-131", title="t", actor="reg", deputies=["张二"],
                       fields={"category": "城市建设"})


def to_assigned(runtime, clock, ref, co_units="czj"):
    runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于县城供水管网改造的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设"}, at="2026-01-05T09:00")
    for user, event, data, at in [("reg", "sort", {"category": "城市建设"}, "2026-01-06T09:00"),
                                  ("reg", "review", {}, "2026-01-07T09:00"), ("reg", "audit", {}, "2026-01-08T09:00"),
                                  ("npc", "approve", {}, "2026-01-09T09:00"),
                                  ("wang", "assign", {"lead_unit": "zjj", "co_units": co_units, "mode": "会办"},
                                   "2026-03-02T09:00")]:
        runtime.fire(ref, event, user, data, at=at)


def test_window_is_judged_at_the_events_own_time(store, runtime, clock):
    to_assigned(runtime, clock, "16-1-140")  # assigned Monday 2 March 2026: 5 workdays → Monday 9 March
    # recorded months later, the change request made on 6 March is within its window …
    assert runtime.fire("16-1-140", "request_change", "li", {"reason": "职责不符"}, at="2026-03-06T10:00").to_state \
        == "change_requested"
    runtime.fire("16-1-140", "reject_change", "wang", {"reason": "属于本单位职责"}, at="2026-03-07T10:00")
    # … while one made on 20 March, after the window of the renewed assignment, is refused
    with pytest.raises(NotAllowedNow, match="window is closed"):
        runtime.fire("16-1-140", "request_change", "li", {"reason": "职责不符"}, at="2026-03-20T10:00")


def test_a_co_unit_taken_off_the_item_no_longer_holds_up_the_reply(store, runtime, clock):
    to_assigned(runtime, clock, "16-1-141", co_units="czj,jyj")
    runtime.fire("16-1-141", "request_change", "li", {"reason": "协办单位有误"}, at="2026-03-03T09:00")
    runtime.fire("16-1-141", "approve_change", "wang", {"lead_unit": "zjj", "co_units": "czj"}, at="2026-03-04T09:00")
    runtime.fire("16-1-141", "sign_for", "li", {"leader": "王局长", "handler": "李科长"}, at="2026-03-05T09:00")
    for user, event, data in [("zhao", "sign_for", {"leader": "赵局长", "handler": "钱科长"}),
                              ("zhao", "submit_opinion", {"text": "同意"})]:
        runtime.fire("16-1-141/czj", event, user, data, at="2026-03-06T09:00")
    reply = {"result_class": "A", "text": "张三代表：您好！", "signer": "王局长", "contact_person": "李科长"}
    assert runtime.fire("16-1-141", "reply", "li", reply, at="2026-03-10T09:00").to_state == "replied"


# A year of one suggestion, with co-units, a change request judged in its window, an extension
# that still holds when the reply is sent back, and a rating: (ref suffix, user, event, data, at).
YEAR = [
    ("", "reg", "sort", {"category": "城市建设"}, "2026-01-06T09:00"),
    ("", "reg", "review", {}, "2026-01-07T09:00"), ("", "reg", "audit", {}, "2026-01-08T09:00"),
    ("", "npc", "approve", {}, "2026-01-09T09:00"),
    ("", "wang", "assign", {"lead_unit": "zjj", "co_units": "czj,jyj", "mode": "会办"}, "2026-03-02T09:00"),
    ("", "li", "request_change", {"reason": "协办单位有误"}, "2026-03-03T09:00"),
    ("", "wang", "approve_change", {"lead_unit": "zjj", "co_units": "czj"}, "2026-03-04T09:00"),
    ("", "li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-03-05T09:00"),
    ("", "wang", "urge", {"note": "请抓紧"}, "2026-03-06T09:00"),
    ("", "wang", "grant_extension", {"extend_by": "1 months"}, "2026-03-09T09:00"),
    ("/czj", "zhao", "sign_for", {"leader": "赵局长", "handler": "钱科长"}, "2026-03-10T09:00"),
    ("/czj", "zhao", "submit_opinion", {"text": "同意"}, "2026-03-11T09:00"),
    ("", "li", "contact", {"method": "phone", "stage": "before"}, "2026-03-12T09:00"),
    ("", "li", "reply", {"result_class": "A", "text": "张三、李四代表：您好！", "signer": "王局长",
                         "contact_person": "李科长"}, "2026-03-13T09:00"),
    ("", "wang", "return_reply", {"reason": "答复不完整"}, "2026-03-16T09:00"),
    ("", "li", "reply", {"result_class": "B", "text": "张三、李四代表：您好！", "signer": "王局长",
                         "contact_person": "李科长"}, "2026-03-17T09:00"),
    ("", "wang", "accept_reply", {}, "2026-03-18T09:00"),
    ("", "zhang", "rate", {"rating": "满意"}, "2026-03-19T09:00"),
]
# Assigned to one unit and signed for at once: the deadline of `handling` counts from `assign`,
# whose row the transaction may still hold back when `sign_for` looks for it.
ALONE = YEAR[:4] + [
    ("", "wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}, "2026-03-02T09:00"),
    ("", "li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-03-03T09:00"),
    ("", "wang", "grant_extension", {"extend_by": "1 months"}, "2026-03-04T09:00"),
    ("", "li", "contact", {"method": "phone"}, "2026-03-05T09:00"),
]
ITEM_COLUMNS = ("state", "version", "seq", "fields", "created_at", "entered_at", "last_at", "deadline",
                "deadline_basis", "entered_seq", "next_due_at")


def register_for_year(runtime, ref: str) -> None:
    runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于县城供水管网改造的建议", actor="reg",
                   deputies=["张三", "李四"], fields={"category": "城市建设"}, at="2026-01-05T09:00")


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


def test_a_year_in_one_transaction_ends_where_it_should(store, runtime):
    register_for_year(runtime, "16-1-155")
    with store.write() as tx:
        for suffix, user, event, data, at in YEAR:
            runtime.fire_in(tx, "16-1-155" + suffix, event, user, data, at)
    found = written(store, "16-1-155")
    assert [(row[0], row[1]) for row in found["items"]] == [("", "closed"), ("/czj", "done"), ("/jyj", "assigned")]
    # the item's own rows, then /czj's (created, sign_for, submit_opinion) and /jyj's (created)
    assert [row[0] for row in found["trace"]] == [""] * (len(YEAR) - 1) + ["/czj"] * 3 + ["/jyj"]


def test_a_refused_event_in_one_transaction_leaves_nothing_of_the_others(store, runtime):
    register_for_year(runtime, "16-1-160")
    before = counts(store)
    with pytest.raises(NotAllowedNow, match="'urge' is not possible"):
        with store.write() as tx:
            for suffix, user, event, data, at in YEAR[:4]:
                runtime.fire_in(tx, "16-1-160" + suffix, event, user, data, at)
            runtime.fire_in(tx, "16-1-160", "urge", "wang", {}, "2026-01-10T09:00")
    assert counts(store) == before
    assert [row["event"] for row in log(store, "16-1-160")] == ["created"]
    assert verify(store)["ok"]


def test_an_item_changed_by_another_writer_is_run_again(store, runtime, clock):
    """The held-back update still carries the version the item was read at: if the row changed
    meanwhile (here by hand, as a writer ignoring the lock would), the event is run again."""
    from banli.errors import Retry

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


def test_the_row_read_after_each_event_is_the_row_the_event_made(store, runtime):
    """An update names only the columns an event changed (state, deadline, fields, reminders…):
    what a later transaction reads back is, column for column, the row the runtime made."""
    register_for_year(runtime, "16-1-175")
    for suffix, user, event, data, at in YEAR:
        with store.write() as tx:
            runtime.fire_in(tx, "16-1-175" + suffix, event, user, data, at)
            made = tx.item("16-1-175" + suffix)  # the row as the transaction keeps it: not read back
        with store.read() as tx:
            assert tx.item("16-1-175" + suffix) == made, event
    assert verify(store)["ok"]


def test_a_trace_row_appended_first_by_another_writer_runs_the_event_again(store, runtime):
    """UNIQUE(item_id, seq) is the last safety net: a clash when the held-back rows are written
    is a retry, like a lost version check, and nothing of the event stays."""
    from banli.errors import Retry

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
