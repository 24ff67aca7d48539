"""Per-unit scores (report units) from the npc-suggestion `scoring` rules: exact points for a
unit that replied on time to a satisfied deputy and one that was urged, replied late and
left its deputy unsatisfied; every point traced to its trace row; the demo year adds up."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from banli.cli import Settings
from banli.cli.report_extra import units as units_command
from banli.errors import NotFound
from banli.reports.ledger import build_ledger
from banli.reports.scores import build_scores
from banli.store.audit import log
from tests.integration.handling import AFTER_THE_YEAR, assigned, reply, then


@pytest.fixture
def year(runtime, clock):
    """16-1-001: 县住建局 replies on time (10 August), 张三 satisfied.
    16-1-002: 县财政局 urged (29 August), replies late (30 August), 李四 unsatisfied (31 August);
    re-handled, it replies again on time (20 September) and 李四 is satisfied the second time."""
    clock.now = AFTER_THE_YEAR
    assigned(runtime, "16-1-001", unit="zjj")  # the reply is due by the end of 27 August
    then(runtime, "16-1-001", (*reply("zjj"), "2022-08-10T10:00"), ("wang", "accept_reply", {}, "2022-08-11T10:00"),
         ("zhang", "rate", {"rating": "满意"}, "2022-08-15T10:00"))
    assigned(runtime, "16-1-002", unit="czj", deputy="李四")
    then(runtime, "16-1-002", ("wang", "urge", {"note": "已逾期"}, "2022-08-29T09:00"),
         (*reply("czj", "李四"), "2022-08-30T10:00"), ("wang", "accept_reply", {}, "2022-08-31T09:00"),
         ("lisi", "rate", {"rating": "不满意"}, "2022-08-31T15:00"),  # re-handling: due by 30 September
         (*reply("czj", "李四"), "2022-09-20T10:00"), ("wang", "accept_reply", {}, "2022-09-21T10:00"),
         ("lisi", "rate_again", {"rating": "满意"}, "2022-09-25T10:00"))
    return runtime


def by_unit(scores) -> dict:
    return {score.unit: score for score in scores}


def seqs(store, ref: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for row in log(store, ref):
        found.setdefault(row["event"], []).append(row["seq"])
    return found


def test_each_point_is_a_traced_event_and_they_add_up_to_the_score(store, year):
    scores = by_unit(build_scores(store))

    assert {unit: score.score for unit, score in scores.items()} == {"zjj": 4, "czj": -3}
    assert [score.unit for score in build_scores(store)] == ["zjj", "czj"]  # highest first
    assert scores["zjj"].name == "县住建局" and scores["czj"].name == "县财政局"
    first, second = seqs(store, "16-1-001"), seqs(store, "16-1-002")
    assert [(a.ref, a.seq, a.event, a.rule, a.points) for a in scores["zjj"].awards] == [
        ("16-1-001", first["reply"][0], "reply", "按时答复", 2),
        ("16-1-001", first["rate"][0], "rate", "代表满意", 2)]
    assert [(a.ref, a.seq, a.event, a.rule, a.points) for a in scores["czj"].awards] == [
        ("16-1-002", second["urge"][0], "urge", "被催办", -1),
        ("16-1-002", second["reply"][0], "reply", "逾期答复", -2),
        # judged on the rating given then, although the item's rating is now 满意
        ("16-1-002", second["rate"][0], "rate", "代表不满意", -3),
        ("16-1-002", second["reply"][1], "reply", "按时答复", 2),  # by the re-handling deadline
        ("16-1-002", second["rate_again"][0], "rate_again", "重办后代表满意", 1)]
    for score in scores.values():
        assert sum(award.points for award in score.awards) == score.score
    traced = {(row["ref"], row["seq"]): row for row in log(store)}
    for award in scores["czj"].awards + scores["zjj"].awards:
        assert traced[(award.ref, award.seq)]["event"] == award.event
        assert traced[(award.ref, award.seq)]["occurred_at"] == award.occurred_at


def test_points_go_to_the_unit_that_led_the_item_then_and_extensions_count(store, runtime, clock, year):
    """16-1-003: urged while with 县教育局, which asks for another unit; 县住建局 takes it over,
    is granted one more month and replies after the original deadline but within the extension."""
    assigned(runtime, "16-1-003", unit="jyj", signed=False)
    then(runtime, "16-1-003", ("wang", "urge", {}, "2022-05-28T09:00"),
         ("sun", "request_change", {"reason": "不属于本单位职责"}, "2022-05-30T09:00"),
         ("wang", "approve_change", {"lead_unit": "zjj"}, "2022-05-31T09:00"),
         ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2022-06-01T09:00"),
         ("li", "request_extension", {"reason": "需协调资金", "extend_by": "1 months"}, "2022-08-20T09:00"),
         ("wang", "grant_extension", {"extend_by": "1 months"}, "2022-08-22T09:00"),
         (*reply("zjj"), "2022-09-10T10:00"))

    scores = by_unit(build_scores(store))

    assert [(a.ref, a.event, a.points) for a in scores["jyj"].awards] == [("16-1-003", "urge", -1)]
    assert [(a.ref, a.event, a.rule) for a in scores["zjj"].awards if a.ref == "16-1-003"] == [
        ("16-1-003", "reply", "按时答复")]
    assert scores["zjj"].score == 6
    ledger = {row.ref: row for row in build_ledger(store, as_of=AFTER_THE_YEAR).rows}
    assert ledger["16-1-003"].overdue_days == 0 and ledger["16-1-002"].overdue_days == 0  # the ledger agrees
    only = build_scores(store, unit="县教育局")  # by name or id
    assert [(score.unit, score.score) for score in only] == [("jyj", -1)]
    idle = build_scores(store, unit="rd-xgw")  # a unit that led nothing: 0, no events
    assert [(score.unit, score.score, score.awards) for score in idle] == [("rd-xgw", 0, ())]
    with pytest.raises(NotFound, match="no unit 'xyz'"):
        build_scores(store, unit="xyz")
    with pytest.raises(NotFound, match="no items of session '16-2'"):
        build_scores(store, session="16-2")


def test_report_units_json_lists_each_units_events(db_url, store, year):
    result = CliRunner().invoke(units_command, ["--unit", "czj", "--json"], obj=Settings(db_url, None, False))

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [(unit["unit"], unit["name"], unit["score"]) for unit in report["units"]] == [("czj", "县财政局", -3)]
    events = report["units"][0]["events"]
    assert set(events[0]) == {"ref", "seq", "event", "occurred_at", "rule", "points"}
    assert events[0]["occurred_at"] == "2022-08-29T09:00:00+08:00"  # as traced
    assert sum(event["points"] for event in events) == -3

    text = CliRunner().invoke(units_command, ["--detail"], obj=Settings(db_url, None, False))
    assert text.exit_code == 0, text.output
    assert "逾期答复" in text.output and "县住建局" in text.output
    missing = CliRunner().invoke(units_command, ["--unit", "xyz"], obj=Settings(db_url, None, False))
    assert isinstance(missing.exception, NotFound)


def test_the_demo_year_scores_add_up_event_by_event(played_year):
    store, _summary = played_year
    scores = build_scores(store)
    awards = [award for score in scores for award in score.awards]
    rows = {(row["ref"], row["seq"]): row for row in log(store) if "/" not in row["ref"]}  # no co-unit tasks

    assert sum(score.score for score in scores) == sum(award.points for award in awards)
    assert all(score.score == sum(award.points for award in score.awards) for score in scores)
    assert all(score.unit for score in scores)  # nothing scored before an item had a unit
    assert all(rows[(award.ref, award.seq)]["event"] == award.event for award in awards)
    assert len({(award.ref, award.seq) for award in awards}) == len(awards)  # one rule per row here
    # every row a rule is about scored, once: replies (on time or late), urges, ratings, look-back outcomes
    by_rule = {rule: sum(award.rule == rule for award in awards) for rule in {award.rule for award in awards}}
    events = list(rows.values())
    assert by_rule.get("按时答复", 0) + by_rule.get("逾期答复", 0) == sum(row["event"] == "reply" for row in events) > 0
    assert by_rule.get("被催办", 0) == sum(row["event"] == "urge" for row in events)
    for rating in ("满意", "基本满意", "不满意"):
        assert by_rule.get(f"代表{rating}", 0) == sum(
            row["event"] == "rate" and row["data"]["rating"] == rating for row in events)
    assert by_rule.get("回头看进度滞后", 0) == sum(
        row["event"] == "lookback_result" and row["data"]["lookback_outcome"] == "进度滞后" for row in events)
