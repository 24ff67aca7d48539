"""Definition versions from the command line: `workflow register`, `diff` and `migrate` with
`--map` and `--dry-run`, their JSON and their refusal (exit 3). What a migration does to items
is tested on every backend in tests/unit/test_migrate.py."""

from __future__ import annotations

from tests.unit.test_migrate import V1, V2  # the same two versions the rule tests migrate between


def test_register_diff_and_migrate(banli, tmp_path):
    v1, v2 = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    v1.write_text(V1, encoding="utf-8")
    v2.write_text(V2, encoding="utf-8")
    assert banli("workflow", "register", str(v1), "--json").json()["version"] == 1
    assert banli("item", "add", "--workflow", "permit", "--ref", "P-2", "--title", "施工许可", "--at",
                 "2026-03-02T10:00", user="wang").exit_code == 0
    assert banli("fire", "P-2", "start", "--at", "2026-03-02T10:00", user="wang").exit_code == 0
    assert banli("workflow", "register", str(v2), "--json").json()["version"] == 2

    diff = banli("workflow", "diff", "permit", "1", "2", "--json").json()["changes"]
    assert {(c["section"], c["name"], c["change"]) for c in diff} >= {
        ("state", "working", "removed"), ("state", "handling", "added"), ("event", "approve", "added"),
        ("event", "finish", "changed"), ("setting", "handle_within", "added")}

    # P-2 sits in `working`, which version 2 does not have: refused in one line
    refused = banli("workflow", "migrate", "permit", "--to", "2")
    assert refused.exit_code == 3
    assert "no state working" in refused.stderr and "P-2" in refused.stderr and "--map working=NEW" in refused.stderr

    dry = banli("workflow", "migrate", "permit", "--to", "2", "--map", "working=handling", "--dry-run", "--json").json()
    assert dry["moves"] == [{"ref": "P-2", "from_version": 1, "to_version": 2, "from_state": "working",
                             "to_state": "handling"}]
    assert banli("item", "show", "P-2", "--json").json()["state"] == "working"

    moved = banli("workflow", "migrate", "permit", "--to", "2", "--map", "working=handling", "--json")
    assert moved.exit_code == 0, moved.stderr
    assert moved.json()["moves"][0]["to_state"] == "handling"
    assert banli("item", "show", "P-2", "--json").json()["state"] == "handling"
