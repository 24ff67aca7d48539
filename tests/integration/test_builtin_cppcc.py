"""A year of the built-in `cppcc-proposal` workflow (issue 15, point 13), on every backend: the
proposals committee examines proposals (立案, 不予立案, 转为意见建议), the government office
assigns them to a lead unit with co-units (主办/会办), the lead unit answers only once every
co-unit's opinion is in, the member rates the answer (an unsatisfied rating earns one more
round), and an overdue proposal is urged and then supervised (督办) by the system. The audit
chain verifies and the ledger lists every proposal."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from banli.engine.sweep import sweep
from banli.errors import InvalidInput, NotAllowedNow
from banli.reports.ledger import build_ledger
from banli.store.audit import log, verify
from banli.store.queries import show_item

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_YEAR = datetime(2026, 12, 31, 20, 0, tzinfo=SHANGHAI)
UNIT_USER = {"zjj": "li", "czj": "zhao", "jyj": "sun"}


def submitted(runtime, ref: str, on: str, *, member: str = "张三", decision: str = "立案") -> None:
    """A member's proposal submitted on `on` and examined by the committee's staff the next day;
    filed proposals are approved by the committee the day after."""
    runtime.create(workflow_id="cppcc-proposal", ref=ref, title=f"提案{ref}", actor="reg", deputies=[member],
                   fields={"category": "城乡建设", "session": "十届五次"}, at=f"{on}T09:00")
    runtime.fire(ref, "examine", "reg", {"category": "城乡建设", "decision": decision,
                                         "reason": "" if decision == "立案" else "不符合立案条件"}, at=f"{on}T15:00")
    if decision == "立案":
        runtime.fire(ref, "approve", "npc", {}, at=f"{on}T16:00")


def answer(unit: str, result_class: str = "A", member: str = "张三") -> dict:
    return {"result_class": result_class, "text": f"{member}委员：您好！您提出的提案收悉，现答复如下。",
            "signer": "王局长", "contact_person": "李科长"}


def fire(runtime, ref: str, *steps: tuple) -> None:
    for user, event, data, at in steps:
        runtime.fire(ref, event, user, data, at=at)


def state(store, ref: str) -> str:
    return show_item(store, ref, as_of=END_OF_YEAR)["state"]


def test_a_year_of_cppcc_proposals(store, runtime, clock):
    clock.now = END_OF_YEAR

    # examination: not filed, or turned into an opinion for a department
    submitted(runtime, "P-2026-002", "2026-02-02", decision="不予立案")
    submitted(runtime, "P-2026-003", "2026-02-02", decision="转意见建议")
    assert (state(store, "P-2026-002"), state(store, "P-2026-003")) == ("not_filed", "opinion")

    # 主办 with a 会办 unit: the lead unit answers once the co-unit's opinion is in
    submitted(runtime, "P-2026-001", "2026-02-02")
    fire(runtime, "P-2026-001",
         ("wang", "assign", {"lead_unit": "zjj", "co_units": ["czj"], "key_proposal": True}, "2026-03-02T10:00"),
         ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-03-03T09:00"))
    item = show_item(store, "P-2026-001", as_of=END_OF_YEAR)
    assert (item["state"], item["deadline"]) == ("handling", "2026-06-03T00:00:00+08:00")  # 3 months from 交办
    fire(runtime, "P-2026-001", ("li", "consult", {"method": "face_to_face", "note": "走访委员"}, "2026-03-20T10:00"))
    with pytest.raises(NotAllowedNow, match="县财政局"):  # the co-unit has not given its opinion yet
        runtime.fire("P-2026-001", "answer", "li", answer("zjj"), at="2026-04-01T10:00")
    fire(runtime, "P-2026-001/czj", ("zhao", "sign_for", {"leader": "赵局长", "handler": "赵科长"}, "2026-03-04T09:00"),
         ("zhao", "submit_opinion", {"text": "同意主办单位意见，资金由财政统筹。"}, "2026-04-02T09:00"))
    fire(runtime, "P-2026-001", ("li", "answer", answer("zjj", "B"), "2026-04-10T10:00"))
    assert state(store, "P-2026-001") == "answered"
    # unsatisfied: one more round, then the member's second rating closes the proposal
    fire(runtime, "P-2026-001", ("zhang", "rate", {"rating": "不满意", "comment": "未明确完成时间"}, "2026-04-20T10:00"))
    item = show_item(store, "P-2026-001", as_of=END_OF_YEAR)
    assert (item["state"], item["deadline"]) == ("rehandling", "2026-05-21T00:00:00+08:00")
    fire(runtime, "P-2026-001", ("li", "answer", answer("zjj", "B"), "2026-05-15T10:00"))
    assert state(store, "P-2026-001") == "answered_again"
    fire(runtime, "P-2026-001", ("zhang", "rate_again", {"rating": "基本满意"}, "2026-05-20T10:00"))
    item = show_item(store, "P-2026-001", as_of=END_OF_YEAR)
    assert (item["state"], item["fields"]["rating"], item["fields"]["result_class"]) == ("closed", "基本满意", "B")

    # an answer not naming the member is refused (reply_format)
    submitted(runtime, "P-2026-004", "2026-03-02", member="李四")
    fire(runtime, "P-2026-004", ("wang", "assign", {"lead_unit": "jyj"}, "2026-03-09T10:00"),
         ("sun", "sign_for", {"leader": "孙局长", "handler": "孙科长"}, "2026-03-09T15:00"))
    with pytest.raises(InvalidInput, match="begin the reply text with '李四委员：'"):
        runtime.fire("P-2026-004", "answer", "sun", answer("jyj", member="张三"), at="2026-04-01T10:00")
    # overdue: urged when the three months are up, supervised (督办) ten workdays later
    assert sweep(runtime, datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI)).events == 1
    assert [(r["event"], r["actor"]) for r in log(store, "P-2026-004")[-1:]] == [("urge", "system")]
    assert sweep(runtime, datetime(2026, 6, 30, 9, 0, tzinfo=SHANGHAI)).events == 1
    assert (log(store, "P-2026-004")[-1]["event"], show_item(store, "P-2026-004", as_of=END_OF_YEAR)["fields"]["supervised"]) \
        == ("supervise", True)
    fire(runtime, "P-2026-004", ("sun", "answer", answer("jyj", "A", member="李四"), "2026-07-01T10:00"),
         ("lisi", "rate", {"rating": "满意"}, "2026-07-10T10:00"))
    assert state(store, "P-2026-004") == "closed"

    # the rest of the year: one proposal a month, answered and rated
    for month in range(4, 12):
        ref = f"P-2026-1{month:02d}"
        unit = ("zjj", "czj", "jyj")[month % 3]
        submitted(runtime, ref, f"2026-{month:02d}-01")
        fire(runtime, ref, ("wang", "assign", {"lead_unit": unit}, f"2026-{month:02d}-03T10:00"),
             (UNIT_USER[unit], "sign_for", {"leader": "局长", "handler": "科长"}, f"2026-{month:02d}-03T15:00"),
             (UNIT_USER[unit], "answer", answer(unit), f"2026-{month:02d}-20T10:00"),
             ("zhang", "rate", {"rating": "满意"}, f"2026-{month:02d}-25T10:00"))
        assert state(store, ref) == "closed"

    assert verify(store)["ok"]
    ledger = build_ledger(store, as_of=END_OF_YEAR)
    rows = {row.ref: row for row in ledger.rows}
    assert {"P-2026-001", "P-2026-002", "P-2026-003", "P-2026-004"} <= set(rows) and len(rows) == 12
    assert "P-2026-001/czj" not in rows  # the co-unit's task is not a proposal of its own
