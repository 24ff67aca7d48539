"""Shared fixtures: a clean database per test (SQLite, and PostgreSQL when BANLI_TEST_PG is
set), a store with the built-in workflows and the test organisation, and a settable clock."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

# The suite reads banli's messages in English, the language of the code; tests of the
# Chinese (the default for users) choose it themselves (`banli.i18n.use`, or BANLI_LANG for a
# subprocess). Set before banli is imported, so subprocesses inherit it too.
os.environ["BANLI_LANG"] = "en"

DATA = Path(__file__).parent / "data"
PG_ADMIN_URL = os.environ.get("BANLI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get("BANLI_TEST_PG") else ["sqlite"]


class Clock:
    """A clock tests set and move; never the wall clock."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def chinese():
    """Messages, notifications and reports made in Chinese, the users' language, inside the
    test (the suite otherwise reads English). A subprocess needs BANLI_LANG=zh_CN instead."""
    from banli.i18n import use

    with use("zh_CN"):
        yield


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc))


def _pg_database() -> tuple[str, callable]:
    import psycopg

    name = f"banli_test_{uuid.uuid4().hex[:12]}"
    admin = PG_ADMIN_URL
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


@pytest.fixture(params=_backends())
def db_url(request, tmp_path) -> str:
    """A URL of an empty database of each backend under test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'banli.db'}"
        return
    url, drop = _pg_database()
    yield url
    drop()


def prepared_store(url: str):
    """A store at `url` with the schema, the built-in workflows and tests/data/org.yaml."""
    from banli.engine.definitions import builtin_files, register_file
    from banli.engine.org import read_org
    from banli.store.operator import apply_org
    from banli.store.repo import SqlStore
    from banli.store.schema import upgrade

    store = SqlStore(url)
    upgrade(store.engine)
    for path in builtin_files():
        register_file(store, path, "test")
    apply_org(store, read_org(DATA / "org.yaml"), "test", "2026-01-01T00:00:00.000000")
    return store


@pytest.fixture
def store(db_url):
    """A store with the schema, the built-in workflows and tests/data/org.yaml."""
    store = prepared_store(db_url)
    yield store
    store.close()


@pytest.fixture
def runtime(store, clock):
    from banli.engine.runtime import Runtime

    return Runtime(store, now=clock)
