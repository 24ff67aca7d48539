"""Expressions through the runtime, on every backend (the in-memory twin, SQLite, PostgreSQL
when BANLI_TEST_PG is set): count() reads the item's trace — the event being fired counts in
its branches, not in its guards —, a guard written as a condition refuses with its message
(exit 5, also in `can`), a branch sees the event's own data, and a campaign selects by count."""

from __future__ import annotations

from pathlib import Path

import pytest

from banli.engine.campaigns import open_campaign
from banli.engine.definitions import register_file
from banli.engine.runtime import Runtime
from banli.errors import NotAllowedNow
from tests.unit.conftest import events, item

ROUNDS = Path(__file__).resolve().parents[1] / "definitions" / "good" / "rounds-expressions.yaml"


@pytest.fixture
def rounds(store):
    register_file(store, ROUNDS, "test")
    return store


def new_item(runtime, clock, ref: str) -> None:
    runtime.create(workflow_id="rounds-expressions", ref=ref, title="关于加强物业管理的建议", actor="wang",
                   deputies=["张三"])
    step(runtime, clock, ref, "wang", "assign", {"lead_unit": "zjj"})


def step(runtime, clock, ref: str, user: str, event: str, data: dict | None = None):
    clock.advance(hours=1)
    return runtime.fire(ref, event, user, data or {})


def reply(runtime, clock, ref: str, **data) -> None:
    step(runtime, clock, ref, "li", "reply", {"result_class": "A", "text": "张三代表：……", **data})


def test_a_second_unsatisfied_rating_goes_to_supervision_not_another_round(rounds, runtime, clock):
    new_item(runtime, clock, "R-1")
    reply(runtime, clock, "R-1")
    assert step(runtime, clock, "R-1", "wang", "rate", {"rating": "不满意"}).to_state == "handling"  # count('rate') == 1
    reply(runtime, clock, "R-1")
    assert step(runtime, clock, "R-1", "wang", "rate", {"rating": "不满意"}).to_state == "supervised"  # now 2
    assert events(rounds, "R-1").count("rate") == 2


def test_rounds_in_one_transaction_count_the_rows_not_yet_written(rounds, runtime, clock):
    """A transaction may hold its trace rows back (replay --atomic): count() still sees them."""
    new_item(runtime, clock, "R-2")
    with rounds.write() as tx:
        for event, user, data in [("reply", "li", {"result_class": "A", "text": "t"}), ("rate", "wang", {"rating": "不满意"}),
                                  ("reply", "li", {"result_class": "A", "text": "t"})]:
            runtime.fire_in(tx, "R-2", event, user, data, None)
        last = runtime.fire_in(tx, "R-2", "rate", "wang", {"rating": "不满意"}, None)
    assert last.to_state == "supervised" and item(rounds, "R-2").state == "supervised"


def test_a_condition_guard_refuses_with_its_message_and_can_says_why(rounds, runtime, clock):
    new_item(runtime, clock, "R-3")
    for _round in range(2):  # the guard sees the returns before this one: 0, then 1
        reply(runtime, clock, "R-3")
        assert step(runtime, clock, "R-3", "wang", "return_reply", {"reason": "答复过于简单"}).to_state == "handling"
    reply(runtime, clock, "R-3")
    with pytest.raises(NotAllowedNow, match="答复已经退回两次，请改为督办") as refused:
        step(runtime, clock, "R-3", "wang", "return_reply", {})  # refused before its missing data (SPEC §4)
    assert refused.value.exit_code == 5
    answer = next(entry for entry in runtime.can("R-3", "wang") if entry["event"] == "return_reply")
    assert not answer["allowed"] and "答复已经退回两次" in answer["reason"]
    assert step(runtime, clock, "R-3", "wang", "supervise").to_state == "supervised"
    assert events(rounds, "R-3").count("return_reply") == 2


def test_a_branch_sees_fields_after_the_data_and_the_events_own_data(rounds, runtime, clock):
    for ref, data, rating, comment, state in [
        ("R-4", {"result_class": "B", "promised_on": "2026-12-31"}, "满意", None, "tracking"),  # B with a date
        ("R-5", {"result_class": "B"}, "满意", None, "closed"),  # B without a date
        ("R-6", {}, "基本满意", "希望尽快落实路灯维修", "tracking"),  # a comment of 10 characters or more
        ("R-7", {}, "基本满意", "好", "closed"),
    ]:
        new_item(runtime, clock, ref)
        reply(runtime, clock, ref, **data)
        rating_data = {"rating": rating, **({"comment": comment} if comment else {})}
        assert step(runtime, clock, ref, "wang", "rate", rating_data).to_state == state, ref


def test_a_campaign_selects_by_count_of_past_events(rounds, clock):
    runtime = Runtime(rounds, now=clock)
    for ref, urges, result in [("R-8", 2, "A"), ("R-9", 1, "A"), ("R-10", 0, "C")]:
        new_item(runtime, clock, ref)
        for _ in range(urges):
            step(runtime, clock, ref, "wang", "urge")
        reply(runtime, clock, ref, result_class=result)
        step(runtime, clock, ref, "wang", "rate", {"rating": "满意"})
    clock.advance(hours=1)
    report = open_campaign(runtime, "lookback", session=None, at=clock())
    assert sorted(report["items"]) == ["R-10", "R-8"]  # urged twice, or C-class; not R-9
    assert events(rounds, "R-8")[-1] == "lookback_open" and events(rounds, "R-9")[-1] == "rate"


def test_the_built_in_workflows_keep_their_mapping_conditions(store):
    """Existing definitions are unchanged in meaning: their `when`s are still tuple checks."""
    for workflow in store.workflows.latest():
        for event in workflow.definition.events.values():
            for branch in event.branches:
                assert isinstance(branch.when, tuple), (workflow.definition.id, event.name)
