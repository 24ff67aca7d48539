"""Deadlines that fit real procedures, on every backend (memory, SQLite, PostgreSQL): counted in
office hours, taken from a field or a table keyed by one, paused and resumed (挂起/恢复), and
fresh each time a state is entered again — played through tests/definitions/good/hotline-deadlines.yaml."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from banli.engine.definitions import register_file, register_text
from banli.engine.runtime import Runtime
from banli.engine.sweep import sweep
from banli.errors import InvalidInput, NotAllowedNow
from tests.conftest import Clock
from tests.unit.conftest import SHANGHAI, deadline, item, log, verified

HOTLINE = Path(__file__).resolve().parent.parent / "definitions" / "good" / "hotline-deadlines.yaml"
# 2026-06-01 is a Monday; June 1–5 and 8–12 are workdays.


@pytest.fixture
def runtime(store):
    register_file(store, HOTLINE, "test")
    return Runtime(store, now=Clock(datetime(2026, 7, 1, tzinfo=timezone.utc)))


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI)


def _due(store, ref: str) -> str | None:
    return deadline(store, ref, _local(1, 0))[0]


def _order(runtime, ref: str, priority: str, dispatched: str = "2026-06-01T11:30") -> None:
    runtime.create(workflow_id="hotline-deadlines", ref=ref, title="小区停水", actor="reg",
                   fields={"category": "供水"}, at="2026-06-01T09:00")
    runtime.fire(ref, "dispatch", "wang", {"priority": priority, "lead_unit": "zjj"}, at=dispatched)


def _data(store, ref: str, seq: int) -> dict:
    return next(row["data"] for row in log(store, ref) if row["seq"] == seq)


def test_a_deadline_in_workhours_counts_only_office_time_on_workdays(store, runtime):
    _order(runtime, "H-1", "紧急")  # 11:30 + 1 office hour: 30 minutes before noon, 30 after 14:30
    assert _due(store, "H-1") == "2026-06-01T15:00:00+08:00"
    runtime.fire("H-1", "redispatch", "wang", {"lead_unit": "czj", "reason": "职责不符"}, at="2026-06-05T17:30")
    assert _due(store, "H-1") == "2026-06-08T09:00:00+08:00"  # Friday 17:30: half an hour, then Monday 08:30
    runtime.fire("H-1", "sign_for", "zhao", {}, at="2026-06-08T08:50")
    # 紧急: 4 workhours from signing for: 3h10 before noon, 50 minutes after 14:30
    assert deadline(store, "H-1", _local(8, 15, 20)) == ("2026-06-08T15:20:00+08:00", False)
    assert deadline(store, "H-1", _local(8, 15, 21))[1]
    assert verified(store)


def test_a_deadline_comes_from_a_table_keyed_by_a_field_or_from_the_fields_own_text(store, runtime):
    _order(runtime, "H-2", "特急")
    runtime.fire("H-2", "sign_for", "li", {}, at="2026-06-01T11:40")
    assert _due(store, "H-2") == "2026-06-01T13:40:00+08:00"  # 特急: 2 hours, the clock's own
    _order(runtime, "H-3", "一般")
    runtime.fire("H-3", "sign_for", "li", {}, at="2026-06-01T11:40")
    assert _due(store, "H-3") == "2026-06-09T00:00:00+08:00"  # no entry: the default, 5 workdays
    runtime.fire("H-3", "reply", "li", {"text": "已修复"}, at="2026-06-02T09:00")
    with pytest.raises(InvalidInput, match="field 'rework_within'.*bad duration 'soon'"):
        runtime.fire("H-3", "call_back", "wang", {"rating": "不满意", "rework_within": "soon"}, at="2026-06-02T10:00")
    assert item(store, "H-3").state == "replied"  # nothing applied
    runtime.fire("H-3", "call_back", "wang", {"rating": "不满意", "rework_within": "2 workdays"}, at="2026-06-02T10:00")
    assert _due(store, "H-3") == "2026-06-05T00:00:00+08:00"  # the field's own text: 2 workdays
    runtime.fire("H-3", "reply", "li", {"text": "已再次修复"}, at="2026-06-03T09:00")
    runtime.fire("H-3", "call_back", "wang", {"rating": "不满意", "rework_within": ""}, at="2026-06-03T10:00")
    assert item(store, "H-3").fields.get("rework_within") == "2 workdays"  # empty data sets nothing
    assert _due(store, "H-3") == "2026-06-06T00:00:00+08:00"  # entered again: a fresh 2 workdays


def test_a_paused_clock_is_not_overdue_reminds_nobody_and_resumes_with_the_time_left(store, runtime):
    _order(runtime, "H-4", "紧急", dispatched="2026-06-08T08:00")
    runtime.fire("H-4", "sign_for", "li", {}, at="2026-06-08T08:50")  # due 15:20
    paused = runtime.fire("H-4", "suspend", "li", {"reason": "等待供水公司检修"}, at="2026-06-08T10:00")
    assert deadline(store, "H-4", _local(30, 0)) == (None, False)
    assert item(store, "H-4").next_due_at is None and item(store, "H-4").deadline_basis == "paused"
    note = _data(store, "H-4", paused.seq)
    assert note["@clock"]["paused"] and note["@deadline"] == {
        "due": None, "was": "2026-06-08T15:20:00+08:00", "calendar": "paused"}
    assert sweep(runtime, _local(9, 9)).actions == []
    with pytest.raises(NotAllowedNow, match="already paused"):
        runtime.fire("H-4", "suspend", "li", {"reason": "again"}, at="2026-06-08T11:00")
    resumed = runtime.fire("H-4", "resume", "li", {}, at="2026-06-09T10:00")
    # 2h50 of office time were left at 10:00 on Monday; they run again from 10:00 on Tuesday
    assert _due(store, "H-4") == "2026-06-09T15:20:00+08:00"
    assert _data(store, "H-4", resumed.seq)["@clock"] == {"resumed": True, "paused_at": "2026-06-08T10:00:00+08:00"}
    with pytest.raises(NotAllowedNow, match="nothing to resume"):
        runtime.fire("H-4", "resume", "li", {}, at="2026-06-09T11:00")
    assert [row["event"] for row in log(store, "H-4")][-2:] == ["suspend", "resume"]
    with store.write() as tx:  # counted again from the trace alone (a calendar year added): the same
        assert runtime.recompute_deadline(tx, tx.item("H-4"), "test", runtime.now()) is None
    assert verified(store)


def test_reminders_fall_due_again_once_the_clock_runs(store, runtime):
    _order(runtime, "H-5", "紧急", dispatched="2026-06-08T08:00")
    runtime.fire("H-5", "sign_for", "li", {}, at="2026-06-08T08:50")
    runtime.fire("H-5", "suspend", "li", {"reason": "等待"}, at="2026-06-08T10:00")
    runtime.fire("H-5", "resume", "li", {}, at="2026-06-09T10:00")  # due 15:20
    assert item(store, "H-5").next_due_at == "2026-06-09T03:50:00.000000"  # 1 office hour before: 11:50
    late = sweep(runtime, _local(9, 15, 21))  # past the 15:20 deadline: no "due soon" any more
    assert [(action["rule"], action["fire"]) for action in late.actions] == [("handling:1", "urge")]
    assert late.skipped == 1


CARRIED = """
id: carried-clock
calendar: plain
states:
  new: {initial: true}
  handling: {deadline: {after: 5 workdays, from: assign}}
  replied: {}
  done: {final: true}
events:
  assign: {from: new, to: handling, roles: [supervisor]}
  hold: {from: handling, internal: true, clock: pause, roles: [supervisor]}
  go_on: {from: handling, internal: true, clock: resume, roles: [supervisor]}
  reply: {from: handling, to: replied, roles: [supervisor]}
  send_back: {from: replied, to: handling, roles: [supervisor]}
  close: {from: replied, to: done, roles: [supervisor]}
"""


def test_days_paused_still_count_when_a_state_is_entered_again(store, runtime):
    register_text(store, CARRIED, "carried.yaml", "test")
    runtime.create(workflow_id="carried-clock", ref="C-1", title="t", actor="wang", at="2026-06-01T08:00")
    runtime.fire("C-1", "assign", "wang", at="2026-06-01T09:00")
    assert _due(store, "C-1") == "2026-06-09T00:00:00+08:00"  # 5 workdays: June 2–5 and 8
    runtime.fire("C-1", "hold", "wang", at="2026-06-02T10:00")
    runtime.fire("C-1", "go_on", "wang", at="2026-06-04T10:00")  # June 2 and 3 paused: 2 workdays
    assert _due(store, "C-1") == "2026-06-11T00:00:00+08:00"
    runtime.fire("C-1", "hold", "wang", at="2026-06-05T10:00")
    runtime.fire("C-1", "reply", "wang", at="2026-06-09T10:00")  # leaving ends the pause: June 5 and 8
    runtime.fire("C-1", "send_back", "wang", at="2026-06-10T10:00")
    assert _due(store, "C-1") == "2026-06-13T00:00:00+08:00"  # from assign: 5 + 2 + 2 workdays
    moved = [(row["event"], row["data"]["@deadline"]["due"]) for row in log(store, "C-1") if "@deadline" in row["data"]]
    assert moved == [("assign", "2026-06-09T00:00:00+08:00"), ("hold", None), ("go_on", "2026-06-11T00:00:00+08:00"),
                     ("hold", None), ("reply", None), ("send_back", "2026-06-13T00:00:00+08:00")]
    assert verified(store)


@pytest.mark.parametrize("start, hours, sign, expect", [
    ((18, 17, 0), 2, 1, (22, 9, 30)),  # Thursday 17:00, then the Dragon Boat holiday and the weekend
    ((22, 9, 30), 2, -1, (18, 17, 0)),  # and back again
    ((22, 12, 30), 1, 1, (22, 15, 30)),  # lunch does not count
    ((22, 18, 0), 0, 1, (22, 18, 0)),  # nothing to add: the instant itself
    ((22, 11, 0), 1, 1, (22, 12, 0)),  # ends with the morning, not at 14:30
], ids=["over-a-holiday", "backwards", "over-lunch", "zero", "to-noon"])
def test_workhours_count_office_time_on_the_statutory_calendar(start, hours, sign, expect):
    from datetime import timedelta

    from banli.engine.calendar import ChineseCalendar
    from banli.engine.workhours import OfficeHours

    office = OfficeHours(((510, 720), (870, 1080)))
    assert office.add(_local(*start), timedelta(hours=hours), ChineseCalendar(), SHANGHAI, sign) == _local(*expect)
    if sign == 1:
        assert office.between(_local(*start), _local(*expect), ChineseCalendar(), SHANGHAI) == timedelta(hours=hours)
