"""The complete database moves between databases: export, import elsewhere, export again —
the two files are identical, both traces verify, every table of the schema travels, and a
bad line imports nothing and is named."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select, text

from banli.cli import cli
from banli.config import Config
from banli.demo.year import play_year, prepare
from banli.engine.definitions import builtin_files, register_file
from banli.engine.runtime import Runtime
from banli.engine.sweep import sweep
from banli.notify import deliver
from banli.store.audit import verify
from banli.store.history import export_lines
from banli.store.repo import SqlStore, item_t
from banli.store.schema import metadata, upgrade
from tests.conftest import DATA, _pg_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPORT_DAY = datetime(2023, 5, 10, 10, tzinfo=SHANGHAI)


def demo_store(url: str) -> SqlStore:
    """A demo year on SQLite, plus what the demo leaves empty: an open overdue item (reminders,
    notifications), a delivery of them, and an operator's calendar year."""
    store = SqlStore(url)
    upgrade(store.engine)
    for path in builtin_files():
        register_file(store, path, "test")
    prepare(store)
    runtime = Runtime(store, now=lambda: REPORT_DAY)
    play_year(store, runtime, seed=7, suggestions=25)
    runtime.create(workflow_id="npc-suggestion", ref="16-1-900", title="关于乡镇卫生院建设的建议", actor="reg-1",
                   deputies=[store.actor("dep01").deputy], fields={"category": "科教文卫"}, at="2023-01-05T09:00")
    for user, event, data, at in [("reg-1", "sort", {"category": "科教文卫"}, "2023-01-06T09:00"),
                                  ("reg-1", "review", {}, "2023-01-07T09:00"), ("reg-1", "audit", {}, "2023-01-08T09:00"),
                                  ("npc-1", "approve", {}, "2023-01-09T09:00"),
                                  ("sup-1", "assign", {"lead_unit": "jyj", "mode": "单独办理"}, "2023-01-10T09:00"),
                                  ("jyj-2", "sign_for", {"leader": "局长", "handler": "科长"}, "2023-01-11T09:00")]:
        runtime.fire("16-1-900", event, user, data, at=at)
    assert sweep(runtime, datetime(2023, 5, 10, 9, tzinfo=SHANGHAI)).notifications > 0
    log = Path(url.removeprefix("sqlite:///")).parent / "notifications.log"  # not the working folder's
    config = Config.model_validate({"notify": {"log": {"file": str(log)}}})
    assert deliver(store, config, REPORT_DAY, clock=lambda: REPORT_DAY)["sent"] > 0
    assert run("--db", url, "calendar", "add", str(DATA / "calendar-2027.yaml")).exit_code == 0
    return store


@pytest.fixture
def other_url(tmp_path):
    """An empty database of the other kind: PostgreSQL when it is available, else SQLite."""
    if os.environ.get("BANLI_TEST_PG"):
        url, drop = _pg_database()
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'restored.db'}"


@pytest.fixture
def empty_url(db_url, tmp_path):
    """Factory: another empty database of the backend under test."""
    dropping = []

    def make(name: str) -> str:
        if db_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / name}"
        url, drop = _pg_database()
        dropping.append(drop)
        return url

    yield make
    for drop in dropping:
        drop()


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table the database holds (read from the database, not the schema)."""
    store = SqlStore(url)
    with store.engine.connect() as connection:
        names = inspect(connection).get_table_names()
        found = {}
        for name in sorted(names):
            quoted = connection.dialect.identifier_preparer.quote(name)
            found[name] = sorted((tuple(row) for row in connection.execute(text(f"SELECT * FROM {quoted}"))), key=repr)
    store.close()
    return found


def write(path, lines) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_export_import_export_is_identical(tmp_path, other_url):
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    source = demo_store(source_url)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert run("--db", source_url, "export", str(first)).exit_code == 0
    restored = run("--db", other_url, "import-history", str(first), "--json")
    assert restored.exit_code == 0, restored.stderr
    assert json.loads(restored.stdout)["verified"] is True
    assert run("--db", other_url, "export", str(second)).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    target = SqlStore(other_url)
    assert verify(target)["rows"] == verify(source)["rows"] > 0
    # the restored database goes on working: the next sweep finds nothing left to do twice,
    # and a new item gets a fresh id (PostgreSQL's sequences were set past the imported ids)
    runtime = Runtime(target, now=lambda: REPORT_DAY)
    assert sweep(runtime, datetime(2023, 5, 10, 9, tzinfo=SHANGHAI)).items == 0
    runtime.create(workflow_id="npc-suggestion", ref="16-1-901", title="关于增设公交站点的建议", actor="reg-1",
                   deputies=[target.actor("dep01").deputy], fields={"category": "城市建设"}, at="2023-05-10T09:00")
    assert run("--db", other_url, "--as", "reg-1", "fire", "16-1-901", "sort", "--data", "category=城市建设",
               "--at", "2023-05-10T09:30").exit_code == 0
    assert verify(target)["ok"]
    target.close()


def test_every_table_of_the_schema_travels(tmp_path):
    url = f"sqlite:///{tmp_path / 'source.db'}"
    demo_store(url).close()
    history = tmp_path / "h.jsonl"
    assert run("--db", url, "export", str(history)).exit_code == 0
    lines = [json.loads(line) for line in history.read_text(encoding="utf-8").splitlines()]
    in_database = set(rows(url)) - {"alembic_version"}
    assert set(lines[0]["tables"]) == set(lines[-1]["counts"]) == set(metadata.tables) == in_database
    carried = {line["table"] for line in lines[1:-1]}
    assert {"campaign", "campaign_task", "calendar_year", "reminder", "notification", "delivery"} <= carried
    helped = run("export", "--help").stdout
    assert all(name in helped for name in metadata.tables)


def test_a_parent_registered_after_its_child_travels(db_url, store, runtime, empty_url, tmp_path):
    for ref in ("P-child", "P-parent"):
        runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于小区加装电梯的建议", actor="reg",
                       deputies=["张三"], fields={"category": "城市建设"})
    with store.engine.begin() as connection:  # as a store that adopted an earlier item would have it
        parent = connection.execute(select(item_t.c.id).where(item_t.c.ref == "P-parent")).scalar_one()
        connection.execute(item_t.update().where(item_t.c.ref == "P-child").values(parent_id=parent))
    history = write(tmp_path / "h.jsonl", export_lines(store))
    target = empty_url("target.db")
    assert run("--db", target, "import-history", history).exit_code == 0
    assert rows(target)["item"] == rows(db_url)["item"]


def test_import_refuses_a_used_database_and_a_cut_file(tmp_path):
    store = demo_store(f"sqlite:///{tmp_path / 'source.db'}")
    history = write(tmp_path / "h.jsonl", export_lines(store))
    used = run("--db", f"sqlite:///{tmp_path / 'source.db'}", "import-history", history)
    assert used.exit_code == 3 and "needs an empty database" in used.stderr
    cut = write(tmp_path / "cut.jsonl", (tmp_path / "h.jsonl").read_text(encoding="utf-8").splitlines()[:-1])
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    refused = run("--db", empty, "import-history", cut)
    assert refused.exit_code == 3 and "without its end line" in refused.stderr
    assert SqlStore(empty).count(item_t) == 0


def _spoil(line: str, how: str) -> str:
    record = json.loads(line)
    if how == "unknown item":
        record["row"]["item_id"] = 999999
    elif how == "ref too long":
        record["row"]["ref"] = "R" * 129
    elif how == "number as text":
        record["row"]["seq"] = str(record["row"]["seq"])
    elif how == "unknown column":
        record["row"]["colour"] = "红"
    return json.dumps(record, ensure_ascii=False)


@pytest.mark.parametrize("how, says", [
    ("unknown item", "the database refuses this trace row"),
    ("ref too long", "a trace row has a ref longer than 128 characters"),
    ("number as text", "a trace row has seq = '"),
    ("unknown column", "a trace row has columns its table lacks: colour"),
], ids=["foreign-key", "length", "type", "column"])
def test_a_bad_line_imports_nothing_and_is_named(store, runtime, empty_url, tmp_path, how, says):
    for n in range(3):
        runtime.create(workflow_id="npc-suggestion", ref=f"B-{n}", title="关于农村道路硬化的建议", actor="reg",
                       deputies=["张三"], fields={"category": "城市建设"})
    lines = list(export_lines(store))
    number = max(i for i, line in enumerate(lines) if line.startswith('{"row"') and '"table":"trace"' in line)
    lines[number] = _spoil(lines[number], how)
    target = empty_url("target.db")
    result = run("--db", target, "import-history", write(tmp_path / "bad.jsonl", lines))
    assert result.exit_code == 3
    assert f"bad.jsonl:{number + 1}: {says}" in result.stderr and "nothing was imported" in result.stderr
    assert all(not table_rows for name, table_rows in rows(target).items() if name != "alembic_version")


def test_a_history_of_the_older_format_is_refused_with_what_to_do(tmp_path):
    old = write(tmp_path / "old.jsonl", ['{"format":1,"type":"banli-history"}', '{"counts":{},"type":"end"}'])
    result = run("--db", f"sqlite:///{tmp_path / 'new.db'}", "import-history", old)
    assert result.exit_code == 3
    assert "old.jsonl:1: a history of format 1" in result.stderr and "export the source database again" in result.stderr


def test_an_altered_history_does_not_verify(tmp_path):
    store = demo_store(f"sqlite:///{tmp_path / 'source.db'}")
    lines = list(export_lines(store))
    index = next(i for i, line in enumerate(lines) if '"table":"trace"' in line and '"event":"reply"' in line)
    lines[index] = lines[index].replace('"actor":"', '"actor":"x', 1)
    altered = write(tmp_path / "altered.jsonl", lines)
    result = run("--db", f"sqlite:///{tmp_path / 'restored.db'}", "import-history", altered)
    assert result.exit_code == 8 and "does not verify" in result.stderr


@pytest.mark.skipif(not os.environ.get("BANLI_TEST_PG"), reason="needs PostgreSQL: set BANLI_TEST_PG (CI does)")
def test_the_demo_year_moves_to_postgresql_and_back_unchanged(tmp_path):
    first_url, last_url = f"sqlite:///{tmp_path / 'first.db'}", f"sqlite:///{tmp_path / 'last.db'}"
    demo_store(first_url).close()
    pg_url, drop = _pg_database()
    try:
        exports = [tmp_path / "from-sqlite.jsonl", tmp_path / "from-postgresql.jsonl"]
        assert run("--db", first_url, "export", str(exports[0])).exit_code == 0
        assert run("--db", pg_url, "import-history", str(exports[0])).exit_code == 0
        assert run("--db", pg_url, "export", str(exports[1])).exit_code == 0
        assert run("--db", last_url, "import-history", str(exports[1])).exit_code == 0
        assert exports[0].read_bytes() == exports[1].read_bytes()
        assert rows(first_url) == rows(last_url)
        reports = {}
        for name, url in (("first", first_url), ("postgresql", pg_url), ("last", last_url)):
            (tmp_path / name).mkdir()
            out = tmp_path / name / "报告.md"
            given = ("--db", url, "report", "annual", "--session", "16-1", "--as-of", "2023-05-10T09:00")
            figures = run(*given, "--json")
            assert run(*given, "--out", str(out)).exit_code == 0 and figures.exit_code == 0
            reports[name] = (figures.stdout, out.read_bytes())
        assert json.loads(reports["first"][0])["total"] > 0
        assert reports["first"] == reports["postgresql"] == reports["last"]
    finally:
        drop()
