"""Shell completion through click's own protocol, in a real process as the shell runs it
(`_BANLI_COMPLETE=bash_complete` with COMP_WORDS and COMP_CWORD): item refs, an item's
events, people, units, workflows and sessions from the database of --db / BANLI_DB; a
database that is missing or unusable completes nothing, prints nothing and creates nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

BANLI = [sys.executable, "-m", "banli"]


def complete(words: str, db: str | None, *, shell: str = "bash", cwd=None) -> subprocess.CompletedProcess:
    """What `banli` answers for TAB after `words` (a trailing space: a new, empty word)."""
    typed = words.split()
    cword = len(typed) if words.endswith(" ") else len(typed) - 1
    env = {key: value for key, value in os.environ.items() if key not in ("BANLI_DB", "BANLI_USER")}
    env.update({"_BANLI_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)})
    if db is not None:
        env["BANLI_DB"] = db
    return subprocess.run(BANLI, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def values(words: str, db: str | None) -> list[str]:
    result = complete(words, db)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return [line.partition(",")[2] for line in result.stdout.splitlines() if line]


@pytest.fixture
def items(banli, suggestion):
    """16-1-001 (registered) and 16-1-002 of session 16-1, signed for by zjj (handling)."""
    from tests.cli.conftest import TO_HANDLING, walk

    added = banli("item", "add", "--workflow", "npc-suggestion", "--ref", "16-1-002", "--title", "关于路灯的建议",
                  "--deputy", "张三", "--field", "category=城市建设", "--field", "session=16-1",
                  "--at", "2026-01-10T09:00", user="reg")
    assert added.exit_code == 0, added.stderr
    walk(banli, "16-1-002", TO_HANDLING)
    return ["16-1-001", "16-1-002"]


def test_item_refs_complete_from_the_typed_prefix(items, db_url):
    assert values("banli fire 16-1-00", db_url) == ["16-1-001", "16-1-002", "16-1-002/czj"]
    assert values("banli item show 16-1-002", db_url) == ["16-1-002", "16-1-002/czj"]
    assert values("banli can 17-", db_url) == []
    assert values(f"banli --db {db_url} audit log 16-1-001", None) == ["16-1-001"]  # --db as typed


def test_events_complete_from_the_items_workflow_and_state(items, db_url):
    registered = values("banli fire 16-1-001 ", db_url)
    assert "sort" in registered and "withdraw" in registered and "reply" not in registered
    handling = values("banli fire 16-1-002 ", db_url)
    assert {"reply", "contact", "request_extension"} <= set(handling) and "sort" not in handling
    assert values("banli fire 16-1-002 re", db_url) == [event for event in handling if event.startswith("re")]
    assert "urge" in handling and "lookback_open" not in values("banli fire 16-1-001 l", db_url)  # system's own
    assert values("banli fire 16-9-999 ", db_url) == []


def test_people_units_workflows_and_sessions_complete(items, db_url):
    assert values("banli --as l", db_url) == ["li", "lisi"]
    assert values("banli user token z", db_url) == ["zhang", "zhao"]
    assert values("banli item list --unit z", db_url) == ["zjj"]
    assert values("banli workflow show ", db_url) == ["cppcc-proposal", "hotline-12345", "npc-suggestion", "unit-part", "unit-task"]
    assert values("banli item add --workflow npc", db_url) == ["npc-suggestion"]
    assert values("banli report annual --session ", db_url) == ["16-1"]


def test_zsh_gets_the_titles_as_help(items, db_url):
    result = complete("banli fire 16-1-001", db_url, shell="zsh")
    assert result.stdout.splitlines()[:3] == ["plain", "16-1-001", "关于加强物业管理的建议"]


@pytest.mark.parametrize("database", ["missing", "not-a-database", "folder", "no-server"])
def test_an_unusable_database_completes_nothing_silently(tmp_path, database):
    path = tmp_path / "banli.db"
    if database == "not-a-database":
        path.write_bytes(b"this is not SQLite" * 100)
    elif database == "folder":
        path.mkdir()
    url = "postgresql://nobody@127.0.0.1:1/banli" if database == "no-server" else f"sqlite:///{path}"
    before = sorted(tmp_path.rglob("*"))
    for words in ("banli fire 16", "banli fire 16-1-001 ", "banli --as ", "banli workflow show "):
        result = complete(words, url)
        assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "", ""), words
    assert sorted(tmp_path.rglob("*")) == before  # no database file, no -wal, no -shm


def test_the_default_database_is_not_created(tmp_path):
    result = complete("banli fire 16", None, cwd=tmp_path)
    assert (result.stdout.strip(), result.stderr) == ("", "")
    assert list(tmp_path.iterdir()) == []


def test_completion_leaves_the_database_as_it_was(items, db_url, tmp_path):
    if not db_url.startswith("sqlite"):
        pytest.skip("a SQLite file's folder is what is compared")
    folder = tmp_path
    before = {path.name: path.stat().st_size for path in folder.iterdir()}
    values("banli fire 16-1-002 ", db_url)
    assert {path.name: path.stat().st_size for path in folder.iterdir()} == before


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o nosort -F"), ("zsh", "#compdef banli"),
                                           ("fish", "complete --no-files --command banli")])
def test_banli_completion_prints_the_script(shell, marker):
    result = subprocess.run(BANLI + ["completion", shell], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout and "_BANLI_COMPLETE" in result.stdout


def test_an_unknown_shell_is_a_usage_error():
    result = subprocess.run(BANLI + ["completion", "tcsh"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "tcsh" in result.stderr
