"""Property-based suite: Hypothesis profiles, a cheap database per example, and the checks
every run must pass (SPEC §4 exit codes, §6 "no input ends in exit 1").

Profiles (BANLI_HYPOTHESIS): "ci" (the default) keeps the whole tests/property run near
90 s on two cores and is derandomised, so CI sees the same examples each run; "long"
(bench/fuzz) scales every test's examples by BANLI_HYPOTHESIS_SCALE (default 20) and
draws fresh ones each run. No example database is written into the repository.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from tests.conftest import PG_ADMIN_URL, _backends

DATA = Path(__file__).parent.parent / "data"
ORG = DATA / "org.yaml"

_COMMON = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                      HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile("ci", derandomize=True, **_COMMON)
settings.register_profile("long", **_COMMON)
PROFILE = os.environ.get("BANLI_HYPOTHESIS", "ci")
settings.load_profile(PROFILE)
SCALE = int(os.environ.get("BANLI_HYPOTHESIS_SCALE", "20")) if PROFILE == "long" else 1


def budget(examples: int, **more) -> settings:
    """This test's examples under the ci profile, scaled up under the long one."""
    return settings(max_examples=examples * SCALE, **more)


# --- running banli in-process ---------------------------------------------------------------

ALLOWED = frozenset({0, 2, 3, 4, 5, 6, 7, 9})
# a line of a command that lists several problems: FILE:LINE:COL: … or FILE:ROW: …
PROBLEM_LINE = re.compile(r"^.+:\d+(:\d+)?: \S.*$")
# the last line of a capped listing: "FILE: … and 22 more problems; fix these first" (workflow validate)
MORE_LINE = re.compile(r"^.+: … and \d+ more problems; fix these first$")


@dataclass
class Result:
    url: str
    user: str | None
    args: tuple
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    def describe(self) -> str:
        return (f"banli {' '.join(map(repr, self.args))}\n-> exit {self.exit_code}\n"
                f"stderr: {self.stderr[-2000:]!r}\nexception: {self.exception!r}")


def invoke(url: str, *args: str, user: str | None = None, input: str | bytes | None = None) -> Result:
    from banli.cli import cli

    options = ["--db", url] + (["--as", user] if user is not None else [])
    outcome = CliRunner().invoke(cli, options + list(args), input=input, catch_exceptions=True)
    exception = outcome.exception if not isinstance(outcome.exception, SystemExit) else None
    return Result(url, user, tuple(args), outcome.exit_code, outcome.stdout, outcome.stderr, exception)


# BANLI_PROPERTY_COLLECT=FILE (bench/fuzz --collect): record every broken promise in FILE, one
# JSON object a line (for a crash, with its traceback's last frame in banli/), and go on
# exploring instead of stopping at the first; the tests then pass, so this is for hunting,
# never for CI.
COLLECT = os.environ.get("BANLI_PROPERTY_COLLECT")


def _collect(result: Result, problem: str) -> None:
    import json
    import traceback

    from banli.cli import cli

    site = ""
    crashed = result.exception is not None or result.exit_code == 1 or "internal error" in result.stderr
    if crashed:  # again with --debug, for the traceback
        options = ["--db", result.url, "--debug"] + (["--as", result.user] if result.user is not None else [])
        again = CliRunner().invoke(cli, options + list(result.args), catch_exceptions=True)
        exception = again.exception if not isinstance(again.exception, SystemExit) else result.exception
        frames = traceback.extract_tb(exception.__traceback__) if exception else []
        site = next((f"{frame.filename.split('/banli/', 1)[-1]}:{frame.lineno} {frame.name}"
                     for frame in reversed(frames) if "/banli/" in frame.filename), "?")
        problem = f"crash: {type(exception).__name__}: {exception}"[:300] if exception else problem
    record = {"problem": problem, "site": site, "exit": result.exit_code, "user": result.user,
              "args": [a[:300] for a in map(str, result.args)], "stderr": result.stderr[-500:], "files": {}}
    for arg in map(str, result.args):  # the input files, as they were (the next example overwrites them)
        if os.path.isfile(arg) and not arg.endswith(".db"):
            record["files"][arg] = Path(arg).read_bytes()[:4000].decode("utf-8", "backslashreplace")
    with open(COLLECT, "a", encoding="utf-8", errors="backslashreplace") as out:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _broken_promise(result: Result, allowed, listing: bool) -> str | None:
    """What `result` breaks of the contract, or None."""
    if result.exception is not None or result.exit_code == 1:
        return "crash"
    if result.exit_code not in allowed:
        return f"exit {result.exit_code} not in {sorted(allowed)}"
    if "Traceback" in result.stderr or "internal error" in result.stderr:
        return "traceback on stderr"
    if result.exit_code == 0:
        return None
    # lines end at "\n" only: str.splitlines() would also split at \x1c-\x1e and \u2028
    lines = [line for line in result.stderr.split("\n") if line.strip()]
    if not lines:
        return "refused without a word"
    if result.exit_code == 2:  # click's usage error: "Usage: …", "Try …", "Error: …"
        return None if any(line.startswith("Error: ") for line in lines) else "usage error without 'Error:'"
    if listing:
        if len(lines) > 1000:
            return "error output not capped"
        listed = lines[:-1] if MORE_LINE.match(lines[-1]) and len(lines) > 1 else lines
        if sum(line.startswith("banli: ") for line in listed) > 1 or not all(
                line.startswith("banli: ") or PROBLEM_LINE.match(line) for line in listed):
            return "a problem line neither 'banli: …' nor FILE:LINE…"
        return None
    return None if len(lines) == 1 and lines[0].startswith("banli: ") else "more than one line on stderr"


def check(result: Result, *, allowed=ALLOWED, listing: bool = False) -> Result:
    """The contract every run keeps: an allowed exit code, no traceback, no 'internal error',
    one line on stderr for a refusal (or, with `listing`, one problem a line)."""
    problem = _broken_promise(result, allowed, listing)
    if problem and COLLECT:
        _collect(result, problem)
    elif problem:
        raise AssertionError(f"{problem}\n{result.describe()}")
    return result


# --- databases: one initialised template per module, a copy per example --------------------

def digest(url: str) -> str:
    """A hash of every row of every table: equal before and after means nothing changed."""
    hasher = hashlib.sha256()
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            tables = [name for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            for table in tables:
                rows = sorted(repr(row) for row in connection.execute(f'SELECT * FROM "{table}"'))
                hasher.update(f"{table}:{len(rows)}:{''.join(rows)}".encode("utf-8", "surrogatepass"))
        return hasher.hexdigest()
    import psycopg

    with psycopg.connect(url) as connection:
        tables = [name for (name,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")]
        for table in tables:
            rows = sorted(repr(row) for row in connection.execute(f'SELECT * FROM "{table}"'))
            hasher.update(f"{table}:{len(rows)}:{''.join(rows)}".encode("utf-8", "surrogatepass"))
    return hasher.hexdigest()


class Databases:
    """An initialised template (init --org tests/data/org.yaml, then `setup` commands) and a
    fresh copy of it per example: a SQLite backup, or a PostgreSQL `CREATE DATABASE … TEMPLATE`."""

    def __init__(self, backend: str, folder: Path, setup=()) -> None:
        self.backend, self.folder = backend, folder
        self._made: list[str] = []
        if backend == "sqlite":
            self.template = f"sqlite:///{folder / 'template.db'}"
        else:
            self.template = self._pg_create(None)
        check(invoke(self.template, "init", "--org", str(ORG)), allowed={0})
        for user, args in setup:
            check(invoke(self.template, *args, user=user), allowed={0})
        if backend == "postgresql":
            import gc

            gc.collect()  # the CLI's engines on the template: their connections must go

    def _pg_create(self, template: str | None) -> str:
        import psycopg

        name = f"banli_prop_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"{clause}')
        self._made.append(name)
        return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"

    def fresh(self) -> str:
        """A copy of the template, its own for this example."""
        if self.backend == "postgresql":
            self.drop_copies()
            return self._pg_create(self.template.rsplit("/", 1)[1])
        target = self.folder / "example.db"
        for path in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            path.unlink(missing_ok=True)
        with sqlite3.connect(self.template.removeprefix("sqlite:///")) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return f"sqlite:///{target}"

    def drop_copies(self, everything: bool = False) -> None:
        if self.backend != "postgresql":
            return
        import gc

        import psycopg

        gc.collect()
        keep = self.template.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            for name in list(self._made):
                if name != keep or everything:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    self._made.remove(name)


# The properties are about input handling, the same on every backend; PostgreSQL's fresh database
# per example costs minutes, so it runs here only when asked (bench/fuzz --postgresql).
BACKENDS = _backends() if os.environ.get("BANLI_PROPERTY_PG") else ["sqlite"]


def databases_fixture(setup=()):
    """A module-scoped fixture of `Databases` per backend asked for, with these setup commands."""

    @pytest.fixture(scope="module", params=BACKENDS)
    def fixture(request, tmp_path_factory):
        databases = Databases(request.param, tmp_path_factory.mktemp("property"), setup)
        yield databases
        databases.drop_copies(everything=True)

    return fixture


def refusal_changes_nothing(url: str, *args: str, user: str | None = None, listing: bool = False,
                            allowed=ALLOWED) -> Result:
    """Run, check the contract, and when it is refused check that the database is unchanged."""
    before = digest(url)
    result = check(invoke(url, *args, user=user), allowed=allowed, listing=listing)
    if result.exit_code != 0 and digest(url) != before:
        if not COLLECT:
            raise AssertionError("a refused command changed the database\n" + result.describe())
        _collect(result, "a refused command changed the database")
    return result
