"""A database that cannot be used is exit 9 with one line (SPEC §4), never a crash; reading
commands do not create a database file; a closed output pipe ends a command quietly."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from banli.store.opening import HEAD, REVISIONS

DATA = Path(__file__).parent.parent / "data"
PG_URL = os.environ.get("BANLI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
needs_pg = pytest.mark.skipif(not os.environ.get("BANLI_TEST_PG"), reason="PostgreSQL tests need BANLI_TEST_PG=1")


def run(*args: str):
    from banli.cli import cli

    outcome = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return outcome.exit_code, outcome.stderr


def assert_unusable(args, *words):
    code, stderr = run(*args)
    assert code == 9, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    for word in words:
        assert word in stderr


def test_a_missing_file_is_not_created_by_reading(tmp_path):
    path = tmp_path / "missing.db"
    assert_unusable(["--db", f"sqlite:///{path}", "item", "list"], "no database at", "banli --db", "init")
    assert not path.exists()


def test_a_missing_folder(tmp_path):
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'banli.db'}"
    assert_unusable(["--db", url, "item", "list"], "no database at")
    assert_unusable(["--db", url, "init"], "does not exist")


def test_a_folder_is_not_a_database(tmp_path):
    assert_unusable(["--db", f"sqlite:///{tmp_path}", "audit", "verify"], "is a folder")


@pytest.mark.parametrize("content", [b"hello, not a database\n" * 100, b"\x00\xff" * 4096], ids=["text", "binary"])
def test_a_file_that_is_not_a_database(tmp_path, content):
    path = tmp_path / "junk.db"
    path.write_bytes(content)
    assert_unusable(["--db", f"sqlite:///{path}", "item", "list"], "not a database")
    assert_unusable(["--db", f"sqlite:///{path}", "init"], "not a database")
    assert path.read_bytes() == content


def test_an_uninitialised_database_says_init(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE something (a)")
    assert_unusable(["--db", f"sqlite:///{path}", "fire", "16-1-001", "sort"], "not initialised", "init")


def _initialised(tmp_path) -> Path:
    path = tmp_path / "banli.db"
    code, stderr = run("--db", f"sqlite:///{path}", "init", "--org", str(DATA / "org.yaml"))
    assert code == 0, stderr
    return path


def _set_revision(path: Path, revision: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def test_a_newer_schema_is_refused_even_by_init(tmp_path):
    path = _initialised(tmp_path)
    _set_revision(path, "9999")
    assert_unusable(["--db", f"sqlite:///{path}", "item", "list"], "newer", "9999")
    assert_unusable(["--db", f"sqlite:///{path}", "init"], "newer")


def test_an_older_schema_asks_for_init_which_upgrades_it(tmp_path):
    path = _initialised(tmp_path)
    _set_revision(path, REVISIONS[-2])
    assert_unusable(["--db", f"sqlite:///{path}", "item", "list"], "older schema", "init")
    _set_revision(path, HEAD)  # (the tables are already the newest: only the mark was moved back)
    assert run("--db", f"sqlite:///{path}", "item", "list")[0] == 0


def test_the_newest_revision_is_alembics_head():
    from alembic.script import ScriptDirectory

    from banli.store.schema import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_serve_refuses_an_unusable_database(tmp_path):
    assert_unusable(["--db", f"sqlite:///{tmp_path / 'none.db'}", "serve", "--port", "1"], "no database at")


@needs_pg
def test_a_postgresql_server_that_refuses():
    base = PG_URL.rsplit("@", 1)[0]
    assert_unusable(["--db", f"{base}@127.0.0.1:1/test", "item", "list"], "cannot use the database", "refused")


@needs_pg
def test_a_postgresql_database_that_does_not_exist():
    assert_unusable(["--db", PG_URL.rsplit("/", 1)[0] + "/banli_no_such_database", "item", "list"], "does not exist")


@needs_pg
def test_a_password_is_never_shown():
    host = PG_URL.split("@", 1)[1]
    code, stderr = run("--db", f"postgresql://nobody:s3cret-pw@{host}", "item", "list")
    assert code == 9 and "s3cret-pw" not in stderr, stderr


def test_a_closed_pipe_ends_quietly(tmp_path):
    path = _initialised(tmp_path)
    env = {**os.environ, "BANLI_DB": f"sqlite:///{path}"}
    banli = [sys.executable, "-m", "banli"]
    rows = "".join(f"16-1-{n:03d},标题{n},张三,城市建设\n" for n in range(1, 1500))
    (tmp_path / "rows.csv").write_text("ref,title,deputies,category\n" + rows, encoding="utf-8")
    subprocess.run(banli + ["--as", "reg", "item", "import", str(tmp_path / "rows.csv")], env=env, check=True,
                   capture_output=True)
    for args in (["audit", "log"], ["audit", "log", "--json"], ["item", "list"]):
        reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        writer = subprocess.run(banli + args, env=env, stdout=reader.stdin, stderr=subprocess.PIPE)
        reader.stdin.close()
        reader.wait()
        assert writer.returncode == 0, writer.stderr
        assert writer.stderr == b"", writer.stderr


def _operational_error(tmp_path):
    """A real driver error of a database that cannot be reached, as SQLAlchemy raises it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    try:
        with create_engine(f"sqlite:///{tmp_path / 'gone' / 'x.db'}").connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        return exc
    raise AssertionError("the missing folder was reachable")


def test_a_database_that_stops_answering_mid_command_is_exit_9(tmp_path, monkeypatch):
    path = _initialised(tmp_path)
    error = _operational_error(tmp_path)

    def stopped(*_args, **_kwargs):
        raise error

    monkeypatch.setattr("banli.store.queries.list_items", stopped)
    code, stderr = run("--db", f"sqlite:///{path}", "item", "list")
    assert code == 9, stderr
    assert stderr.startswith("banli: the database stopped answering: ") and len(stderr.splitlines()) == 1
