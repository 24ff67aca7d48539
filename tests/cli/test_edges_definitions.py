"""`banli workflow validate|register` at the edges (issue 14, item 3): every broken file ends in
exit 3 with positions, the output is capped, and what a store must hold (a workflow that
`spawn_children` names, names and versions that fit its columns) is checked on registration,
on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from tests.cli.test_exit_codes import one_line_error

PARENT = """id: parent
fields: {co_units: {type: units}}
states: {new: {initial: true}, done: {final: true}}
events:
  assign:
    from: new
    to: done
    roles: [supervisor]
    data: [co_units]
    effects: [{spawn_children: {workflow: CHILD, units: co_units}}]
"""


def _write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


@pytest.mark.parametrize("content", [
    b"", b"\xff\xfe\x00junk", b"- a\n- b\n", b"id: a\n---\nid: b\n", b"id: x\nstates: &s [*s]\n",
    b"? [a, b]\n: 1\n", b"id: x\n\tstates: {}\n", b"id: x\ncampaigns: {c: {outcome: {a: b}}}\n",
], ids=["empty", "binary", "list", "two-documents", "recursive-alias", "complex-key", "tab", "outcome-mapping"])
def test_validate_refuses_what_is_not_a_definition_with_exit_3(banli, tmp_path, content):
    path = _write(tmp_path, "broken.yaml", content)

    result = banli("workflow", "validate", path)

    assert result.exit_code == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert all(line.startswith(f"{path}:") for line in result.stderr.splitlines())


def test_validate_shows_the_first_100_problems_and_counts_the_rest(banli, tmp_path):
    events = "".join(f"  e{index}: {{from: new, to: new, roles: [nobody]}}\n" for index in range(150))
    path = _write(tmp_path, "many.yaml", f"id: many\nstates: {{new: {{initial: true}}}}\nevents:\n{events}")

    result = banli("workflow", "validate", path)
    as_json = banli("workflow", "validate", path, "--json")

    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert len(lines) == 101
    assert lines[-1] == f"{path}: … and 50 more problems; fix these first"
    assert as_json.exit_code == 3
    [report] = as_json.json()
    assert (len(report["errors"]), report["more"]) == (100, 50)


def test_register_refuses_spawn_children_of_an_unknown_workflow(banli, tmp_path):
    path = _write(tmp_path, "parent.yaml", PARENT.replace("CHILD", "no-such-task"))

    result = banli("workflow", "register", path)

    assert result.exit_code == 3
    assert one_line_error(result).endswith(f"{path}:10:43: effect 'spawn_children' in event 'assign': no workflow "
                                           "'no-such-task' is registered; register it first (see 'banli workflow list')")
    assert banli("workflow", "show", "parent").exit_code == 7  # nothing was stored


def test_register_takes_spawn_children_of_a_registered_workflow(banli, tmp_path):
    result = banli("workflow", "register", _write(tmp_path, "parent.yaml", PARENT.replace("CHILD", "unit-task")))

    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(("text", "expected"), [
    ("id: {long}\nstates: {{new: {{initial: true}}}}\nevents: {{}}\n", "an id has at most 64"),
    ("id: x\nstates: {{new: {{initial: true}}, {long}: {{}}}}\nevents: {{go: {{from: new, to: {long}, roles: [admin]}}}}\n",
     "a name has at most 64 characters"),
    ("id: x\nversion: 2147483648\nstates: {{new: {{initial: true}}}}\nevents: {{}}\n", "from 1 to 2147483647"),
], ids=["id", "state", "version"])
def test_register_refuses_what_the_stores_columns_cannot_hold(banli, tmp_path, text, expected):
    path = _write(tmp_path, "wide.yaml", text.format(long="a" * 65))

    result = banli("workflow", "register", path)

    assert result.exit_code == 3
    assert expected in one_line_error(result)
    assert {row["id"] for row in banli("workflow", "list", "--json").json()}.isdisjoint({"x", "a" * 65})


def test_no_version_past_the_last_one_is_taken(banli, tmp_path):
    from pathlib import Path

    source = (Path(__file__).parent.parent / "definitions" / "good" / "hotline-order.yaml").read_text(encoding="utf-8")
    last = tmp_path / "last.yaml"
    last.write_text(source.replace("version: 2\n", "version: 2147483647\n"), encoding="utf-8")
    assert banli("workflow", "register", str(last)).exit_code == 0
    unversioned = tmp_path / "next.yaml"
    unversioned.write_text(source.replace("version: 2\n", "").replace("Hotline work order", "Hotline order"),
                           encoding="utf-8")
    line = one_line_error(banli("workflow", "register", str(unversioned)))
    assert "2147483647" in line and "new id" in line, line


@pytest.mark.parametrize("args", [
    ("workflow", "show", "npc-suggestion", "--version", "3000000000"),
    ("workflow", "graph", "npc-suggestion", "--version", "99999999999999"),
    ("workflow", "migrate", "npc-suggestion", "--to", "3000000000", "--dry-run"),
], ids=["show", "graph", "migrate"])
def test_a_version_past_the_column_is_not_found(banli, args):
    result = banli(*args)
    line = one_line_error(result)
    assert result.exit_code == 7 and "no workflow npc-suggestion version" in line, line
