"""Suggestions brought through the npc-suggestion workflow at chosen past times, for the rule
tests and for the SQL store's tests: a year of one suggestion as (ref suffix, user, event,
data, at) steps, and one assigned to a single unit on a chosen day."""

from __future__ import annotations

# co-units, a change request judged in its window, an extension that still holds when the
# reply is sent back, and a rating
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
    ("", "li", "reply", {"result_class": "C", "text": "张三、李四代表：您好！", "signer": "王局长",
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


def register_for_year(runtime, ref: str) -> None:
    runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于县城供水管网改造的建议", actor="reg",
                   deputies=["张三", "李四"], fields={"category": "城市建设"}, at="2026-01-05T09:00")


def assigned_on(runtime, ref: str, day: str) -> None:
    """Filed in early January 2026, assigned to 县住建局 on `day` at 09:00 (the reply is due 3
    months later) and signed for at 15:00."""
    runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于城区道路积水治理的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设"}, at="2026-01-05T09:00")
    for user, event, data, at in [
        ("reg", "sort", {"category": "城市建设"}, "2026-01-06T09:00"), ("reg", "review", {}, "2026-01-07T09:00"),
        ("reg", "audit", {}, "2026-01-08T09:00"), ("npc", "approve", {}, "2026-01-09T09:00"),
        ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}, f"{day}T09:00"),
        ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, f"{day}T15:00"),
    ]:
        runtime.fire(ref, event, user, data, at=at)
