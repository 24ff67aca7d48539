"""A year of the built-in `hotline-12345` workflow (issue 15, point 13), on every backend: the
centre dispatches orders, units sign for them within one working hour (across the lunch break
and a weekend), send one back (回退) that the centre re-dispatches (改派) with a fresh term,
urgent orders run on hours, the callback records the satisfaction (unsatisfied: handled again),
and an order nobody called back is closed by the system (自动办结). The audit chain verifies and
the ledger lists every order."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from banli.engine.sweep import sweep
from banli.errors import NotAllowedNow, NotPermitted
from banli.reports.ledger import build_ledger
from banli.store.audit import log, verify
from banli.store.queries import show_item

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_YEAR = datetime(2026, 12, 31, 20, 0, tzinfo=SHANGHAI)
UNIT_USER = {"zjj": "li", "czj": "zhao", "jyj": "sun"}


def order(runtime, ref: str, at: str, *, unit: str = "zjj", priority: str = "一般", category: str = "供水") -> None:
    """A call registered at `at` and dispatched to `unit` in the same minute."""
    runtime.create(workflow_id="hotline-12345", ref=ref, title=f"工单{ref}", actor="wang",
                   fields={"category": category}, at=at)
    runtime.fire(ref, "dispatch", "wang", {"category": category, "priority": priority, "lead_unit": unit,
                                           "caller": "市民", "phone": "13800000000"}, at=at)


def fire(runtime, ref: str, *steps: tuple) -> None:
    for user, event, data, at in steps:
        runtime.fire(ref, event, user, data, at=at)


def state_and_deadline(store, ref: str) -> tuple[str, str | None]:
    item = show_item(store, ref, as_of=END_OF_YEAR)
    return item["state"], item["deadline"]


def test_a_year_of_hotline_orders(store, runtime, clock):
    clock.now = END_OF_YEAR

    # March, Tuesday 11:40: one working hour runs 20 minutes to noon and 40 after 14:30
    order(runtime, "H-2026-001", "2026-03-10T11:40")
    assert state_and_deadline(store, "H-2026-001") == ("dispatched", "2026-03-10T15:10:00+08:00")
    fire(runtime, "H-2026-001", ("li", "sign_for", {"handler": "李科长"}, "2026-03-10T15:00"))
    # 一般: five workdays, to the end of the next Tuesday
    assert state_and_deadline(store, "H-2026-001") == ("handling", "2026-03-18T00:00:00+08:00")
    # 挂起 for two days while the water company replaces a main: the deadline moves by the pause
    fire(runtime, "H-2026-001", ("li", "suspend", {"reason": "等待供水公司更换主管道"}, "2026-03-11T00:00"),
         ("li", "resume", {}, "2026-03-13T00:00"))
    assert state_and_deadline(store, "H-2026-001") == ("handling", "2026-03-20T00:00:00+08:00")  # Wed and Thu
    fire(runtime, "H-2026-001", ("li", "reply", {"text": "已修复管道，恢复供水。"}, "2026-03-16T10:00"),
         ("wang", "call_back", {"rating": "满意"}, "2026-03-16T16:00"))
    assert show_item(store, "H-2026-001", as_of=END_OF_YEAR)["state"] == "closed"

    # Friday 17:30: half an hour that day, the other half on Monday morning
    order(runtime, "H-2026-002", "2026-03-06T17:30", priority="特急", category="道路")
    assert state_and_deadline(store, "H-2026-002") == ("dispatched", "2026-03-09T09:00:00+08:00")
    # 回退 to the centre, which 改派 to the finance bureau: a fresh hour from the re-dispatch
    fire(runtime, "H-2026-002", ("li", "send_back", {"reason": "不属于本单位职责"}, "2026-03-06T17:45"))
    assert state_and_deadline(store, "H-2026-002")[0] == "returned"
    fire(runtime, "H-2026-002", ("wang", "redispatch", {"lead_unit": "czj", "reason": "改派"}, "2026-03-09T08:40"))
    assert state_and_deadline(store, "H-2026-002") == ("dispatched", "2026-03-09T09:40:00+08:00")
    with pytest.raises(NotPermitted):  # the first unit no longer holds the order
        runtime.fire("H-2026-002", "sign_for", "li", {"handler": "李科长"}, at="2026-03-09T08:50")
    fire(runtime, "H-2026-002", ("zhao", "sign_for", {"handler": "赵科长"}, "2026-03-09T09:10"))
    # 特急: two hours, counted on the clock
    assert state_and_deadline(store, "H-2026-002") == ("handling", "2026-03-09T11:10:00+08:00")
    fire(runtime, "H-2026-002", ("zhao", "reply", {"text": "已安排抢修。"}, "2026-03-09T10:50"),
         ("wang", "call_back", {"rating": "不满意", "comment": "路面仍未恢复"}, "2026-03-09T16:00"))
    # unsatisfied: handled again in a fresh term of three workdays
    assert state_and_deadline(store, "H-2026-002") == ("rework", "2026-03-13T00:00:00+08:00")  # to the end of Thursday
    fire(runtime, "H-2026-002", ("zhao", "reply", {"text": "路面已修复。"}, "2026-03-11T11:00"),
         ("wang", "call_back", {"rating": "基本满意"}, "2026-03-11T15:00"))
    item = show_item(store, "H-2026-002", as_of=END_OF_YEAR)
    assert (item["state"], item["fields"]["rating"], item["fields"]["lead_unit"]) == ("closed", "基本满意", "czj")

    # an order not signed for within the hour is urged by the system, and may still be signed for
    order(runtime, "H-2026-003", "2026-04-14T09:00", unit="jyj", priority="紧急", category="噪音")
    report = sweep(runtime, datetime(2026, 4, 14, 10, 30, tzinfo=SHANGHAI))
    assert report.events == 1  # the overdue sign-for: 催办 fired as the system
    assert log(store, "H-2026-003")[-1]["event"] == "urge"
    assert log(store, "H-2026-003")[-1]["actor"] == "system"
    fire(runtime, "H-2026-003", ("sun", "sign_for", {"handler": "孙科长"}, "2026-04-14T10:40"))
    assert state_and_deadline(store, "H-2026-003") == ("handling", "2026-04-15T10:40:00+08:00")  # 紧急: 24 hours
    fire(runtime, "H-2026-003", ("sun", "reply", {"text": "已责令工地停止夜间施工。"}, "2026-04-15T09:00"))
    # nobody calls back: three workdays later the system closes the order (自动办结)
    assert state_and_deadline(store, "H-2026-003") == ("replied", "2026-04-21T00:00:00+08:00")  # end of Monday
    assert sweep(runtime, datetime(2026, 4, 20, 23, 0, tzinfo=SHANGHAI)).events == 0
    assert sweep(runtime, datetime(2026, 4, 21, 8, 0, tzinfo=SHANGHAI)).events == 1
    item = show_item(store, "H-2026-003", as_of=END_OF_YEAR)
    assert (item["state"], item["fields"]["auto_closed"]) == ("closed", True)
    closing = log(store, "H-2026-003")[-1]
    assert (closing["event"], closing["actor"]) == ("auto_close", "system")
    with pytest.raises(NotAllowedNow):  # closed is final: a late callback is refused
        runtime.fire("H-2026-003", "call_back", "wang", {"rating": "满意"}, at="2026-04-21T09:00")

    # the rest of the year: one ordinary order a month, each called back
    for month in range(5, 13):
        ref = f"H-2026-1{month:02d}"
        unit = ("zjj", "czj", "jyj")[month % 3]
        order(runtime, ref, f"2026-{month:02d}-03T09:00", unit=unit, category="环境")
        fire(runtime, ref, (UNIT_USER[unit], "sign_for", {"handler": "经办人"}, f"2026-{month:02d}-03T09:20"),
             (UNIT_USER[unit], "reply", {"text": "已处理。"}, f"2026-{month:02d}-05T10:00"),
             ("wang", "call_back", {"rating": "满意"}, f"2026-{month:02d}-05T15:00"))
        assert show_item(store, ref, as_of=END_OF_YEAR)["state"] == "closed"

    assert verify(store)["ok"]
    ledger = build_ledger(store, as_of=END_OF_YEAR)
    rows = {row.ref: row for row in ledger.rows}
    assert {"H-2026-001", "H-2026-002", "H-2026-003"} <= set(rows) and len(rows) == 11
    assert (rows["H-2026-002"].lead_unit, rows["H-2026-002"].rating) == ("czj", "基本满意")
