"""会办 and 分办 behave differently (issue 15, point 9), on every backend. 会办: the co-units give
the lead unit their opinions, and its one reply waits for them and carries them all to the
deputy. 分办: each unit answers the deputy on its own part (a unit-part item), the deputy rates
each part, and the lead unit's reply on its own part does not wait for the others."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from banli.errors import InvalidInput, NotAllowedNow, NotPermitted
from banli.i18n import use
from banli.store.audit import log, verify
from banli.store.queries import show_item
from banli.store.schema import notification_t
from tests.integration.handling import AFTER_THE_YEAR, ZONE, assigned, reply, then

SIGN = {"leader": "王局长", "handler": "李科长"}


def _filed(runtime, ref: str, mode: str, co_units: list[str]) -> None:
    """Registered and filed in May 2022, assigned to 县住建局 with `co_units` in `mode` on the
    27th (a part's reply is due 3 months later), signed for by the lead unit that day."""
    runtime.create(workflow_id="npc-suggestion", ref=ref, title=f"建议{ref}", actor="reg", deputies=["张三"],
                   fields={"category": "城市建设", "session": "16-1"}, at="2022-05-02T09:00")
    then(runtime, ref, ("reg", "sort", {"category": "城市建设"}, "2022-05-03T09:00"),
         ("reg", "review", {}, "2022-05-04T09:00"), ("reg", "audit", {}, "2022-05-05T09:00"),
         ("npc", "approve", {}, "2022-05-06T09:00"),
         ("wang", "assign", {"lead_unit": "zjj", "co_units": co_units, "mode": mode}, "2022-05-27T10:00"),
         ("li", "sign_for", SIGN, "2022-05-27T15:00"))


def _workflow_of(store, ref: str) -> str:
    with store.read() as tx:
        item = tx.item(ref)
    return store.workflows.by_id(item.definition_id).definition.id



def _notices(store, ref: str, event: str) -> list[str]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(notification_t.c.subject, notification_t.c.body).distinct()).all()
    return [body for subject, body in rows if subject.startswith(f"【{event}】{ref} ")]


def _trace(store, ref: str, event: str) -> list[dict]:
    return [row["data"] for row in log(store, ref) if row["event"] == event]


def test_joint_handling_one_reply_after_and_with_every_co_units_opinion(store, runtime, clock, chinese):
    clock.now = AFTER_THE_YEAR
    _filed(runtime, "16-1-001", "会办", ["czj", "jyj"])
    assert {_workflow_of(store, "16-1-001/czj"), _workflow_of(store, "16-1-001/jyj")} == {"unit-task"}

    with pytest.raises(NotAllowedNow, match="县财政局、县教育局"):  # no opinion yet: no reply
        then(runtime, "16-1-001", (*reply("zjj"), "2022-06-10T10:00"))
    then(runtime, "16-1-001/czj", ("zhao", "sign_for", SIGN, "2022-05-28T09:00"),
         ("zhao", "submit_opinion", {"text": "资金由财政统筹安排。"}, "2022-06-08T09:00"))
    with pytest.raises(NotAllowedNow, match="县教育局"):
        then(runtime, "16-1-001", (*reply("zjj"), "2022-06-10T10:00"))
    then(runtime, "16-1-001/jyj", ("sun", "sign_for", SIGN, "2022-05-28T09:00"),
         ("sun", "submit_opinion", {"text": "周边学校配合做好安全宣传。"}, "2022-06-09T09:00"))
    user, event, data = reply("zjj")
    then(runtime, "16-1-001", (user, event, {**data, "co_opinions": "由主办单位自拟"}, "2022-06-10T10:00"))

    assert show_item(store, "16-1-001", as_of=AFTER_THE_YEAR)["state"] == "replied"
    opinions = "县财政局：资金由财政统筹安排。\n县教育局：周边学校配合做好安全宣传。"
    assert _trace(store, "16-1-001", "reply")[0]["co_opinions"] == opinions  # gathered, not what was given
    [notice] = _notices(store, "16-1-001", "答复代表")
    assert "答复内容：\n张三代表：您好！现答复如下。\n" + opinions in notice
    assert verify(store)["ok"]


def test_a_released_co_unit_is_not_waited_for_and_gives_no_opinion(store, runtime, clock):
    clock.now = AFTER_THE_YEAR
    _filed(runtime, "16-1-002", "会办", ["czj", "jyj"])
    then(runtime, "16-1-002/czj", ("zhao", "request_change", {"reason": "不属于本单位职责"}, "2022-05-28T09:00"),
         ("wang", "approve_change", {}, "2022-05-29T09:00"))
    then(runtime, "16-1-002/jyj", ("sun", "sign_for", SIGN, "2022-05-28T09:00"),
         ("sun", "submit_opinion", {"text": "同意主办单位方案。"}, "2022-06-09T09:00"))
    then(runtime, "16-1-002", (*reply("zjj"), "2022-06-10T10:00"))
    assert _trace(store, "16-1-002", "reply")[0]["co_opinions"] == "县教育局：同意主办单位方案。"


def test_a_single_units_reply_records_no_opinions(store, runtime, clock, chinese):
    clock.now = AFTER_THE_YEAR
    assigned(runtime, "16-1-003", unit="zjj")
    then(runtime, "16-1-003", (*reply("zjj"), "2022-06-10T10:00"))
    assert "co_opinions" not in _trace(store, "16-1-003", "reply")[0]
    [notice] = _notices(store, "16-1-003", "答复代表")
    assert "现答复如下。\n\n签发人：王局长" in notice


def test_split_handling_each_unit_replies_on_its_part_and_each_reply_is_rated(store, runtime, clock):
    clock.now = AFTER_THE_YEAR
    _filed(runtime, "16-1-004", "分办", ["czj"])
    part = "16-1-004/czj"
    assert _workflow_of(store, part) == "unit-part"
    item = show_item(store, part, as_of=AFTER_THE_YEAR)
    assert (item["state"], item["fields"]["lead_unit"]) == ("assigned", "czj")

    # the lead unit answers its own part without waiting for 县财政局's
    then(runtime, "16-1-004", (*reply("zjj"), "2022-06-10T10:00"))
    assert show_item(store, "16-1-004", as_of=AFTER_THE_YEAR)["state"] == "replied"

    then(runtime, part, ("zhao", "sign_for", SIGN, "2022-05-28T09:00"))
    assert show_item(store, part, as_of=AFTER_THE_YEAR)["deadline"] == "2022-08-28T00:00:00+08:00"  # as the suggestion's
    answer = {"result_class": "B", "text": "张三代表：关于资金部分，现答复如下。", "signer": "赵局长",
              "contact_person": "赵科长（3312345）"}
    with pytest.raises(InvalidInput, match="does not name 张三"):  # the reply format holds for a part too
        runtime.fire(part, "reply", "zhao", {**answer, "text": "您好：现答复如下。"}, at="2022-07-01T10:00")
    with pytest.raises(InvalidInput, match="needs data .contact_person."):
        runtime.fire(part, "reply", "zhao", {**answer, "contact_person": ""}, at="2022-07-01T10:00")
    with use("zh_CN"):  # the notice of the reply in Chinese
        then(runtime, part, ("zhao", "reply", answer, "2022-07-01T10:00"))
    assert show_item(store, part, as_of=AFTER_THE_YEAR)["state"] == "awaiting_feedback"
    [notice] = _notices(store, part, "分办答复")
    assert "分办单位县财政局已就所分办的部分答复您的建议（B类）" in notice

    # unsatisfied: one more round on the part, then the deputy's second rating closes it
    then(runtime, part, ("zhang", "rate", {"rating": "不满意", "comment": "资金未落实"}, "2022-07-05T10:00"))
    assert show_item(store, part, as_of=AFTER_THE_YEAR)["state"] == "rehandling"
    then(runtime, part, ("zhao", "reply", answer, "2022-07-20T10:00"),
         ("zhang", "rate_again", {"rating": "基本满意"}, "2022-07-25T10:00"))
    item = show_item(store, part, as_of=AFTER_THE_YEAR)
    assert (item["state"], item["fields"]["rating"]) == ("closed", "基本满意")
    assert show_item(store, "16-1-004", as_of=AFTER_THE_YEAR)["fields"].get("rating") is None  # rated apart
    assert verify(store)["ok"]


def test_another_deputy_cannot_rate_a_part(store, runtime, clock):
    clock.now = AFTER_THE_YEAR
    _filed(runtime, "16-1-005", "分办", ["czj"])
    then(runtime, "16-1-005/czj", ("zhao", "sign_for", SIGN, "2022-05-28T09:00"),
         ("zhao", "reply", {"result_class": "A", "text": "张三代表：现答复如下。", "signer": "赵局长",
                            "contact_person": "赵科长"}, "2022-07-01T10:00"))
    with pytest.raises(NotPermitted):
        runtime.fire("16-1-005/czj", "rate", "lisi", {"rating": "满意"}, at="2022-07-02T10:00")


def test_a_co_unit_added_on_a_change_gets_a_part_under_split_handling(store, runtime, clock):
    clock.now = AFTER_THE_YEAR
    runtime.create(workflow_id="npc-suggestion", ref="16-1-006", title="建议16-1-006", actor="reg", deputies=["张三"],
                   fields={"category": "城市建设", "session": "16-1"}, at="2022-05-02T09:00")
    then(runtime, "16-1-006", ("reg", "sort", {"category": "城市建设"}, "2022-05-03T09:00"),
         ("reg", "review", {}, "2022-05-04T09:00"), ("reg", "audit", {}, "2022-05-05T09:00"),
         ("npc", "approve", {}, "2022-05-06T09:00"),
         ("wang", "assign", {"lead_unit": "jyj", "co_units": ["czj"], "mode": "分办"}, "2022-05-27T10:00"),
         ("sun", "request_change", {"reason": "应由住建局主办"}, "2022-05-28T10:00"),
         ("wang", "approve_change", {"lead_unit": "zjj", "co_units": ["czj", "jyj"]}, "2022-05-29T10:00"))
    assert {_workflow_of(store, "16-1-006/czj"), _workflow_of(store, "16-1-006/jyj")} == {"unit-part"}
    assert _trace(store, "16-1-006", "approve_change")[0]["co_units"] == ["czj", "jyj"]


def _part_reply(result_class: str = "A") -> dict:
    return {"result_class": result_class, "text": "张三代表：关于我单位分办的部分，现答复如下。", "signer": "赵局长",
            "contact_person": "赵科长"}


def _a_year_of_both(store, runtime, clock) -> None:
    """One 会办 item with both opinions in; two 分办 items: one part re-handled and rated twice,
    one replied late and rated, one released."""
    clock.now = AFTER_THE_YEAR
    _filed(runtime, "16-1-001", "会办", ["czj", "jyj"])
    for unit, user in (("czj", "zhao"), ("jyj", "sun")):
        then(runtime, f"16-1-001/{unit}", (user, "sign_for", SIGN, "2022-05-28T09:00"),
             (user, "submit_opinion", {"text": "同意。"}, "2022-06-08T09:00"))
    then(runtime, "16-1-001", (*reply("zjj"), "2022-06-10T10:00"))
    _filed(runtime, "16-1-004", "分办", ["czj"])
    then(runtime, "16-1-004/czj", ("zhao", "sign_for", SIGN, "2022-05-28T09:00"),
         ("zhao", "reply", _part_reply(), "2022-07-01T10:00"),
         ("zhang", "rate", {"rating": "不满意"}, "2022-07-05T10:00"),
         ("zhao", "reply", _part_reply(), "2022-07-20T10:00"),
         ("zhang", "rate_again", {"rating": "基本满意"}, "2022-07-25T10:00"))
    _filed(runtime, "16-1-007", "分办", ["czj", "jyj"])
    then(runtime, "16-1-007/jyj", ("sun", "request_change", {"reason": "不属于本单位职责"}, "2022-05-28T09:00"),
         ("wang", "approve_change", {}, "2022-05-29T09:00"))
    then(runtime, "16-1-007/czj", ("zhao", "sign_for", SIGN, "2022-05-28T09:00"),
         ("zhao", "reply", _part_reply(), "2022-09-05T10:00"),  # the deadline was 28 August
         ("zhang", "rate", {"rating": "满意"}, "2022-09-08T10:00"))


def _paragraphs(report) -> list[str]:
    return [block.text for block in report.document.blocks if hasattr(block, "text") and "分办" in block.text]


def test_the_annual_report_counts_joint_and_split_items_and_each_parts_reply_and_rating(store, runtime, clock, chinese):
    from banli.reports.annual import build_annual

    _a_year_of_both(store, runtime, clock)
    report = build_annual(store, "16-1", AFTER_THE_YEAR)

    assert report.parts.to_json() == {
        "joint": 1, "split": 2, "opinions": 2, "parts": 3, "released": 1, "replies": 3, "on_time": 2, "late": 1,
        "open_overdue": 0, "rated": 2, "satisfied": 1, "basically_satisfied": 1, "unsatisfied": 0}
    [paragraph] = [text for text in _paragraphs(report) if "分办单位" in text]
    assert "会办的建议1件，协办单位向主办单位提出协办意见2份" in paragraph
    assert ("分办的建议2件，除主办单位答复其承办部分外，另交分办单位办理3件（其中1件经审核退回），"
            "各分办单位分别答复代表3次，其中按期2次、逾期1次；代表对分办答复作出评价2件，满意1件、基本满意1件、不满意0件") in paragraph
    assert "不计入上文按建议件数计算的按期答复率和代表满意率" in paragraph
    # the items' own figures count each item by its lead unit's reply (only 16-1-001's so far), not the parts'
    assert (report.metrics.replied, report.metrics.rated) == (1, 0)


def test_as_of_a_day_before_the_late_part_replied_it_is_open_and_overdue(store, runtime, clock, chinese):
    from banli.reports.annual import build_annual

    _a_year_of_both(store, runtime, clock)
    report = build_annual(store, "16-1", datetime(2022, 9, 1, 12, 0, tzinfo=ZONE))

    figures = report.parts.to_json()
    assert (figures["replies"], figures["late"], figures["open_overdue"], figures["rated"]) == (2, 0, 1, 1)
    [paragraph] = [text for text in _paragraphs(report) if "分办单位" in text]
    assert "另有1件超过期限尚未答复" in paragraph


def test_the_demo_year_has_joint_and_split_items_and_rated_parts(played_year):
    """`banli demo`: some suggestions are handled by 会办 (the co-units give opinions), some by
    分办 (each unit replies on its part and the deputy rates it); every part ends."""
    from banli.reports.metrics import collect
    from banli.reports.parts import summarise
    from tests.integration.demo_year import REPORT_DAY

    store, _summary = played_year
    split = summarise(store, collect(store, "16-1", REPORT_DAY))
    assert split.joint > 0 and split.split > 0 and split.opinions > 0
    assert split.parts and all(part.state in ("closed", "released") for part in split.parts)
    assert split.replies > 0 and sum(split.ratings.values()) == sum(not part.released for part in split.parts)
    assert verify(store)["ok"]
