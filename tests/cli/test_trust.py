"""The CLI trusts --as (SPEC §4), so it records who ran it: every event fired from the command
line carries the operating-system user in its trace data, and `system`, the scheduler's own
actor, cannot be named with --as (nor in a replay line)."""

from __future__ import annotations

import getpass
import json

import pytest

from tests.cli.conftest import TO_HANDLING, walk

OS_USER = getpass.getuser()


def trace(banli, ref: str) -> list[dict]:
    result = banli("audit", "log", ref, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_every_event_from_the_cli_names_the_os_user(banli, suggestion, tmp_path):
    walk(banli, suggestion, TO_HANDLING[:2])
    rows = tmp_path / "rows.csv"
    rows.write_text("ref,title,deputies,category\n16-1-002,关于修路的建议,李四,城市建设\n", encoding="utf-8")
    assert banli("item", "import", str(rows), "--workflow", "npc-suggestion", user="reg").exit_code == 0
    replayed = tmp_path / "events.jsonl"
    replayed.write_text(json.dumps({"ref": "16-1-002", "event": "sort", "as": "reg",
                                    "data": {"category": "城市建设"}}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert banli("replay", str(replayed)).exit_code == 0
    for ref in (suggestion, "16-1-002"):
        rows_of_item = trace(banli, ref)
        assert rows_of_item, ref
        for row in rows_of_item:
            assert row["data"]["@os_user"] == OS_USER, (ref, row["event"])
    assert [row["actor"] for row in trace(banli, suggestion)] == ["reg", "reg", "reg"]
    assert banli("audit", "verify").exit_code == 0  # the note is part of what each row's hash covers


@pytest.mark.parametrize("args", [
    ("fire", "16-1-001", "sort", "--data", "category=城市建设"),
    ("can", "16-1-001"),
    ("item", "add", "--workflow", "npc-suggestion", "--ref", "16-1-009", "--title", "标题", "--deputy", "张三"),
], ids=["fire", "can", "item-add"])
def test_system_cannot_be_named_with_as(banli, suggestion, args):
    before = trace(banli, suggestion)
    result = banli(*args, user="system")
    assert result.exit_code == 4, result.stderr
    assert "'system'" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert trace(banli, suggestion) == before
    assert banli("item", "show", "16-1-009").exit_code == 7


def test_system_cannot_be_named_in_a_replay_line(banli, suggestion, tmp_path):
    replayed = tmp_path / "events.jsonl"
    replayed.write_text(json.dumps({"ref": suggestion, "event": "sort", "as": "system",
                                    "data": {"category": "城市建设"}}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = banli("replay", str(replayed), "--atomic")
    assert result.exit_code == 4, result.stderr
    assert len(trace(banli, suggestion)) == 1


def test_the_sweep_still_acts_as_system(banli, suggestion):
    walk(banli, suggestion, TO_HANDLING)
    result = banli("remind", "--as-of", "2026-06-30", "--json")
    assert result.exit_code == 0, result.stderr
    system_rows = [row for row in trace(banli, suggestion) if row["actor"] == "system"]
    assert system_rows, "the overdue item was urged by the system"
    assert all(row["data"]["@os_user"] == OS_USER for row in system_rows)  # who ran the sweep
