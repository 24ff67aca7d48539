"""The deputy's rating (issue 15, points 6 and 10): every deputy of a joint suggestion may rate,
and the definition's `joint_rating` says whose rating counts (the first signer's, the lowest,
each); a rating not given in time is reminded, then lapses, deemed 满意 or left unrated
(`unrated_as`); the trace keeps each deputy's rating and `audit verify` replays it."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from banli.engine.definitions import register_text
from banli.engine.sweep import sweep
from banli.errors import InvalidInput, NotAllowedNow
from banli.store.audit import verify
from tests.integration.handling import AFTER_THE_YEAR, ZONE, then

WORKFLOW = __import__("pathlib").Path(__file__).parents[2] / "banli" / "workflows" / "npc-suggestion.yaml"
JOINT = ["张三", "李四", "王五"]  # 张三 signs first; 王五 has no account: a supervisor records his rating


def with_settings(store, **settings) -> None:
    """Register the built-in npc-suggestion again with some settings changed (a new version)."""
    text = WORKFLOW.read_text(encoding="utf-8")
    for name, value in settings.items():
        line = next(line for line in text.splitlines() if line.startswith(f"  {name}:"))
        text = text.replace(line, f"  {name}: {value!r}" if value == "" else f"  {name}: {value}", 1)
    register_text(store, text, "npc-suggestion.yaml", "test")


def awaiting(runtime, ref: str, deputies: list[str], *, result_class: str = "A") -> None:
    """Filed, assigned to 住建局, replied and the reply accepted on 2022-07-02 10:00: the
    deputies have 20 workdays to rate (until the end of 2022-07-29)."""
    runtime.create(workflow_id="npc-suggestion", ref=ref, title=f"建议{ref}", actor="reg", deputies=deputies,
                   fields={"category": "城市建设", "session": "16-1"}, at="2022-05-02T09:00")
    text = f"{'、'.join(deputies)}代表：您好！现答复如下。"
    then(runtime, ref, ("reg", "sort", {"category": "城市建设", "session": "16-1"}, "2022-05-03T09:00"),
         ("reg", "review", {}, "2022-05-04T09:00"), ("reg", "audit", {}, "2022-05-05T09:00"),
         ("npc", "approve", {}, "2022-05-06T09:00"),
         ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}, "2022-05-27T10:00"),
         ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2022-05-27T15:00"),
         ("li", "reply", {"result_class": result_class, "text": text, "signer": "王局长",
                          "contact_person": "李科长"}, "2022-07-01T10:00"),
         ("wang", "accept_reply", {}, "2022-07-02T10:00"))


@pytest.fixture
def year(runtime, clock):
    clock.now = AFTER_THE_YEAR
    return runtime


def item(store, ref: str):
    with store.read() as tx:
        return tx.item(ref)


def rows(store, ref: str) -> list[dict]:
    with store.read() as tx:
        found = tx.item(ref)
        return [{**row, "data": {key: value for key, value in json.loads(row["data"]).items() if key != "@deadline"}}
                for row in tx.trace(found.id)]


def test_a_single_deputys_rating_counts_as_given_and_its_row_is_as_before(year, store):
    awaiting(year, "16-1-301", ["张三"])
    fired = year.fire("16-1-301", "rate", "zhang", {"rating": "基本满意"}, at="2022-07-05T10:00")

    assert fired.to_state == "closed" and item(store, "16-1-301").fields["rating"] == "基本满意"
    assert rows(store, "16-1-301")[-1]["data"] == {"rating": "基本满意"}


def test_first_signer_a_co_signers_rating_is_kept_and_the_item_waits_for_the_first_signers(year, store):
    awaiting(year, "16-1-302", JOINT)
    waiting = year.fire("16-1-302", "rate", "lisi", {"rating": "不满意", "comment": "没有解决"}, at="2022-07-05T10:00")

    assert waiting.to_state == "awaiting_feedback"
    held = item(store, "16-1-302")
    assert held.fields.get("rating") is None
    assert held.deadline == "2022-07-29T16:00:00.000000"  # the co-signer's rating did not move it
    counted = year.fire("16-1-302", "rate", "zhang", {"rating": "满意"}, at="2022-07-06T10:00")

    assert counted.to_state == "closed" and item(store, "16-1-302").fields["rating"] == "满意"
    last = rows(store, "16-1-302")[-1]["data"]
    assert last["@ratings"] == {"张三": "满意", "李四": "不满意"} and last["@counts"] == "first_signer"
    assert verify(store)["ok"]


def test_each_deputy_rates_once_and_a_supervisor_records_for_one_without_an_account(year, store):
    with_settings(store, joint_rating="lowest")
    awaiting(year, "16-1-303", JOINT)
    then(year, "16-1-303", ("lisi", "rate", {"rating": "满意"}, "2022-07-05T10:00"))
    with pytest.raises(InvalidInput) as twice:
        year.fire("16-1-303", "rate", "lisi", {"rating": "不满意"}, at="2022-07-05T11:00")
    assert str(twice.value) == ("16-1-303 rate: 李四 has already rated this reply (满意); each deputy rates a reply "
                                "once, and those yet to rate are 张三、王五")
    with pytest.raises(InvalidInput, match="a deputy rates for themselves: 张三 cannot rate for 王五"):
        year.fire("16-1-303", "rate", "zhang", {"rating": "满意", "deputy": "王五"}, at="2022-07-05T12:00")
    with pytest.raises(InvalidInput, match="'赵六' is not a deputy of 16-1-303; its deputies are 张三、李四、王五"):
        year.fire("16-1-303", "rate", "wang", {"rating": "满意", "deputy": "赵六"}, at="2022-07-05T12:00")

    then(year, "16-1-303", ("wang", "rate", {"rating": "基本满意", "deputy": "王五"}, "2022-07-06T10:00"))
    assert item(store, "16-1-303").state == "awaiting_feedback"
    fired = year.fire("16-1-303", "rate", "zhang", {"rating": "满意"}, at="2022-07-07T10:00")

    assert fired.to_state == "closed" and item(store, "16-1-303").fields["rating"] == "基本满意"  # the lowest
    assert rows(store, "16-1-303")[-1]["data"]["@ratings"] == {"张三": "满意", "李四": "满意", "王五": "基本满意"}


def test_lowest_an_unsatisfied_co_signer_sends_the_item_to_rehandling(year, store):
    with_settings(store, joint_rating="lowest")
    awaiting(year, "16-1-304", ["张三", "李四"])
    then(year, "16-1-304", ("zhang", "rate", {"rating": "满意"}, "2022-07-05T10:00"))
    fired = year.fire("16-1-304", "rate", "lisi", {"rating": "不满意"}, at="2022-07-06T10:00")

    assert fired.to_state == "rehandling" and item(store, "16-1-304").fields["rating"] == "不满意"
    assert verify(store)["ok"]


def test_a_rating_not_given_is_reminded_then_lapses_deemed_satisfied(year, store):
    awaiting(year, "16-1-305", ["张三"])
    with pytest.raises(NotAllowedNow, match="its deputies may rate until the end of 2022-07-29; a rating lapses only after that"):
        year.fire("16-1-305", "rating_lapsed", "wang", {}, at="2022-07-20T10:00")

    reminded = sweep(year, datetime(2022, 7, 30, 9, 0, tzinfo=ZONE))
    assert [(action["kind"], action["recipients"]) for action in reminded.actions] == [("overdue", ["zhang"])]
    assert item(store, "16-1-305").state == "awaiting_feedback"
    lapsed = sweep(year, datetime(2022, 8, 6, 9, 0, tzinfo=ZONE))  # 5 workdays after the deadline

    assert lapsed.events == 1
    closed = item(store, "16-1-305")
    assert closed.state == "closed" and closed.fields["rating"] == "满意"
    last = rows(store, "16-1-305")[-1]
    assert last["event"] == "rating_lapsed" and last["actor"] == "system"
    assert last["data"]["@lapsed"] == ["张三"] and last["data"]["@deemed"] is True
    assert verify(store)["ok"]


def test_left_unrated_a_lapsed_rating_leaves_the_field_empty(year, store):
    with_settings(store, unrated_as="")
    awaiting(year, "16-1-306", ["张三"])
    fired = year.fire("16-1-306", "rating_lapsed", "wang", {}, at="2022-08-01T10:00")

    assert fired.to_state == "closed" and item(store, "16-1-306").fields.get("rating") is None
    assert rows(store, "16-1-306")[-1]["data"] == {"@deemed": False, "@lapsed": ["张三"]}


def test_a_joint_lapse_counts_what_was_given_and_deems_the_rest(year, store):
    with_settings(store, joint_rating="each")
    awaiting(year, "16-1-307", JOINT)
    then(year, "16-1-307", ("lisi", "rate", {"rating": "基本满意"}, "2022-07-05T10:00"))
    fired = year.fire("16-1-307", "rating_lapsed", "wang", {}, at="2022-08-01T10:00")

    assert fired.to_state == "closed" and item(store, "16-1-307").fields["rating"] == "基本满意"
    data = rows(store, "16-1-307")[-1]["data"]
    assert data["@ratings"] == {"张三": "满意", "李四": "基本满意", "王五": "满意"}
    assert data["@lapsed"] == ["张三", "王五"] and data["@counts"] == "each"


def test_a_lapse_is_not_given_a_rating(year, store):
    awaiting(year, "16-1-308", ["张三"])
    with pytest.raises(InvalidInput) as refused:
        year.fire("16-1-308", "rating_lapsed", "wang", {"rating": "不满意"}, at="2022-08-01T10:00")
    assert str(refused.value) == ("16-1-308 rating_lapsed: a lapsed rating is not given: fire 'rating_lapsed' "
                                  "without 'rating'")


# -- the annual report: how ratings were counted, and the lapsed ones -------------------------

REPORT_AT = datetime(2022, 11, 30, 9, 0, tzinfo=ZONE)


def report(store):
    from banli.reports.annual import build_annual

    built = build_annual(store, "16-1", REPORT_AT)
    return built.metrics, "\n".join(block.text for block in built.document.blocks if hasattr(block, "text"))


def test_the_report_says_the_first_signers_rating_counted_and_how_many_lapsed_deemed_satisfied(year, store, chinese):
    awaiting(year, "16-1-311", JOINT)
    then(year, "16-1-311", ("lisi", "rate", {"rating": "不满意"}, "2022-07-05T10:00"),
         ("zhang", "rate", {"rating": "满意"}, "2022-07-06T10:00"))
    awaiting(year, "16-1-312", ["张三"])
    then(year, "16-1-312", ("wang", "rating_lapsed", {}, "2022-08-01T10:00"))

    metrics, text = report(store)
    assert (metrics.rated, metrics.satisfied, metrics.unsatisfied) == (2, 2, 0)  # an item counts once
    assert "已征询代表意见的2件中，满意2件" in text
    assert "联名建议以领衔代表的评价为准，已答复的联名建议1件；逾期未评价、视为满意的1件。" in text
    assert metrics.to_json()["ratings_counted"] == {"joint": "first_signer", "unrated_as": "满意", "joint_items": 1,
                                                    "lapsed_deemed": 1, "lapsed_unrated": 0}


def test_with_each_the_report_counts_every_deputys_rating(year, store, chinese):
    with_settings(store, joint_rating="each")
    awaiting(year, "16-1-313", JOINT)
    then(year, "16-1-313", ("lisi", "rate", {"rating": "满意"}, "2022-07-05T10:00"),
         ("wang", "rate", {"rating": "基本满意", "deputy": "王五"}, "2022-07-05T11:00"),
         ("zhang", "rate", {"rating": "满意"}, "2022-07-06T10:00"))
    awaiting(year, "16-1-314", ["张三"])
    then(year, "16-1-314", ("zhang", "rate", {"rating": "满意"}, "2022-07-06T10:00"))

    metrics, text = report(store)
    assert (metrics.rated, metrics.satisfied, metrics.basically_satisfied) == (4, 3, 1)
    assert "已征询代表意见的4份中，满意3份、基本满意1份、不满意0份" in text
    assert "联名建议每位代表的评价分别计入，满意率按评价份数计算（共4份评价）" in text
    assert metrics.units[0].ratings["satisfied"] == 3  # the unit's table counts the same way


def test_ratings_left_unrated_are_listed_and_left_out_of_the_rate(year, store, chinese):
    with_settings(store, unrated_as="")
    awaiting(year, "16-1-315", ["张三"])
    then(year, "16-1-315", ("wang", "rating_lapsed", {}, "2022-08-01T10:00"))
    awaiting(year, "16-1-316", ["李四"])
    then(year, "16-1-316", ("lisi", "rate", {"rating": "基本满意"}, "2022-07-06T10:00"))

    metrics, text = report(store)
    assert (metrics.rated, metrics.satisfaction_rate) == (1, 100.0)
    assert "尚待代表反馈" not in text
    assert "逾期未评价、不作评价的1件（16-1-315），不计入满意率。" in text


def test_a_definition_without_the_waiting_branch_is_refused_rather_than_closing_unrated(year, store):
    text = WORKFLOW.read_text(encoding="utf-8").replace(
        "      - {when: {rating: [满意, 基本满意]}, to: closed}\n      - {to: awaiting_feedback}\n",
        "      - {to: closed}\n", 1)
    register_text(store, text, "npc-suggestion.yaml", "test")
    awaiting(year, "16-1-317", ["张三", "李四"])
    with pytest.raises(InvalidInput) as refused:
        year.fire("16-1-317", "rate", "lisi", {"rating": "满意"}, at="2022-07-05T10:00")

    assert str(refused.value) == (
        "16-1-317 rate: the definition lets 'rate' leave awaiting_feedback before the rating that counts is known; "
        "ask its administrator for a branch that keeps the item in awaiting_feedback while 'rating' is unset")
    assert item(store, "16-1-317").state == "awaiting_feedback"


def test_after_rehandling_every_deputy_rates_again_and_a_second_lapse_closes_it(year, store):
    with_settings(store, joint_rating="lowest")
    awaiting(year, "16-1-318", ["张三", "李四"])
    text = "张三、李四代表：您好！重新办理答复如下。"
    then(year, "16-1-318", ("zhang", "rate", {"rating": "满意"}, "2022-07-05T10:00"),
         ("lisi", "rate", {"rating": "不满意"}, "2022-07-06T10:00"),
         ("li", "reply", {"result_class": "A", "text": text, "signer": "王局长", "contact_person": "李科长"},
          "2022-07-20T10:00"),
         ("wang", "accept_reply", {}, "2022-07-21T10:00"))
    assert item(store, "16-1-318").state == "awaiting_final_feedback"
    waiting = year.fire("16-1-318", "rate_again", "lisi", {"rating": "基本满意"}, at="2022-07-25T10:00")

    assert waiting.to_state == "awaiting_final_feedback" and item(store, "16-1-318").fields.get("rating") is None
    lapsed = year.fire("16-1-318", "final_rating_lapsed", "wang", {}, at="2022-08-25T10:00")
    assert lapsed.to_state == "closed" and item(store, "16-1-318").fields["rating"] == "基本满意"  # 张三 deemed 满意
    assert verify(store)["ok"]


def test_the_demo_year_has_co_signers_ratings_and_lapsed_ones_and_its_report_says_so(played_year, chinese):
    from banli.reports.annual import build_annual
    from banli.store.audit import log
    from tests.integration.demo_year import REPORT_DAY

    store, _summary = played_year
    rows = log(store)
    lapsed = [row for row in rows if row["event"] == "rating_lapsed"]
    co_signers = [row for row in rows if row["event"] == "rate" and "@given" in row["data"]
                  and "@ratings" not in row["data"]]
    assert lapsed and all(row["actor"] == "system" and row["data"]["@deemed"] for row in lapsed)
    assert co_signers and all(row["to"] == "awaiting_feedback" for row in co_signers)
    assert verify(store)["ok"]
    built = build_annual(store, "16-1", REPORT_DAY)
    text = "\n".join(block.text for block in built.document.blocks if hasattr(block, "text"))
    assert "联名建议以领衔代表的评价为准" in text and f"逾期未评价、视为满意的{len(lapsed)}件" in text
