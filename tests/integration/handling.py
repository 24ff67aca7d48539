"""Suggestions brought through the npc-suggestion workflow at chosen past times (2022), for the
score and bulletin tests: filed, assigned to a unit and signed for, then the steps a test names."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")
AFTER_THE_YEAR = datetime(2022, 12, 1, 9, 0, tzinfo=ZONE)  # the clock: every `at` below is in the past
STAFF = {"zjj": "li", "czj": "zhao", "jyj": "sun"}
DEPUTY_USER = {"张三": "zhang", "李四": "lisi"}


def assigned(runtime, ref: str, *, unit: str, deputy: str = "张三", on: str = "2022-05-27",
             signed: bool = True) -> None:
    """Registered and filed in early May 2022, assigned to `unit` on `on` at 10:00 (the reply is
    due 3 months later), signed for at 15:00 the same day unless `signed` is False."""
    runtime.create(workflow_id="npc-suggestion", ref=ref, title=f"建议{ref}", actor="reg", deputies=[deputy],
                   fields={"category": "城市建设", "session": "16-1"}, at="2022-05-02T09:00")
    steps = [("reg", "sort", {"category": "城市建设", "session": "16-1"}, "2022-05-03T09:00"),
             ("reg", "review", {}, "2022-05-04T09:00"), ("reg", "audit", {}, "2022-05-05T09:00"),
             ("npc", "approve", {}, "2022-05-06T09:00"),
             ("wang", "assign", {"lead_unit": unit, "mode": "单独办理"}, f"{on}T10:00")]
    if signed:
        steps.append((STAFF[unit], "sign_for", {"leader": "王局长", "handler": "李科长"}, f"{on}T15:00"))
    for user, event, data, at in steps:
        runtime.fire(ref, event, user, data, at=at)


def reply(unit: str, deputy: str = "张三", result_class: str = "A") -> tuple[str, str, dict]:
    """The lead unit's reply, its salutation naming the deputy."""
    return STAFF[unit], "reply", {"result_class": result_class, "text": f"{deputy}代表：您好！现答复如下。",
                                  "signer": "王局长", "contact_person": "李科长"}


def then(runtime, ref: str, *steps: tuple) -> None:
    """Fire (user, event, data, at) steps in order."""
    for user, event, data, at in steps:
        runtime.fire(ref, event, user, data, at=at)
