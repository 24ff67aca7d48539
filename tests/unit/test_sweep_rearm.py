"""Reminders said again, on every backend (memory, SQLite, PostgreSQL): `every`/`times`, each
time a done-mark of its own; re-armed when the deadline moves (an extension) or the state is
entered again (a send-back); and a sweep that runs late says no "due soon" for a deadline
already passed and a repeated reminder once, its latest time."""

from __future__ import annotations

from datetime import datetime

import pytest

from banli.engine.definitions import register_text
from banli.engine.sweep import sweep
from banli.i18n import use
from tests.unit.conftest import SHANGHAI, deadline, done_rules, events, item, notifications, verified
from tests.unit.steps import assigned_on

SOON, LATE = "【即将到期】", "【已逾期】"


# the reminders in Chinese, the language these tests read them in
pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def english():
    """Problems of a definition read in English, as the rest of the suite reads them."""
    with use("en"):
        yield


REPEATING = """
id: repeating
calendar: plain
states:
  open:
    initial: true
    deadline: {after: 10 days, from: enter}
    reminders:
      - {before: 6 days, every: 2 days, notify: [supervisor]}
      - {overdue: 0 days, every: 3 days, times: 3, fire: urge, notify: [supervisor]}
  done: {final: true}
events:
  close: {from: open, to: done, roles: [supervisor]}
  urge: {from: open, internal: true, roles: [supervisor, system]}
"""


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def told(store, ref: str, prefix: str) -> int:
    """Reminder notifications of one item whose subject starts with `prefix`."""
    return sum(1 for row in notifications(store) if row["ref"] == ref and row["subject"].startswith(prefix))


def rules(report) -> list[str]:
    return [action["rule"] for action in report.actions]


@pytest.fixture
def suggestion(runtime, clock):
    clock.now = local(2026, 12, 1, 12)  # sweeps below run as of earlier, chosen instants
    assigned_on(runtime, "16-1-500", "2026-03-02")  # reply due by the end of 2 June 2026
    return "16-1-500"


@pytest.fixture
def opened(store, runtime, clock):
    register_text(store, REPEATING, "repeating.yaml", "test")
    clock.now = local(2026, 12, 1, 12)
    runtime.create(workflow_id="repeating", ref="R-1", title="重复提醒", actor="reg", at="2026-06-01T09:00")
    return "R-1"  # due by the end of 11 June; "due soon" from 6, 8 and 10 June; overdue 12, 15 and 18 June


def test_each_time_of_a_repeating_reminder_is_said_once(store, runtime, opened):
    assert [rules(sweep(runtime, local(2026, 6, day, 10))) for day in (6, 7, 8, 10)] == [
        ["open:0"], [], ["open:0#1"], ["open:0#2"]]
    assert told(store, opened, SOON) == 3  # 6 days before, then every 2 days up to the deadline
    assert sweep(runtime, local(2026, 6, 11, 23)).items == 0  # no fourth: the deadline comes first
    for day, rule in ((12, "open:1"), (15, "open:1#1"), (18, "open:1#2")):
        report = sweep(runtime, local(2026, 6, day, 10))
        assert rules(report) == [rule] and report.events == 1
        assert sweep(runtime, local(2026, 6, day, 10)).items == 0  # a second sweep: nothing more
    assert sweep(runtime, local(2026, 8, 1)).items == 0  # `times: 3`: no fourth urge
    assert item(store, opened).next_due_at is None
    assert events(store, opened).count("urge") == 3 and told(store, opened, LATE) == 3
    assert len(done_rules(store, opened)) == 6
    keys = [row["key"] for row in notifications(store)]
    assert len(keys) == len(set(keys))
    assert verified(store)


def test_a_late_sweep_says_a_repeated_reminder_once_and_no_due_soon_past_the_deadline(store, runtime, opened):
    report = sweep(runtime, local(2026, 6, 16, 10))  # the first sweep since the item opened
    assert rules(report) == ["open:1#1"]  # the latest urge that fell due, once
    assert report.events == 1 and report.skipped == 3 + 1  # 3 "due soon" (deadline passed), 1 earlier urge
    assert told(store, opened, SOON) == 0 and told(store, opened, LATE) == 1
    assert sweep(runtime, local(2026, 6, 16, 10)).items == 0
    assert rules(sweep(runtime, local(2026, 6, 18, 10))) == ["open:1#2"]
    assert events(store, opened).count("urge") == 2
    assert verified(store)


def test_a_late_sweep_of_a_due_soon_before_its_deadline_still_says_it(store, runtime, opened):
    dry = sweep(runtime, local(2026, 6, 11, 10), dry_run=True)
    assert rules(dry) == ["open:0#2"] and dry.skipped == 2
    report = sweep(runtime, local(2026, 6, 11, 10))
    assert rules(report) == ["open:0#2"] and report.skipped == 2 and told(store, opened, SOON) == 1


def test_an_extension_rearms_the_due_soon_and_the_urge(store, runtime, suggestion):
    assert rules(sweep(runtime, local(2026, 5, 28, 9))) == ["handling:0"]
    assert rules(sweep(runtime, local(2026, 6, 3, 0, 30))) == ["handling:1"]
    assert (told(store, suggestion, SOON), events(store, suggestion).count("urge")) == (1, 1)
    runtime.fire(suggestion, "grant_extension", "wang", {"extend_by": "1 months"}, at="2026-06-04T09:00")
    assert deadline(store, suggestion, local(2026, 6, 4))[0] == "2026-07-03T00:00:00+08:00"
    # the reminders are counted again against the new deadline: "due soon" 7 days before it
    assert item(store, suggestion).next_due_at == "2026-06-25T16:00:00.000000"
    assert sweep(runtime, local(2026, 6, 25, 23)).items == 0
    again = sweep(runtime, local(2026, 6, 26, 9))
    assert rules(again) == ["handling:0"] and told(store, suggestion, SOON) == 2
    assert rules(sweep(runtime, local(2026, 7, 3, 0, 30))) == ["handling:1"]
    assert events(store, suggestion).count("urge") == 2 and told(store, suggestion, LATE) == 4
    assert len(done_rules(store, suggestion)) == 4  # the marks for the old deadline are kept
    keys = [row["key"] for row in notifications(store)]
    assert len(keys) == len(set(keys))
    assert verified(store)


def test_a_send_back_rearms_the_reminders_of_the_state_entered_again(store, runtime, suggestion):
    assert rules(sweep(runtime, local(2026, 5, 28, 9))) == ["handling:0"]
    reply = {"result_class": "A", "text": "张三代表：您好！", "signer": "王局长", "contact_person": "李科长"}
    runtime.fire(suggestion, "reply", "li", reply, at="2026-05-29T09:00")
    runtime.fire(suggestion, "return_reply", "wang", {"reason": "答复过于笼统"}, at="2026-05-30T09:00")
    # back in handling, the deadline still 3 months after assignment: "due soon" again
    assert item(store, suggestion).next_due_at == "2026-05-26T16:00:00.000000"
    assert rules(sweep(runtime, local(2026, 5, 31, 9))) == ["handling:0"]
    assert told(store, suggestion, SOON) == 2
    assert rules(sweep(runtime, local(2026, 6, 3, 0, 30))) == ["handling:1"]
    assert verified(store)


def test_a_send_back_after_the_deadline_urges_again_without_a_due_soon(store, runtime, suggestion):
    sweep(runtime, local(2026, 6, 4))
    reply = {"result_class": "A", "text": "张三代表：您好！", "signer": "王局长", "contact_person": "李科长"}
    runtime.fire(suggestion, "reply", "li", reply, at="2026-06-05T09:00")
    runtime.fire(suggestion, "return_reply", "wang", {"reason": "答复过于笼统"}, at="2026-06-06T09:00")
    again = sweep(runtime, local(2026, 6, 7))
    assert rules(again) == ["handling:1"] and again.skipped == 1
    assert events(store, suggestion).count("urge") == 2 and told(store, suggestion, SOON) == 0


def test_npc_suggestion_urges_a_second_handling_three_times(store, runtime, suggestion):
    reply = {"result_class": "A", "text": "张三代表：您好！", "signer": "王局长", "contact_person": "李科长"}
    runtime.fire(suggestion, "reply", "li", reply, at="2026-05-20T09:00")
    runtime.fire(suggestion, "accept_reply", "wang", {}, at="2026-05-21T09:00")
    runtime.fire(suggestion, "rate", "zhang", {"rating": "不满意"}, at="2026-05-22T09:00")
    assert item(store, suggestion).state == "rehandling"  # due a month later: the end of 22 June
    urged = [rules(sweep(runtime, local(2026, month, day, 9))) for month, day in ((6, 23), (6, 29), (6, 30), (7, 7))]
    assert urged == [["rehandling:0"], [], ["rehandling:0#1"], ["rehandling:0#2"]]  # every 5 workdays
    assert sweep(runtime, local(2026, 9, 1)).items == 0
    assert events(store, suggestion).count("urge") == 3


def test_a_mark_from_before_marks_named_their_deadline_counts_as_the_first_time(store, runtime, suggestion):
    found = item(store, suggestion)
    mark = {"entered_seq": found.entered_seq, "rule": "handling:0", "due_at": found.next_due_at,
            "done_at": found.next_due_at, "fired": None}
    with store.write() as tx:  # as an older banli marked it: the rule alone
        tx.mark_reminders(found.id, [mark])
    assert rules(sweep(runtime, local(2026, 5, 28, 9))) == []  # said already: not again after an upgrade
    assert told(store, suggestion, SOON) == 0


def test_a_long_mark_fits_the_name_column_and_stays_unique(store, runtime, clock):
    state = "s" * 50  # with a repetition and a deadline the mark would pass 64 characters
    text = REPEATING.replace("  open:", f"  {state}:").replace("from: open", f"from: {state}").replace(
        "id: repeating", "id: long-marks")
    register_text(store, text, "long.yaml", "test")
    clock.now = local(2026, 12, 1, 12)
    runtime.create(workflow_id="long-marks", ref="L-1", title="长名称", actor="reg", at="2026-06-01T09:00")
    for day in (6, 8, 10, 12, 15):
        sweep(runtime, local(2026, 6, day, 10))
    marks = done_rules(store, "L-1")
    assert len(marks) == 5 and all(len(mark) <= 64 for mark in marks)
    assert events(store, "L-1").count("urge") == 2


@pytest.mark.parametrize(("reminder", "problem"), [
    ("{overdue: 0 days, times: 3, notify: [supervisor]}",
     "9:27: state 'open'.reminders[0]: 'times: 3' needs 'every' (how long between two times), "
     "e.g. 'every: 3 workdays'"),
    ("{overdue: 0 days, every: 0 days, notify: [supervisor]}",
     "9:34: state 'open'.reminders[0].every: a reminder repeats after more than 0 days; "
     "write e.g. 'every: 3 workdays'"),
    ("{overdue: 0 days, every: 3 days, times: 51, notify: [supervisor]}",
     "9:49: state 'open'.reminders[0].times must be a whole number from 1 to 50, not 51"),
    ("{overdue: 0 days, every: 3 days, times: true, notify: [supervisor]}",
     "9:49: state 'open'.reminders[0].times must be a whole number from 1 to 50, not bool True"),
    ("{overdue: 0 days, every: soon, notify: [supervisor]}",
     "9:34: state 'open'.reminders[0].every: bad duration 'soon'"),
])
def test_every_and_times_are_checked_with_their_positions(reminder, problem, english):
    from banli.engine.parse import parse_text
    from banli.errors import DefinitionErrors

    text = REPEATING.replace("      - {before: 6 days, every: 2 days, notify: [supervisor]}\n", "").replace(
        "      - {overdue: 0 days, every: 3 days, times: 3, fire: urge, notify: [supervisor]}", f"      - {reminder}")
    with pytest.raises(DefinitionErrors) as raised:
        parse_text(text, "r.yaml")
    assert [found.render() for found in raised.value.problems][0].startswith(f"r.yaml:{problem}")


def test_a_campaign_tasks_reminder_repeats_against_its_fixed_due_date():
    from types import SimpleNamespace

    from banli.engine.compile import CompiledWorkflow
    from banli.engine.parse import parse_text
    from banli.engine.reminders import earliest_pending, fallen_due, schedule
    from banli.engine.times import utc_text

    text = REPEATING.replace("events:\n", "events:\n  check_open: {from: done, internal: true, roles: [system]}\n") + """campaigns:
  check:
    select: [{state: done}]
    fire: check_open
    due: 10 days
    reminders: [{overdue: 0 days, every: 2 days, times: 2, notify: [supervisor]}]
"""
    workflow = CompiledWorkflow(parse_text(text, "r.yaml"), "hash")
    task = SimpleNamespace(name="check", campaign_id=7, due_at=utc_text(local(2026, 6, 12)))
    [series] = schedule(workflow, "done", None, [task])
    assert [(due.key, due.at) for due in series] == [("campaign:7:0", local(2026, 6, 12)),
                                                     ("campaign:7:0#1", local(2026, 6, 14))]
    assert [due.key for due in fallen_due(series, {"campaign:7:0"}, local(2026, 6, 20))] == ["campaign:7:0#1"]
    assert earliest_pending([series], {"campaign:7:0"}) == utc_text(local(2026, 6, 14))
    assert earliest_pending([series], {"campaign:7:0", "campaign:7:0#1"}) is None
