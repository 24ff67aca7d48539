"""Campaigns that act, on every backend: a selection's kind is recorded when the campaign
picks the item, an outcome its kind does not allow is refused with nothing written, and an
outcome with a `then` event reopens the closed item — with a fresh deadline — in the same
transaction, traced as the system."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from banli.engine.campaigns import open_campaign, summarise
from banli.engine.definitions import register_text
from banli.engine.parse import parse_text
from banli.engine.runtime import Runtime
from banli.errors import DefinitionErrors, InvalidInput
from tests.unit.conftest import item, log, verified

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSED_AT = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
OPENS = datetime(2026, 3, 16, 9, tzinfo=SHANGHAI)
REPORTED = datetime(2026, 3, 20, 10, tzinfo=SHANGHAI)

LOOKBACK = """
id: lookback-test
title: 回头看测试
fields:
  session: {type: text}
  lead_unit: {type: unit}
  rating: {type: choice, choices: [满意, 基本满意, 不满意], outcome: true}
  result: {type: choice, choices: [已落实, 责成重新办理, 已再次沟通, 已解释到位], outcome: true}
states:
  handling: {initial: true}
  rehandling: {deadline: {after: 1 months, from: enter}}
  awaiting: {deadline: {after: 20 workdays, from: enter}}
  closed: {final: true}
events:
  close: {from: [handling, rehandling], to: closed, roles: [supervisor], data: [rating]}
  rate_again: {from: awaiting, to: closed, roles: [supervisor], data: [rating]}
  look: {from: closed, internal: true, roles: [system], data: {kind: {}}}
  report: {from: closed, internal: true, roles: [lead_unit, supervisor], data: {result: {required: true}}}
  redo: {label: 责成重新办理, from: closed, to: rehandling, reopen: true, roles: [system]}
  meet: {label: 再次沟通, from: closed, to: awaiting, reopen: true, roles: [system]}
campaigns:
  lookback:
    label: 回头看
    select:
      - {state: closed, when: {rating: 不满意}, kind: 不满意, outcomes: [责成重新办理, 已解释到位]}
      - {state: closed, when: {rating: 基本满意}, kind: 基本满意, outcomes: [已再次沟通]}
      - {state: closed, kind: 其他, outcomes: [已落实]}
    fire: look
    result: report
    outcome: result
    then: {责成重新办理: redo, 已再次沟通: meet}
"""
RATINGS = {"L-1": "不满意", "L-2": "基本满意", "L-3": "满意"}


@pytest.fixture
def looked_at(make_store):
    """Three closed items, one of each kind, selected by the look-back."""
    store = make_store()
    runtime = Runtime(store, now=lambda: datetime(2026, 6, 1, 12, tzinfo=SHANGHAI))
    register_text(store, LOOKBACK, "lookback-test.yaml", "test")
    for ref, rating in RATINGS.items():
        runtime.create(workflow_id="lookback-test", ref=ref, title=f"建议{ref}", actor="wang",
                       fields={"session": "16-1", "lead_unit": "zjj"}, at=CLOSED_AT - timedelta(days=30))
        runtime.fire(ref, "close", "wang", {"rating": rating}, at=CLOSED_AT)
    opened = open_campaign(runtime, "lookback", session="16-1", at=OPENS)
    assert opened["by_kind"] == {"不满意": 1, "基本满意": 1, "其他": 1}
    return store, runtime


def test_the_first_selection_an_item_matches_gives_its_kind_in_the_trace(looked_at):
    store, _runtime = looked_at
    kinds = {ref: next(row["data"].get("kind") for row in log(store, ref) if row["event"] == "look")
             for ref in RATINGS}
    assert kinds == {"L-1": "不满意", "L-2": "基本满意", "L-3": "其他"}


def test_an_unsatisfied_items_outcome_reopens_it_for_handling_with_a_fresh_deadline(looked_at):
    store, runtime = looked_at
    fired = runtime.fire("L-1", "report", "li", {"result": "责成重新办理"}, at=REPORTED)

    assert (fired.event, fired.from_state, fired.to_state) == ("report", "closed", "rehandling")
    reopened = item(store, "L-1")
    assert reopened.state == "rehandling" and fired.version == reopened.version
    # a month from the day it was reopened (20 March): the end of 20 April in Shanghai
    assert reopened.deadline.startswith("2026-04-20T16:00")
    rows = log(store, "L-1")[-2:]
    assert [(row["event"], row["actor"], row["from"], row["to"]) for row in rows] == [
        ("report", "li", "closed", "closed"), ("redo", "system", "closed", "rehandling")]
    assert rows[0]["occurred_at"] == rows[1]["occurred_at"]
    # handled again, it closes again; its task keeps the outcome
    runtime.fire("L-1", "close", "wang", {"rating": "基本满意"}, at=REPORTED + timedelta(days=10))
    assert item(store, "L-1").state == "closed"
    [summary] = summarise(store, "lookback")
    assert summary["by_outcome"] == {"责成重新办理": 1} and "L-1" not in summary["open_items"]
    assert verified(store)


def test_a_basically_satisfied_item_goes_back_to_the_deputy_to_rate_again(looked_at):
    store, runtime = looked_at
    fired = runtime.fire("L-2", "report", "wang", {"result": "已再次沟通"}, at=REPORTED)

    assert fired.to_state == "awaiting" and item(store, "L-2").deadline is not None
    runtime.fire("L-2", "rate_again", "wang", {"rating": "满意"}, at=REPORTED + timedelta(days=3))
    assert (item(store, "L-2").state, item(store, "L-2").fields["rating"]) == ("closed", "满意")


def test_an_outcome_without_then_leaves_the_item_closed(looked_at):
    store, runtime = looked_at
    fired = runtime.fire("L-3", "report", "wang", {"result": "已落实"}, at=REPORTED)

    assert fired.to_state == "closed" and [row["event"] for row in log(store, "L-3")][-1] == "report"


def test_an_outcome_the_items_kind_does_not_allow_is_refused_and_nothing_is_written(looked_at):
    store, runtime = looked_at
    before = len(log(store, "L-3"))

    with pytest.raises(InvalidInput) as refused:
        runtime.fire("L-3", "report", "wang", {"result": "责成重新办理"}, at=REPORTED)

    assert str(refused.value.message) == ("'report' on L-3: '责成重新办理' is not an outcome of a 其他 item in 回头看; "
                                          "choose 已落实")
    assert refused.value.exit_code == 3
    assert item(store, "L-3").state == "closed" and len(log(store, "L-3")) == before
    [summary] = summarise(store, "lookback")
    assert "L-3" in summary["open_items"] and summary["done"] == 0
    with pytest.raises(InvalidInput, match="choose 责成重新办理 or 已解释到位"):
        runtime.fire("L-1", "report", "wang", {"result": "已再次沟通"}, at=REPORTED)
    assert item(store, "L-1").state == "closed"


def test_the_summary_counts_each_kind_and_the_outcomes_that_reopened(looked_at):
    store, runtime = looked_at
    runtime.fire("L-1", "report", "li", {"result": "责成重新办理"}, at=REPORTED)
    runtime.fire("L-2", "report", "wang", {"result": "已再次沟通"}, at=REPORTED)

    [summary] = summarise(store, "lookback")
    assert summary["by_kind"] == {"不满意": {"selected": 1, "done": 1, "reopened": 1},
                                  "基本满意": {"selected": 1, "done": 1, "reopened": 1},
                                  "其他": {"selected": 1, "done": 0, "reopened": 0}}
    assert summary["reopened"] == {"责成重新办理": 1, "已再次沟通": 1}
    [earlier] = summarise(store, "lookback", as_of=REPORTED - timedelta(hours=1))
    assert earlier["reopened"] == {} and earlier["by_kind"]["不满意"]["done"] == 0


def test_only_an_event_marked_reopen_may_leave_a_final_state():
    without = LOOKBACK.replace("to: rehandling, reopen: true", "to: rehandling")
    with pytest.raises(DefinitionErrors) as raised:
        parse_text(without, "lookback-test.yaml")
    assert [problem.message for problem in raised.value.problems] == [
        "event 'redo' leaves final state 'closed'; a final state is never left "
        "(make the event internal, or mark it 'reopen: true')"]
    stray = LOOKBACK.replace("close: {from: [handling, rehandling], to: closed,",
                             "close: {from: [handling, rehandling], to: closed, reopen: true,")
    with pytest.raises(DefinitionErrors, match="'reopen: true' is for an event that leaves a final state"):
        parse_text(stray, "lookback-test.yaml")
    assert parse_text(LOOKBACK).events["redo"].reopen


# -- the built-in look-back (npc-suggestion) ---------------------------------------------------

REPLY = {"result_class": "C", "text": "张三代表：您好！因受现行政策限制，暂时难以解决。", "signer": "王局长",
         "contact_person": "李科长"}


def _unsatisfied_twice(runtime, ref: str) -> None:
    """A C-class suggestion rated 不满意, handled again and still 不满意: closed by 10 June 2026."""
    from tests.unit.steps import assigned_on

    assigned_on(runtime, ref, "2026-03-02")
    for user, event, data, at in [
        ("li", "reply", REPLY, "2026-04-01T09:00"), ("wang", "accept_reply", {}, "2026-04-02T09:00"),
        ("zhang", "rate", {"rating": "不满意"}, "2026-04-10T09:00"),
        ("li", "reply", REPLY, "2026-05-06T09:00"), ("wang", "accept_reply", {}, "2026-05-07T09:00"),
        ("zhang", "rate_again", {"rating": "不满意"}, "2026-05-12T09:00"),
    ]:
        runtime.fire(ref, event, user, data, at=at)


def test_the_built_in_look_back_hands_an_unsatisfied_suggestion_back_for_handling(make_store):
    store = make_store()
    runtime = Runtime(store, now=lambda: datetime(2026, 9, 1, 12, tzinfo=SHANGHAI))
    _unsatisfied_twice(runtime, "16-1-001")
    _unsatisfied_twice(runtime, "16-1-002")
    assert item(store, "16-1-001").state == "closed"
    opened = open_campaign(runtime, "lookback", session=None, at=datetime(2026, 6, 1, 9, tzinfo=SHANGHAI))
    assert opened["by_kind"] == {"不满意": 2}

    with pytest.raises(InvalidInput, match="'已落实' is not an outcome of a 不满意 item in 回头看; "
                                           "choose 责成重新办理 or 已解释到位"):
        runtime.fire("16-1-002", "lookback_result", "li", {"lookback_outcome": "已落实"}, at="2026-06-05T09:00")
    runtime.fire("16-1-002", "lookback_result", "li", {"lookback_outcome": "已解释到位"}, at="2026-06-05T09:00")
    assert item(store, "16-1-002").state == "closed"

    fired = runtime.fire("16-1-001", "lookback_result", "li", {"lookback_outcome": "责成重新办理"},
                         at="2026-06-05T09:00")
    assert fired.to_state == "rehandling"
    reopened = item(store, "16-1-001")
    assert reopened.deadline.startswith("2026-07-05T16:00")  # rehandle_within: a month, counted afresh
    assert [row["event"] for row in log(store, "16-1-001")][-2:] == ["lookback_result", "lookback_rehandle"]
    # handled again to the end: replied, reviewed, rated again
    runtime.fire("16-1-001", "reply", "li", REPLY, at="2026-06-20T09:00")
    assert runtime.fire("16-1-001", "accept_reply", "wang", {}, at="2026-06-21T09:00").to_state == "awaiting_final_feedback"
    assert runtime.fire("16-1-001", "rate_again", "zhang", {"rating": "基本满意"},
                        at="2026-06-25T09:00").to_state == "closed"
    assert verified(store)
