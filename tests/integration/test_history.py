"""The complete history moves between databases: export, import elsewhere, export again —
the two files are identical and both traces verify."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from banli.cli import cli
from banli.demo.year import play_year, prepare
from banli.engine.definitions import builtin_files, register_file
from banli.engine.runtime import Runtime
from banli.engine.sweep import sweep
from banli.store.audit import verify
from banli.store.history import export_lines
from banli.store.repo import SqlStore, item_t
from banli.store.schema import upgrade
from tests.conftest import _pg_database

SHANGHAI = ZoneInfo("Asia/Shanghai")


def demo_store(url: str) -> SqlStore:
    store = SqlStore(url)
    upgrade(store.engine)
    for path in builtin_files():
        register_file(store, path, "test")
    prepare(store)
    runtime = Runtime(store, now=lambda: datetime(2023, 5, 10, 10, tzinfo=SHANGHAI))
    play_year(store, runtime, seed=7, suggestions=25)
    # one item left open and overdue, so that reminders and notifications travel too
    runtime.create(workflow_id="npc-suggestion", ref="16-1-900", title="关于乡镇卫生院建设的建议", actor="reg-1",
                   deputies=[store.actor("dep01").deputy], fields={"category": "科教文卫"}, at="2023-01-05T09:00")
    for user, event, data, at in [("reg-1", "sort", {"category": "科教文卫"}, "2023-01-06T09:00"),
                                  ("reg-1", "review", {}, "2023-01-07T09:00"), ("reg-1", "audit", {}, "2023-01-08T09:00"),
                                  ("npc-1", "approve", {}, "2023-01-09T09:00"),
                                  ("sup-1", "assign", {"lead_unit": "jyj", "mode": "单独办理"}, "2023-01-10T09:00"),
                                  ("jyj-2", "sign_for", {"leader": "局长", "handler": "科长"}, "2023-01-11T09:00")]:
        runtime.fire("16-1-900", event, user, data, at=at)
    assert sweep(runtime, datetime(2023, 5, 10, 9, tzinfo=SHANGHAI)).notifications > 0
    return store


@pytest.fixture
def other_url(tmp_path):
    """An empty database of the other kind: PostgreSQL when it is available, else SQLite."""
    import os

    if os.environ.get("BANLI_TEST_PG"):
        url, drop = _pg_database()
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'restored.db'}"


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def test_export_import_export_is_identical(tmp_path, other_url):
    source = demo_store(f"sqlite:///{tmp_path / 'source.db'}")
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert run("--db", f"sqlite:///{tmp_path / 'source.db'}", "export", str(first)).exit_code == 0
    restored = run("--db", other_url, "import-history", str(first), "--json")
    assert restored.exit_code == 0, restored.stderr
    assert restored.stdout and '"verified": true' in restored.stdout
    assert run("--db", other_url, "export", str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    kinds = {line.split('"type":"')[1].split('"')[0] for line in first.read_text(encoding="utf-8").splitlines()}
    assert {"definition", "unit", "person", "journal", "item", "trace", "reminder", "notification"} <= kinds
    target = SqlStore(other_url)
    assert verify(source)["ok"] and verify(target)["ok"]
    assert verify(target)["rows"] == verify(source)["rows"] > 0
    # the restored database goes on working: the next sweep finds nothing left to do twice
    runtime = Runtime(target, now=lambda: datetime(2023, 5, 10, 10, tzinfo=SHANGHAI))
    assert sweep(runtime, datetime(2023, 5, 10, 9, tzinfo=SHANGHAI)).items == 0
    target.close()


def test_import_refuses_a_used_database_and_a_cut_file(tmp_path):
    store = demo_store(f"sqlite:///{tmp_path / 'source.db'}")
    history = tmp_path / "h.jsonl"
    history.write_text("\n".join(export_lines(store)) + "\n", encoding="utf-8")
    used = run("--db", f"sqlite:///{tmp_path / 'source.db'}", "import-history", str(history))
    assert used.exit_code == 3 and "needs an empty database" in used.stderr
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(history.read_text(encoding="utf-8").splitlines()[:-1]) + "\n", encoding="utf-8")
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    refused = run("--db", empty, "import-history", str(cut))
    assert refused.exit_code == 3 and "without its end line" in refused.stderr
    assert SqlStore(empty).count(item_t) == 0


def test_an_altered_history_does_not_verify(tmp_path):
    store = demo_store(f"sqlite:///{tmp_path / 'source.db'}")
    lines = list(export_lines(store))
    index = next(i for i, line in enumerate(lines) if '"type":"trace"' in line and '"event":"reply"' in line)
    lines[index] = lines[index].replace('"actor":"', '"actor":"x', 1)
    altered = tmp_path / "altered.jsonl"
    altered.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("--db", f"sqlite:///{tmp_path / 'restored.db'}", "import-history", str(altered))
    assert result.exit_code == 8 and "does not verify" in result.stderr
