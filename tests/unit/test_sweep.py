"""The reminder sweep at chosen instants, on every backend: nothing before it is due, each rule
acted on once, escalation after the overdue window, and a sweep killed half-way leaves exactly
one of each. Items are swept in batches, one transaction each: an item that fails is undone
alone (the items before it kept), one that changed underneath is taken again, a batch whose
commit clashes is taken again whole."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from banli.engine.sweep import sweep
from banli.errors import InvalidInput, NotAllowedNow, Retry
from tests.unit.conftest import deadline, done_rules, events, log, notifications, verified
from tests.unit.steps import assigned_on

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def told(store) -> list[tuple[str, str]]:
    """(recipient, subject) of every reminder's notification, in the order written (an event's
    own notices, `#notify:` in their key, are another test's)."""
    return [(row["recipient"], row["subject"]) for row in notifications(store) if "#notify:" not in row["key"]]


def reminded(store, ref: str) -> tuple[int, int]:
    """(reminder rules acted on in the item's state entry, notifications) of one item."""
    return len(done_rules(store, ref)), sum(1 for row in notifications(store)
                                            if row["ref"] == ref and "#notify:" not in row["key"])


@pytest.fixture
def item(runtime, clock):
    clock.now = local(2026, 9, 1, 12)  # sweeps below run as of earlier, chosen instants
    assigned_on(runtime, "16-1-200", "2026-03-02")  # reply due 3 months later: end of 2 June 2026
    return "16-1-200"



def test_sweeps_at_chosen_instants(store, runtime, item, chinese):
    assert deadline(store, item, local(2026, 5, 1))[0] == "2026-06-03T00:00:00+08:00"
    assert sweep(runtime, local(2026, 5, 20)).items == 0  # nothing before anything is due

    early = sweep(runtime, local(2026, 5, 28, 9))  # 7 days before: the lead unit is told
    assert [(a["rule"], a["kind"]) for a in early.actions] == [("handling:0", "before")]
    assert told(store) == [("li", "【即将到期】16-1-200 关于城区道路积水治理的建议")]
    assert events(store, item)[-1] == "sign_for"  # a `before` rule fires nothing

    on_time = local(2026, 6, 2, 23, 59)
    assert sweep(runtime, on_time).items == 0  # the last day is not over yet

    overdue = sweep(runtime, local(2026, 6, 3, 0, 30))
    assert [a["rule"] for a in overdue.actions] == ["handling:1"] and overdue.events == 1
    assert events(store, item)[-1] == "urge"
    assert log(store, item)[-1]["actor"] == "system"
    assert {r for r, _ in told(store)} == {"li", "wang"}  # lead unit and supervisor
    assert sweep(runtime, local(2026, 6, 3, 0, 30)).items == 0  # a second sweep: nothing more
    assert sweep(runtime, local(2026, 6, 10)).items == 0

    # 10 workdays past the deadline: 3–5, 8–12, 15–16 June → escalation as of 17 June
    assert sweep(runtime, local(2026, 6, 16, 23)).items == 0
    escalation = sweep(runtime, local(2026, 6, 17, 8))
    assert [a["fire"] for a in escalation.actions] == ["supervise"]
    assert events(store, item)[-2:] == ["urge", "supervise"]
    assert sweep(runtime, local(2026, 8, 1)).items == 0
    assert events(store, item).count("urge") == 1 and events(store, item).count("supervise") == 1
    assert verified(store)


def test_dry_run_changes_nothing_and_may_look_ahead(store, runtime, item):
    report = sweep(runtime, local(2026, 12, 1), dry_run=True)
    # no "due soon" for a deadline already passed: the `before` rule is skipped
    assert [a["rule"] for a in report.actions] == ["handling:1", "handling:2"] and report.skipped == 1
    assert told(store) == [] and events(store, item)[-1] == "sign_for"
    with pytest.raises(InvalidInput, match="in the future"):
        sweep(runtime, local(2026, 12, 1))


def test_a_sweep_killed_half_way_then_run_again_does_each_once(store, runtime, clock):
    clock.now = local(2026, 9, 1, 12)
    refs = [f"16-1-{n}" for n in range(300, 306)]
    for ref in refs:
        assigned_on(runtime, ref, "2026-03-02")
    first = sweep(runtime, local(2026, 6, 20), stop_after=2)  # "killed" after two items
    assert first.items == 2
    second = sweep(runtime, local(2026, 6, 20))
    assert second.items == 4
    assert sweep(runtime, local(2026, 6, 20)).items == 0
    for ref in refs:
        assert events(store, ref).count("urge") == 1, ref
        assert events(store, ref).count("supervise") == 1, ref
    assert sum(len(done_rules(store, ref)) for ref in refs) == 3 * len(refs)
    keys = [row["key"] for row in notifications(store)]
    assert len(keys) == len(set(keys))  # one per cause and person
    assert verified(store)


def test_a_new_state_entry_starts_its_reminders_afresh(store, runtime, item):
    sweep(runtime, local(2026, 6, 4))
    reply = {"result_class": "A", "text": "张三代表：您好！", "signer": "王局长", "contact_person": "李科长"}
    runtime.fire(item, "reply", "li", reply, at="2026-06-05T09:00")
    runtime.fire(item, "return_reply", "wang", {"reason": "答复过于笼统"}, at="2026-06-06T09:00")
    # back in handling: a new state entry, the deadline still 3 months after assignment (overdue)
    again = sweep(runtime, local(2026, 6, 7))
    assert [a["rule"] for a in again.actions] == ["handling:1"] and again.skipped == 1  # the deadline has passed
    assert events(store, item).count("urge") == 2


def test_an_item_that_fails_is_undone_alone_and_the_items_before_it_are_kept(store, runtime, clock, monkeypatch):
    clock.now = local(2026, 9, 1, 12)
    refs = [f"16-1-{n}" for n in range(400, 405)]  # one deadline: swept in ref order, in one batch
    for ref in refs:
        assigned_on(runtime, ref, "2026-03-02")
    fire_in = runtime.fire_in

    def refusing(tx, ref, event, *args, **kwargs):
        if ref == refs[2]:
            fire_in(tx, ref, event, *args, **kwargs)  # its trace row is written (held back), then undone
            raise NotAllowedNow(f"'{event}' is not possible on {ref} yet: a test says no")
        return fire_in(tx, ref, event, *args, **kwargs)

    monkeypatch.setattr(runtime, "fire_in", refusing)
    with pytest.raises(NotAllowedNow, match="a test says no"):
        sweep(runtime, local(2026, 6, 4))
    assert [events(store, ref)[-1] for ref in refs] == ["urge", "urge", "sign_for", "sign_for", "sign_for"]
    assert [reminded(store, ref) for ref in refs] == [(2, 2), (2, 2), (0, 0), (0, 0), (0, 0)]
    assert verified(store)

    monkeypatch.setattr(runtime, "fire_in", fire_in)
    again = sweep(runtime, local(2026, 6, 4))
    assert again.items == 3 and again.events == 3 and again.notifications == 6
    assert [events(store, ref).count("urge") for ref in refs] == [1] * 5
    assert [reminded(store, ref) for ref in refs] == [(2, 2)] * 5
    assert verified(store)


def test_an_item_that_changed_underneath_is_taken_again_and_done_once(store, runtime, clock, monkeypatch):
    clock.now = local(2026, 9, 1, 12)
    refs = [f"16-1-{n}" for n in range(410, 413)]
    for ref in refs:
        assigned_on(runtime, ref, "2026-03-02")
    fire_in, clashes = runtime.fire_in, []

    def clashing_once(tx, ref, event, *args, **kwargs):
        fired = fire_in(tx, ref, event, *args, **kwargs)
        if ref == refs[1] and not clashes:
            clashes.append(ref)
            raise Retry()  # as if another writer had changed the item: its savepoint is undone
        return fired

    monkeypatch.setattr(runtime, "fire_in", clashing_once)
    report = sweep(runtime, local(2026, 6, 4))
    assert clashes == [refs[1]]
    assert report.items == 3 and report.events == 3 and len(report.actions) == 3 and report.notifications == 6
    assert [events(store, ref).count("urge") for ref in refs] == [1] * 3
    assert [reminded(store, ref) for ref in refs] == [(2, 2)] * 3
    assert verified(store)


def test_a_sweep_over_several_batches_does_each_item_once(store, runtime, clock, monkeypatch):
    clock.now = local(2026, 9, 1, 12)
    refs = [f"16-1-{n}" for n in range(420, 425)]
    for ref in refs:
        assigned_on(runtime, ref, "2026-03-02")
    runtime.fire(refs[0], "urge", "wang", at="2026-05-01T09:00")  # a reply due on the same day, urged by hand
    monkeypatch.setattr(type(store), "sweep_batch", 2)  # three transactions: 2 + 2 + 1 items
    early = sweep(runtime, local(2026, 5, 28, 9))  # only `before` rules: no event, the next due date moves on
    assert early.items == 5 and early.events == 0 and [a["rule"] for a in early.actions] == ["handling:0"] * 5
    late = sweep(runtime, local(2026, 6, 20))
    assert late.items == 5 and late.events == 10
    assert sweep(runtime, local(2026, 6, 20)).items == 0
    assert [events(store, ref).count("urge") for ref in refs] == [2, 1, 1, 1, 1]
    assert [events(store, ref).count("supervise") for ref in refs] == [1] * 5
    assert [reminded(store, ref)[0] for ref in refs] == [3] * 5
    assert verified(store)


def test_a_batch_whose_commit_clashes_is_taken_again_whole(store, runtime, clock, monkeypatch):
    from contextlib import contextmanager

    clock.now = local(2026, 9, 1, 12)
    refs = [f"16-1-{n}" for n in range(430, 435)]
    for ref in refs:
        assigned_on(runtime, ref, "2026-03-02")
    monkeypatch.setattr(type(store), "sweep_batch", 2)
    write, clashes = store.write, []

    @contextmanager
    def clashing_once():
        with write() as tx:
            yield tx
            if not clashes:  # the first batch is rolled back, as when its commit clashes
                clashes.append(True)
                raise Retry()

    monkeypatch.setattr(store, "write", clashing_once)
    report = sweep(runtime, local(2026, 6, 4))
    assert clashes and report.items == 5 and report.events == 5 and report.notifications == 10
    assert sweep(runtime, local(2026, 6, 4)).items == 0
    assert [events(store, ref).count("urge") for ref in refs] == [1] * 5
    assert [reminded(store, ref) for ref in refs] == [(2, 2)] * 5
    assert verified(store)


def test_a_batch_that_runs_out_of_time_lets_the_rest_go_to_the_next(store, runtime, clock, monkeypatch):
    from banli.engine import sweep as sweeping

    clock.now = local(2026, 9, 1, 12)
    refs = [f"16-1-{n}" for n in range(440, 444)]
    for ref in refs:
        assigned_on(runtime, ref, "2026-03-02")
    monkeypatch.setattr(sweeping, "BATCH_SECONDS", 0.0)  # every batch ends after its first item
    report = sweep(runtime, local(2026, 6, 4))
    assert report.items == 4 and report.events == 4
    assert sweep(runtime, local(2026, 6, 4)).items == 0
    assert [reminded(store, ref) for ref in refs] == [(2, 2)] * 4
