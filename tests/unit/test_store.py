"""The store's ports asked directly, on every backend: what the SQL store answers, refuses and
keeps, the in-memory twin must too (transactions all or nothing, savepoints, ids, the outbox,
reminder marks, campaigns, the sweep's claims, the organisation, registering many, calendars)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from banli.engine.bulk import register_many
from banli.engine.durations import parse_duration
from banli.engine.org import OrgFile
from banli.engine.records import Actor, OpenTask
from banli.engine.runtime import Runtime
from banli.engine.schedule_file import read_schedule
from banli.errors import InvalidInput, NotAllowedNow, RefTaken, UniqueViolation
from tests.conftest import DATA
from tests.unit.conftest import (
    SHANGHAI, counts, done_rules, events, item, load_org, log, notifications, save_year,
)
from tests.unit.steps import register_for_year

AT = "2026-02-01T00:00:00.000000"


def new_item(tx, store, ref: str):
    return tx.insert_item(ref=ref, workflow_id="npc-suggestion",
                          definition_id=store.workflows.get("npc-suggestion").definition_id, parent_id=None,
                          title="t", content="", state="registered", fields={}, created_at=AT)


def test_a_writing_transaction_is_all_or_nothing(store, runtime):
    register_for_year(runtime, "A-1")
    before = counts(store)
    with pytest.raises(RuntimeError, match="half-way"):
        with store.write() as tx:
            runtime.fire_in(tx, "A-1", "sort", "reg", {"category": "城市建设"}, None)
            tx.set_deputies(new_item(tx, store, "A-2").id, ["张三"], new=True)
            raise RuntimeError("half-way")
    assert counts(store) == before and item(store, "A-2") is None
    assert (item(store, "A-1").version, events(store, "A-1")) == (1, ["created"])


def test_a_savepoint_undoes_only_its_block(store, runtime):
    register_for_year(runtime, "A-1")
    people = {person.id: person for person in _people(store)}
    with store.write() as tx:
        runtime.fire_in(tx, "A-1", "sort", "reg", {"category": "城市建设"}, None)
        with pytest.raises(NotAllowedNow):
            with tx.savepoint():
                runtime.fire_in(tx, "A-1", "review", "reg", {}, None)
                tx.notify_many([{"cause": "c", "people": [people["li"]], "item": tx.item("A-1"), "subject": "s",
                                 "body": "b", "at": AT}])
                new_item(tx, store, "A-2")
                raise NotAllowedNow("undo the block")
        assert tx.item("A-1").state == "sorted" and tx.item("A-2") is None
        runtime.fire_in(tx, "A-1", "review", "reg", {}, None)
    assert events(store, "A-1") == ["created", "sort", "review"]
    assert notifications(store) == [] and item(store, "A-2") is None


def test_items_get_ids_in_order_and_refs_once(store):
    with store.write() as tx:
        first, second = new_item(tx, store, "X-1"), new_item(tx, store, "X-2")
        tx.set_deputies(second.id, ["李四", "张三", "李四"], new=True)
        assert tx.deputies(second.id) == ["李四", "张三"]
    assert (first.id, second.id, first.version, first.seq, first.head_hash) == (1, 2, 0, 0, "")
    with store.read() as tx:
        assert tx.item_ids(["X-2", "X-9", "X-1"]) == {"X-1": 1, "X-2": 2}
        assert tx.deputies(2) == ["李四", "张三"]
    with pytest.raises(InvalidInput, match="item X-1 already exists"):
        with store.write() as tx:
            new_item(tx, store, "X-1")
    with pytest.raises(UniqueViolation) as twice:
        with store.write() as tx:
            tx.sync_assignments(1, "zjj", ["czj", "czj"])
    assert twice.value.constraint == "assignment_pkey"


def _people(store):
    with store.read() as tx:
        return tx.people()


def test_the_outbox_keeps_one_message_per_cause_and_person(store, runtime):
    register_for_year(runtime, "A-1")
    people = {person.id: person for person in _people(store)}
    message = {"cause": "c1", "people": [people["li"], people["wang"]], "item": item(store, "A-1"),
               "subject": "s", "body": "b", "at": AT}
    with store.write() as tx:
        assert tx.notify_many([message]) == 2
    with store.write() as tx:
        assert tx.notify_many([message, {**message, "cause": "c2", "people": [people["li"]]}]) == 1
    assert [(row["key"], row["ref"], row["recipient"]) for row in notifications(store)] == [
        ("c1>li", "A-1", "li"), ("c1>wang", "A-1", "wang"), ("c2>li", "A-1", "li")]


def test_a_rule_marked_twice_in_one_entry_fails_the_transaction(store, runtime):
    register_for_year(runtime, "A-1")
    mark = {"entered_seq": 1, "rule": "registered:0", "due_at": AT, "done_at": AT, "fired": None}
    with store.write() as tx:
        tx.mark_reminders(item(store, "A-1").id, [mark])
    assert done_rules(store, "A-1") == {"registered:0"}
    with pytest.raises(UniqueViolation) as twice:
        with store.write() as tx:
            tx.mark_reminders(tx.item("A-1").id, [{**mark, "entered_seq": 0, "rule": "campaign:1:0"}])
            tx.mark_reminders(tx.item("A-1").id, [mark])
    assert twice.value.constraint == "reminder_item_id_entered_seq_rule_key"
    assert done_rules(store, "A-1") == {"registered:0"}
    with store.write() as tx:  # a campaign task's rule (entry 0) counts in every entry
        tx.mark_reminders(tx.item("A-1").id, [{**mark, "entered_seq": 0, "rule": "campaign:1:0"}])
        assert tx.done_rules(tx.item("A-1").id, 7) == {"campaign:1:0"}
    assert done_rules(store, "A-1") == {"registered:0", "campaign:1:0"}


def test_a_campaign_is_opened_once_and_its_tasks_kept(store, runtime):
    register_for_year(runtime, "A-1")  # registered at 09:00 on 5 January, Shanghai time
    workflow_id = store.workflows.get("npc-suggestion").definition_id
    assert store.campaign_candidates(["npc-suggestion"], {"registered"}, "2026-01-05T00:59:59.999999") == []
    assert store.campaign_candidates(["npc-suggestion"], {"registered"}, "2026-01-05T01:00:00.000000") == [
        ("A-1", workflow_id, "registered", {"category": "城市建设"})]
    row = {"name": "lookback", "workflow_id": "npc-suggestion", "session": "16-1", "label": "回头看",
           "opened_at": AT, "due_at": "2026-03-01T00:00:00.000000", "by": "system"}
    campaign_id, made = store.open_campaign_row(**row)
    assert made and store.open_campaign_row(**row) == (campaign_id, False)
    with store.write() as tx:
        a = tx.item("A-1")
        assert tx.add_task(campaign_id, a.id, AT, row["due_at"]) is True
        assert tx.add_task(campaign_id, a.id, AT, row["due_at"]) is False
        assert tx.open_tasks(a.id) == [OpenTask(campaign_id, "lookback", row["due_at"])]
    with store.write() as tx:
        assert tx.record_outcome(a.id, "lookback", "已落实", "2026-02-10T00:00:00.000000") == 1
        assert tx.record_outcome(a.id, "census", "已落实", "2026-02-10T00:00:00.000000") == 0
        assert tx.open_tasks(a.id) == []
    assert store.campaign_status("lookback", "16-1") == [{
        "campaign": {"id": campaign_id, "name": "lookback", "workflow_id": "npc-suggestion", "session": "16-1",
                     "label": "回头看", "opened_at": AT, "due_at": row["due_at"], "opened_by": "system"},
        "tasks": [{"ref": "A-1", "lead_unit": None, "outcome": "已落实", "due_at": row["due_at"],
                   "outcome_at": "2026-02-10T00:00:00.000000"}]}]
    assert store.campaign_status("lookback", "16-2") == [] and store.campaign_status("census") == []


def test_the_sweep_claims_due_items_in_order_after_its_cursor(store, runtime):
    dues = {"A-1": "2026-05-01T00:00:00.000000", "A-2": "2026-04-01T00:00:00.000000",
            "A-3": "2026-05-01T00:00:00.000000", "A-4": None, "A-5": "2026-07-01T00:00:00.000000"}
    for ref in dues:
        register_for_year(runtime, ref)
    with store.write() as tx:
        for ref, due in dues.items():
            tx.set_next_due(tx.item(ref), due)
    assert (item(store, "A-1").version, item(store, "A-1").next_due_at) == (1, dues["A-1"])  # not an event
    as_of = "2026-05-01T00:00:00.000000"
    assert store.due_refs("2026-04-30T00:00:00.000000") == ["A-2"] and store.due_refs(as_of, limit=1) == ["A-2"]
    assert sorted(store.due_refs(as_of)) == ["A-1", "A-2", "A-3"]
    with store.write() as tx:
        assert tx.claim_due(as_of, "", "", 2) == [(dues["A-2"], "A-2"), (dues["A-1"], "A-1")]
        assert tx.claim_due(as_of, dues["A-1"], "A-1", 5) == [(dues["A-3"], "A-3")]
        assert tx.claim_due(as_of, dues["A-3"], "A-3", 5) == []


def test_the_organisation_answers_in_order_and_loads_again(store):
    with store.read() as tx:
        assert tx.missing_units(["zjj", "nosuch", "czj", "x"]) == ["nosuch", "x"]
        assert tx.unknown_deputies(["王五", "赵九", "张三", "赵九"]) == ["赵九", "赵九"]
        assert tx.unit_names(["czj", "nosuch", "zjj"]) == ["县财政局", "nosuch", "县住建局"]
        assert tx.person_exists("li") and not tx.person_exists("ghost")
        assert sorted(tx.deputy_names()) == ["张三", "李四", "王五"]
        names = tx.org_names()
        people = tx.people()
    assert names.deputies == ("张三", "李四", "王五") and names.units["rd-xgw"] == "县人大选工委"
    assert names.people == {person.id: person.name for person in people}
    assert [person.id for person in people] == sorted(person.id for person in people)
    assert next(person for person in people if person.id == "li").roles == frozenset({"unit"})
    assert store.actor("li") == Actor(id="li", name="李华", roles=frozenset({"unit"}), unit="zjj")
    assert store.actor("zhang").deputy == "张三" and store.actor("ghost") is None
    again = OrgFile(units=[{"id": "zjj", "name": "县住建局（新）"}], deputies=["赵九"],
                    people=[{"id": "li", "name": "李华", "roles": ["unit", "registrar"], "unit": "zjj"},
                            {"id": "new", "name": "新人", "roles": ["supervisor"], "email": "new@example.org"}])
    assert load_org(store, again) == {"units": 1, "people": 2, "deputies": 1}
    with store.read() as tx:  # updated, nothing deleted
        assert tx.unit_names(["zjj", "czj"]) == ["县住建局（新）", "县财政局"]
        assert tx.unknown_deputies(["赵九", "王五"]) == []
        assert next(person for person in tx.people() if person.id == "new").email == "new@example.org"
    assert store.actor("li").roles == frozenset({"unit", "registrar"})


@dataclass
class Row:
    ref: str
    title: str
    deputies: list[str]
    fields: dict
    content: str = ""
    at: datetime | None = None


def test_many_registered_at_once_are_those_registered_one_by_one(store, make_store, clock):
    rows = [Row("B-1", "关于一的建议", ["张三"], {"category": "城市建设"}, "内容", datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)),
            Row("B-2", "关于二的建议", ["李四", "张三"], {"category": "城市建设", "session": "16-1"})]
    runtime, other = Runtime(store, now=clock), make_store()
    with store.write() as tx:
        register_many(tx, store.workflows.get("npc-suggestion"), rows, runtime.actor("reg"), clock.now)
    one_by_one = Runtime(other, now=clock)
    with other.write() as tx:
        for row in rows:
            one_by_one.create_in(tx, workflow=other.workflows.get("npc-suggestion"), ref=row.ref, title=row.title,
                                 actor=one_by_one.actor("reg"), deputies=row.deputies, fields=row.fields,
                                 content=row.content, at=row.at)
    assert log(store) == log(other) and len(log(store)) == 2
    for ref in ("B-1", "B-2"):
        assert item(store, ref) == item(other, ref)
    with store.read() as tx:
        assert tx.deputies(item(store, "B-2").id) == ["李四", "张三"]
    before = counts(store)
    with pytest.raises(RefTaken):
        with store.write() as tx:
            register_many(tx, store.workflows.get("npc-suggestion"), [Row("B-3", "t", [], {"category": "城市建设"}),
                                                                       rows[0]], runtime.actor("reg"), clock.now)
    assert counts(store) == before and item(store, "B-3") is None


def test_a_calendar_year_added_is_counted_at_once(store):
    parsed = read_schedule(DATA / "calendar-2027.yaml")
    start = datetime(2027, 2, 4, 10, tzinfo=SHANGHAI)
    assert store.workflows.get("npc-suggestion").after(start, parse_duration("5 workdays"))[1] == "fallback"
    assert save_year(store, parsed.schedule(), parsed.source) is False
    assert save_year(store, parsed.schedule(), parsed.source) is True  # replaced
    assert store.calendar_years() == {2027: parsed.schedule()}
    # 5 Feb (Fri), [6–12 holiday], 14 (Sun, worked), 15, 16, 17
    due, basis = store.workflows.get("npc-suggestion").after(start, parse_duration("5 workdays"))
    assert (due.astimezone(SHANGHAI).isoformat(), basis) == ("2027-02-18T00:00:00+08:00", "cn")
