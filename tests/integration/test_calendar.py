"""Deadlines across a year chinese-calendar does not know: counted Monday–Friday (and traced
as such) until the operator adds the year's schedule, then counted again and traced."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from banli.engine.deadlines import recount_fallback_deadlines
from banli.engine.schedule_file import read_schedule
from banli.errors import InvalidInput
from banli.store.audit import log, verify
from banli.store.calendar import save_year
from banli.store.queries import show_item

SCHEDULE_2027 = Path(__file__).parent.parent / "data" / "calendar-2027.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def assign(runtime, ref: str, at: str) -> None:
    runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于冬季供暖的建议", actor="reg",
                   deputies=["李四"], fields={"category": "城市建设"}, at="2026-12-01T09:00")
    for user, event, data, when in [("reg", "sort", {"category": "城市建设"}, "2026-12-02T09:00"),
                                    ("reg", "review", {}, "2026-12-03T09:00"), ("reg", "audit", {}, "2026-12-04T09:00"),
                                    ("npc", "approve", {}, "2026-12-07T09:00"),
                                    ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}, at)]:
        runtime.fire(ref, event, user, data, at=when)


def test_a_2027_deadline_before_and_after_the_schedule_is_added(store, runtime, clock, caplog, monkeypatch):
    monkeypatch.setattr("banli.engine.calendar._warned_years", set())  # the warning is once per process
    clock.now = datetime(2027, 1, 10, 12, tzinfo=SHANGHAI)
    assign(runtime, "16-2-001", "2026-12-28T10:00")  # sign-for window: 5 workdays, into 2027
    item = show_item(store, "16-2-001", as_of=clock.now)
    # Dec 29, 30, 31, then 1 Jan 2027 (a Friday) and 4 Jan counted Monday–Friday
    assert item["deadline"] == "2027-01-05T00:00:00+08:00"
    assert "no official holiday schedule for 2027" in caplog.text
    assigned = log(store, "16-2-001")[-1]
    assert assigned["data"]["@deadline"] == {"due": "2027-01-05T00:00:00+08:00", "was": None, "calendar": "fallback"}

    parsed = read_schedule(SCHEDULE_2027)
    save_year(store, parsed.schedule(), source=parsed.source, by="test", at="2027-01-10T04:00:00.000000")
    assert recount_fallback_deadlines(runtime, reason="calendar 2027 added") == ["16-2-001"]

    item = show_item(store, "16-2-001", as_of=clock.now)
    assert item["deadline"] == "2027-01-06T00:00:00+08:00"  # 1–3 January are holidays: 4 and 5 Jan count
    recount = log(store, "16-2-001")[-1]
    assert (recount["event"], recount["actor"], recount["from"], recount["to"]) == \
        ("deadline_recomputed", "system", "assigned", "assigned")
    assert recount["data"]["@deadline"] == {"due": "2027-01-06T00:00:00+08:00", "was": "2027-01-05T00:00:00+08:00",
                                            "calendar": "cn"}
    assert recount_fallback_deadlines(runtime, reason="again") == []  # nothing left on the fallback
    assert verify(store)["ok"]


def test_the_schedule_moves_a_deadline_that_spans_the_spring_festival(store, runtime, clock):
    clock.now = datetime(2027, 3, 1, 12, tzinfo=SHANGHAI)
    parsed = read_schedule(SCHEDULE_2027)
    save_year(store, parsed.schedule(), source=parsed.source, by="test", at="2027-01-10T04:00:00.000000")
    assign(runtime, "16-2-002", "2027-02-04T10:00")
    # 5 Feb (Fri), [6–12 holiday], 14 (Sun, worked), 15, 16, 17
    assert show_item(store, "16-2-002", as_of=clock.now)["deadline"] == "2027-02-18T00:00:00+08:00"


def test_extension_moves_the_deadline_and_the_trace_shows_both(store, runtime, clock):
    clock.now = datetime(2027, 6, 1, 12, tzinfo=SHANGHAI)
    assign(runtime, "16-2-003", "2026-12-08T10:00")
    runtime.fire("16-2-003", "sign_for", "li", {"leader": "王局长", "handler": "李科长"}, at="2026-12-09T09:00")
    assert show_item(store, "16-2-003", as_of=clock.now)["deadline"] == "2027-03-09T00:00:00+08:00"
    runtime.fire("16-2-003", "request_extension", "li", {"reason": "需协调资金", "extend_by": "1 months"},
                 at="2027-02-20T09:00")
    runtime.fire("16-2-003", "grant_extension", "wang", {"extend_by": "1 months"}, at="2027-02-21T09:00")
    assert show_item(store, "16-2-003", as_of=clock.now)["deadline"] == "2027-04-09T00:00:00+08:00"
    granted = log(store, "16-2-003")[-1]
    assert granted["data"]["@deadline"] == {"due": "2027-04-09T00:00:00+08:00", "was": "2027-03-09T00:00:00+08:00",
                                            "calendar": "cn"}
    assert granted["data"]["@extension"] == "1 months"
    # a reply sent back re-enters handling: the deadline is counted again, extension included
    reply = {"result_class": "A", "text": "李四代表：您好！", "signer": "王局长", "contact_person": "李科长"}
    runtime.fire("16-2-003", "reply", "li", reply, at="2027-02-21T10:00")
    runtime.fire("16-2-003", "return_reply", "wang", {"reason": "答复过简"}, at="2027-02-21T11:00")
    assert show_item(store, "16-2-003", as_of=clock.now)["deadline"] == "2027-04-09T00:00:00+08:00"
    with pytest.raises(InvalidInput, match="longer than the 3 months allowed"):
        runtime.fire("16-2-003", "grant_extension", "wang", {"extend_by": "4 months"}, at="2027-02-22T09:00")
    with pytest.raises(InvalidInput, match="bad duration"):
        runtime.fire("16-2-003", "grant_extension", "wang", {"extend_by": "a while"}, at="2027-02-22T09:00")
