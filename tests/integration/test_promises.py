"""B-class promises (issue 15, point 7) and the reply checks as settings (point 12): a B-class
reply records its plan and date, is refused without them (one line), and its text must state
them; after the deputy's rating the item waits in `fulfilling` until the promised day, with
reminders; `fulfil` records the evidence and closes it."""

from __future__ import annotations

from datetime import datetime

import pytest

from banli.engine.sweep import sweep
from banli.errors import InvalidInput
from tests.integration.handling import AFTER_THE_YEAR, ZONE, assigned, then

PROMISE = {"promise": "完成城区供水管网改造", "promised_by": "2022-10-31"}
B_TEXT = "张三代表：您好！该事项已列入2022年度工作计划，预计10月底前完成改造，我们将及时向您反馈进展。"


def b_reply(**overrides) -> dict:
    return {"result_class": "B", "text": B_TEXT, "signer": "王局长", "contact_person": "李科长", **PROMISE,
            **overrides}


@pytest.fixture
def handling(runtime, clock):
    clock.now = AFTER_THE_YEAR
    assigned(runtime, "16-1-201", unit="zjj")
    return runtime


def rated(runtime, ref: str, reply: dict, rating: str = "满意") -> None:
    then(runtime, ref, ("li", "reply", reply, "2022-07-01T10:00"), ("wang", "accept_reply", {}, "2022-07-02T10:00"),
         ("zhang", "rate", {"rating": rating}, "2022-07-05T10:00"))


def item(store, ref: str):
    with store.read() as tx:
        return tx.item(ref)


@pytest.mark.parametrize("missing, said", [
    ("promise", "--data promise=…"),
    ("promised_by", "--data promised_by=… (promised_by a date such as 2025-12-31)"),
], ids=["no-plan", "no-date"])
def test_a_b_reply_without_its_plan_or_date_is_refused_in_one_line(handling, missing, said):
    with pytest.raises(InvalidInput) as refused:
        handling.fire("16-1-201", "reply", "li", b_reply(**{missing: None}), at="2022-07-01T10:00")
    message = str(refused.value)
    assert "\n" not in message and "B-class reply records the promise" in message and said in message


def test_a_promised_date_already_past_is_refused(handling):
    with pytest.raises(InvalidInput, match="promised date 2022-06-30 .* is before 2022-07-01"):
        handling.fire("16-1-201", "reply", "li", b_reply(promised_by="2022-06-30"), at="2022-07-01T10:00")


def test_a_b_reply_whose_text_states_no_plan_or_time_does_not_fit_its_class(handling):
    vague = "张三代表：您好！您提出的建议收悉，感谢您的关心和支持。"
    with pytest.raises(InvalidInput, match="B-class but its text states no time and no plan; say in the text what"):
        handling.fire("16-1-201", "reply", "li", b_reply(text=vague), at="2022-07-01T10:00")
    assert item(handling.store, "16-1-201").state == "handling"


def test_an_a_reply_needs_no_promise(handling, store):
    fired = handling.fire("16-1-201", "reply", "li", {"result_class": "A", "text": "张三代表：您好！已解决。",
                                                     "signer": "王局长", "contact_person": "李科长"},
                          at="2022-07-01T10:00")
    assert fired.to_state == "replied"


def test_a_rated_b_item_waits_for_its_promise_due_at_the_end_of_the_promised_day(handling, store):
    rated(handling, "16-1-201", b_reply())
    found = item(store, "16-1-201")
    assert found.state == "fulfilling"
    assert found.fields["promised_by"] == "2022-10-31" and found.fields["promise"] == "完成城区供水管网改造"
    assert datetime.fromisoformat(found.deadline).astimezone(ZONE) == datetime(2022, 11, 1, 0, 0, tzinfo=ZONE)


def test_fulfil_needs_evidence_and_closes_the_item_as_fulfilled(handling, store):
    rated(handling, "16-1-201", b_reply())
    with pytest.raises(InvalidInput, match="needs data 'evidence'"):
        handling.fire("16-1-201", "fulfil", "li", {}, at="2022-10-20T10:00")
    fired = handling.fire("16-1-201", "fulfil", "li", {"evidence": "管网改造已完工并通水，附验收报告"},
                          at="2022-10-20T10:00")
    found = item(store, "16-1-201")
    assert (fired.to_state, found.fields["fulfilled"], found.deadline) == ("closed", True, None)


def test_an_unsatisfied_b_item_is_handled_again_then_follows_its_promise(handling, store):
    rated(handling, "16-1-201", b_reply(), rating="不满意")
    then(handling, "16-1-201", ("li", "reply", b_reply(promised_by="2022-12-31"), "2022-07-20T10:00"),
         ("wang", "accept_reply", {}, "2022-07-21T10:00"),
         ("zhang", "rate_again", {"rating": "基本满意"}, "2022-07-25T10:00"))
    found = item(store, "16-1-201")
    assert (found.state, found.fields["promised_by"]) == ("fulfilling", "2022-12-31")
    assert datetime.fromisoformat(found.deadline).astimezone(ZONE).date().isoformat() == "2023-01-01"


def test_a_reply_reclassified_as_b_by_the_reviewer_needs_the_promise_too(handling, store):
    answer = {"result_class": "A", "text": "张三代表：您好！已解决。", "signer": "王局长", "contact_person": "李科长"}
    then(handling, "16-1-201", ("li", "reply", answer, "2022-07-01T10:00"))
    with pytest.raises(InvalidInput, match="B-class reply records the promise"):
        handling.fire("16-1-201", "accept_reply", "wang", {"result_class": "B"}, at="2022-07-02T10:00")
    then(handling, "16-1-201", ("wang", "accept_reply", {"result_class": "B", **PROMISE}, "2022-07-02T10:00"),
         ("zhang", "rate", {"rating": "满意"}, "2022-07-05T10:00"))
    assert item(store, "16-1-201").state == "fulfilling"


def test_the_unit_is_reminded_before_the_promised_day_and_both_while_it_is_late(handling, store):
    rated(handling, "16-1-201", b_reply())
    assert sweep(handling, datetime(2022, 9, 30, 9, 0, tzinfo=ZONE)).actions == []
    before = sweep(handling, datetime(2022, 10, 5, 9, 0, tzinfo=ZONE)).actions
    late = sweep(handling, datetime(2022, 11, 2, 9, 0, tzinfo=ZONE)).actions
    again = sweep(handling, datetime(2022, 12, 1, 9, 0, tzinfo=ZONE)).actions  # a month later, still late
    assert [(a["rule"], a["due"][:10], a["recipients"]) for a in before + late + again] == [
        ("fulfilling:0", "2022-10-01", ["li"]),
        ("fulfilling:1", "2022-11-01", ["li", "wang"]),
        ("fulfilling:1#1", "2022-12-01", ["li", "wang"]),
    ]


def test_the_reply_checks_follow_the_settings_of_the_county_version(store, runtime, clock, tmp_path):
    from banli.engine.definitions import builtin_files, register_file

    builtin = next(path for path in builtin_files() if path.name == "npc-suggestion.yaml")
    text = builtin.read_text(encoding="utf-8")
    county = tmp_path / "npc-suggestion.yaml"
    county.write_text(text.replace("reply_min_length: 0", "reply_min_length: 40")
                      .replace("reply_states_promise: true", "reply_states_promise: false"), encoding="utf-8")
    register_file(store, county, "test")
    clock.now = AFTER_THE_YEAR
    assigned(runtime, "16-1-202", unit="zjj")
    short = {"result_class": "A", "text": "张三代表：您好！已解决。", "signer": "王局长", "contact_person": "李科长"}
    with pytest.raises(InvalidInput, match="the reply text has 12 characters; .* in at least 40"):
        runtime.fire("16-1-202", "reply", "li", short, at="2022-07-01T10:00")
    vague = "张三代表：您好！您提出的建议收悉，感谢您对我县工作的关心和支持，我单位高度重视，认真研究了您所提的问题。"
    fired = runtime.fire("16-1-202", "reply", "li", b_reply(text=vague), at="2022-07-01T10:00")
    assert fired.to_state == "replied"  # the text need not state the plan: the county switched that off


# -- the promises in the report --------------------------------------------------------------

def four_promises(runtime) -> None:
    """16-1-301 kept by its date, 302 kept late, 303 still due on 1 December, 304 late; 305 an
    A-class item, which promises nothing."""
    for number, promised_by, fulfilled_at in [(301, "2022-10-31", "2022-10-20T10:00"),
                                              (302, "2022-10-31", "2022-11-10T10:00"),
                                              (303, "2022-12-31", None), (304, "2022-10-31", None)]:
        ref = f"16-1-{number}"
        assigned(runtime, ref, unit="zjj")
        rated(runtime, ref, b_reply(promised_by=promised_by))
        if fulfilled_at:
            runtime.fire(ref, "fulfil", "li", {"evidence": "已完工，附验收报告"}, at=fulfilled_at)
    assigned(runtime, "16-1-305", unit="zjj")
    rated(runtime, "16-1-305", {"result_class": "A", "text": "张三代表：您好！已解决。", "signer": "王局长",
                                "contact_person": "李科长"})


def test_the_report_counts_promises_kept_kept_late_due_and_late_as_of_its_day(runtime, store, clock, chinese):
    from banli.reports.annual import build_annual
    from banli.reports.metrics import collect, measure
    from banli.reports.render.markdown import markdown

    clock.now = AFTER_THE_YEAR
    four_promises(runtime)
    figures = measure(collect(store, "16-1", AFTER_THE_YEAR)).to_json()["promises"]
    assert figures == {"made": 4, "kept": 1, "kept_late": 1, "due": 1, "late": 1, "kept_on_time_rate": 33.33}
    before = measure(collect(store, "16-1", datetime(2022, 10, 25, 12, 0, tzinfo=ZONE))).to_json()["promises"]
    assert before == {"made": 4, "kept": 1, "kept_late": 0, "due": 3, "late": 0, "kept_on_time_rate": 100.0}
    text = markdown(build_annual(store, "16-1", AFTER_THE_YEAR).document)
    assert "B类答复中作出承诺的4件，按期落实1件、逾期落实1件、未到期1件、逾期未落实1件。" in text



def test_the_demo_year_keeps_promises_on_time_and_late(played_year):
    from banli.reports.metrics import collect, measure
    from tests.integration.demo_year import REPORT_DAY

    store, summary = played_year
    figures = measure(collect(store, "16-1", REPORT_DAY)).promises
    with store.read() as tx:
        b_items = [ref for ref, _definition, _state in store.items_of_workflow("npc-suggestion")
                   if "/" not in ref and tx.item(ref).fields.get("result_class") == "B"]
        dated = [ref for ref in b_items if tx.item(ref).fields.get("promised_by")]
    assert dated == b_items and figures.made == len(b_items) > 0  # every B-class reply gave a plan and a date
    assert figures.kept + figures.kept_late == summary["fulfilled"]
    assert figures.kept >= 1 and figures.kept_late >= 1  # 承诺 kept by its date, and kept late
