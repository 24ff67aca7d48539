"""Definition versions, on every backend: registering the same content again makes no version,
running items keep theirs until migrated, and a migration is traced per item, counted anew
under the new version's rules, and refused whole when it would strand an item."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from banli.engine.definitions import register_text
from banli.engine.migrate import migrate
from banli.engine.records import Actor
from banli.errors import InvalidInput
from tests.unit.conftest import deadline, item, log, verified

OPERATOR = Actor(id="operator", name="operator", roles=frozenset({"admin"}))

V1 = """
id: permit
title: 许可申请
states:
  new: {label: 新申请, initial: true}
  working: {label: 办理中}
  done: {label: 办结, final: true}
events:
  start: {label: 受理, from: new, to: working, roles: [supervisor]}
  finish: {label: 办结, from: working, to: done, roles: [supervisor]}
"""

V2 = """
id: permit
title: 许可申请
settings: {handle_within: 5 workdays}
states:
  new: {label: 新申请, initial: true}
  handling:
    label: 审查中
    deadline: {after: $handle_within, from: enter}
  reviewing: {label: 复核中}
  done: {label: 办结, final: true}
events:
  start: {label: 受理, from: new, to: handling, roles: [supervisor]}
  finish: {label: 审查完毕, from: handling, to: reviewing, roles: [supervisor]}
  approve: {label: 复核通过, from: reviewing, to: done, roles: [supervisor]}
"""


def test_a_version_is_made_only_by_new_content(store):
    first = register_text(store, V1, "v1.yaml", "test")
    assert (first["version"], first["created"]) == (1, True)
    assert register_text(store, V1 + "# a comment\n", "v1.yaml", "test")["created"] is False
    with pytest.raises(InvalidInput, match="version 1 is already registered with other content; raise 'version' to 2"):
        register_text(store, "version: 1\n" + V2, "v2.yaml", "test")
    assert register_text(store, "version: 5\n" + V2, "v2.yaml", "test")["version"] == 5  # a gap is allowed
    assert register_text(store, "version: 5\n" + V2, "v2.yaml", "test")["created"] is False
    assert register_text(store, V2.replace("5 workdays", "6 workdays"), "v3.yaml", "test")["version"] == 6
    assert store.workflows.get("permit").version == 6
    assert "working" in store.workflows.get("permit", 1).definition.states
    assert "handling" in store.workflows.get("permit", 5).definition.states


def test_items_keep_their_version_until_migrated(store, runtime, clock):
    clock.now = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    assert register_text(store, V1, "v1.yaml", "test")["version"] == 1
    for ref, at in (("P-1", "2026-03-02T09:00"), ("P-2", "2026-03-02T10:00"), ("P-3", "2026-03-02T11:00")):
        runtime.create(workflow_id="permit", ref=ref, title="施工许可", actor="wang", at=at)
        runtime.fire(ref, "start", "wang", at=at)
    runtime.fire("P-3", "finish", "wang", at="2026-03-03T09:00")  # done on v1
    assert register_text(store, V2, "v2.yaml", "test")["version"] == 2

    # P-1 still runs on version 1: `finish` takes it straight to done
    assert runtime.fire("P-1", "finish", "wang").to_state == "done"

    # P-2 sits in `working`, which version 2 does not have: refused, nothing changed
    before = log(store, "P-2")
    with pytest.raises(InvalidInput) as refused:
        migrate(runtime, "permit", 2, {}, OPERATOR)
    assert "no state working" in refused.value.message and "P-2" in refused.value.message
    assert "--map working=NEW" in refused.value.message
    assert log(store, "P-2") == before

    dry = migrate(runtime, "permit", 2, {"working": "handling"}, OPERATOR, dry_run=True)
    assert dry["moves"] == [{"ref": "P-2", "from_version": 1, "to_version": 2, "from_state": "working",
                             "to_state": "handling"}]  # P-1 and P-3 are finished and stay on v1
    assert log(store, "P-2") == before

    migrate(runtime, "permit", 2, {"working": "handling"}, OPERATOR)
    migration = log(store, "P-2")[-1]
    assert (migration["event"], migration["from"], migration["to"]) == ("migrated", "working", "handling")
    assert migration["data"]["from_version"] == 1 and migration["data"]["to_version"] == 2
    assert migration["data"]["@deadline"]["due"] == "2026-03-10T00:00:00+08:00"  # 5 workdays from 2 March
    assert item(store, "P-2").state == "handling"
    assert deadline(store, "P-2", clock.now)[0] == "2026-03-10T00:00:00+08:00"
    assert store.workflows.by_id(item(store, "P-1").definition_id).version == 1
    assert store.workflows.by_id(item(store, "P-2").definition_id).version == 2

    # now it follows version 2: `finish` leads to review, then `approve`
    assert runtime.fire("P-2", "finish", "wang").to_state == "reviewing"
    assert runtime.fire("P-2", "approve", "wang").to_state == "done"
    assert verified(store)
    assert migrate(runtime, "permit", 2, {}, OPERATOR)["moves"] == []


def test_a_map_to_a_state_the_version_lacks_is_refused(store, runtime):
    register_text(store, V1, "v1.yaml", "test")
    with pytest.raises(InvalidInput, match="nowhere"):
        migrate(runtime, "permit", 1, {"working": "nowhere"}, OPERATOR)
