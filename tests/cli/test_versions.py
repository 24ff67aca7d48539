"""Definition versions in production: running items keep their version until migrated;
a migration is traced per item, refused whole when it would strand an item."""

from __future__ import annotations

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


def test_items_keep_their_version_until_migrated(banli, tmp_path):
    v1, v2 = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    v1.write_text(V1, encoding="utf-8")
    v2.write_text(V2, encoding="utf-8")
    assert banli("workflow", "register", str(v1), "--json").json()["version"] == 1
    for ref, at in (("P-1", "2026-03-02T09:00"), ("P-2", "2026-03-02T10:00"), ("P-3", "2026-03-02T11:00")):
        assert banli("item", "add", "--workflow", "permit", "--ref", ref, "--title", "施工许可", "--at", at,
                     user="wang").exit_code == 0
        assert banli("fire", ref, "start", "--at", at, user="wang").exit_code == 0
    assert banli("fire", "P-3", "finish", "--at", "2026-03-03T09:00", user="wang").exit_code == 0  # done on v1
    assert banli("workflow", "register", str(v2), "--json").json()["version"] == 2

    diff = banli("workflow", "diff", "permit", "1", "2", "--json").json()["changes"]
    assert {(c["section"], c["name"], c["change"]) for c in diff} >= {
        ("state", "working", "removed"), ("state", "handling", "added"), ("event", "approve", "added"),
        ("event", "finish", "changed"), ("setting", "handle_within", "added")}

    # P-1 still runs on version 1: `finish` takes it straight to done
    assert banli("fire", "P-1", "finish", "--json", user="wang").json()["to"] == "done"

    # P-2 sits in `working`, which version 2 does not have: refused, nothing changed
    before = banli("audit", "log", "P-2", "--json").json()
    refused = banli("workflow", "migrate", "permit", "--to", "2")
    assert refused.exit_code == 3
    assert "no state working" in refused.stderr and "P-2" in refused.stderr and "--map working=NEW" in refused.stderr
    assert banli("audit", "log", "P-2", "--json").json() == before

    dry = banli("workflow", "migrate", "permit", "--to", "2", "--map", "working=handling", "--dry-run", "--json").json()
    assert dry["moves"] == [{"ref": "P-2", "from_version": 1, "to_version": 2, "from_state": "working",
                             "to_state": "handling"}]  # P-1 and P-3 are finished and stay on v1
    assert banli("audit", "log", "P-2", "--json").json() == before

    moved = banli("workflow", "migrate", "permit", "--to", "2", "--map", "working=handling", "--json")
    assert moved.exit_code == 0, moved.stderr
    trace = banli("audit", "log", "P-2", "--json").json()
    migration = trace[-1]
    assert (migration["event"], migration["from"], migration["to"]) == ("migrated", "working", "handling")
    assert migration["data"]["from_version"] == 1 and migration["data"]["to_version"] == 2
    assert migration["data"]["@deadline"]["due"] == "2026-03-10T00:00:00+08:00"  # 5 workdays from 2 March
    shown = banli("item", "show", "P-2", "--json").json()
    assert shown["state"] == "handling" and shown["deadline"] == "2026-03-10T00:00:00+08:00"

    # now it follows version 2: `finish` leads to review, then `approve`
    assert banli("fire", "P-2", "finish", "--json", user="wang").json()["to"] == "reviewing"
    assert banli("fire", "P-2", "approve", "--json", user="wang").json()["to"] == "done"
    verified = banli("audit", "verify", "--json")
    assert verified.exit_code == 0 and verified.json()["ok"]
    assert banli("workflow", "migrate", "permit", "--to", "2", "--json").json()["moves"] == []


def test_a_map_to_a_state_the_version_lacks_is_refused(banli, tmp_path):
    v1 = tmp_path / "v1.yaml"
    v1.write_text(V1, encoding="utf-8")
    banli("workflow", "register", str(v1))
    result = banli("workflow", "migrate", "permit", "--to", "1", "--map", "working=nowhere")
    assert result.exit_code == 3 and "nowhere" in result.stderr
