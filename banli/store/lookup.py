"""Read-only lookups for shell completion (banli/cli/completion.py): the ids, refs and sessions
that begin with what was typed, one small query each, from a database opened so that it can
be neither written nor created: a SQLite file that must exist, opened with `query_only`; a
PostgreSQL session that is read-only and gives up after two seconds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import and_, create_engine, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from banli.store.db import normalise_url
from banli.store.ledger_queries import session_field
from banli.store.schema import definition_t, item_t, person_t, unit_t

LIMIT = 200  # candidates a shell is given at most: enough to narrow down, never a whole ledger
_TOP = "\U0010ffff"  # above every character: `prefix <= x < prefix + _TOP` is "x starts with prefix"
_SECONDS = 2  # a server that does not answer by then completes nothing


@contextmanager
def reading(url: str) -> Iterator[Connection | None]:
    """A connection that cannot write to the database at `url`, or None when there is no
    database file there (nothing is created) or the URL is of no database banli knows."""
    engine = _engine(normalise_url(url))
    if engine is None:
        yield None
        return
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _engine(url: str) -> Engine | None:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if not database or database == ":memory:" or database.startswith("file:") or not Path(database).is_file():
            return None
        # mode=rw never creates the file; query_only refuses writes. Not mode=ro: a read-only
        # connection to a WAL database leaves its -wal and -shm files behind when it closes.
        uri = f"file:{quote(str(Path(database).resolve()))}?mode=rw"

        def connect() -> sqlite3.Connection:
            connection = sqlite3.connect(uri, uri=True, timeout=_SECONDS)
            connection.execute("PRAGMA query_only=ON")
            return connection

        return create_engine("sqlite://", creator=connect, poolclass=NullPool)
    if url.startswith("postgresql"):
        options = f"-c default_transaction_read_only=on -c statement_timeout={_SECONDS * 1000}"
        return create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": _SECONDS, "options": options})
    return None


def _starts(connection: Connection, column, prefix: str):
    """`column` starts with `prefix`, as a condition the column's index can answer on SQLite
    (whose LIKE ignores case and so cannot use it; the range keeps exact case)."""
    condition = column.startswith(prefix, autoescape=True)
    if connection.dialect.name == "sqlite":
        condition = and_(column >= prefix, column < prefix + _TOP, condition)
    return condition


def refs(connection: Connection, prefix: str, limit: int = LIMIT) -> list[tuple[str, str]]:
    """(ref, title) of the items whose ref starts with `prefix`, in ref order."""
    query = (select(item_t.c.ref, item_t.c.title).where(_starts(connection, item_t.c.ref, prefix))
             .order_by(item_t.c.ref).limit(limit))
    return [(ref, title) for ref, title in connection.execute(query)]


def item_definition(connection: Connection, ref: str) -> tuple[str, str] | None:
    """The current state of item `ref` and the source text of its definition version."""
    query = (select(item_t.c.state, definition_t.c.source)
             .join(definition_t, definition_t.c.id == item_t.c.definition_id).where(item_t.c.ref == ref))
    row = connection.execute(query).first()
    return (row.state, row.source) if row else None


def people(connection: Connection, prefix: str, limit: int = LIMIT) -> list[tuple[str, str]]:
    """(id, name) of the people whose id starts with `prefix`."""
    query = (select(person_t.c.id, person_t.c.name).where(_starts(connection, person_t.c.id, prefix))
             .order_by(person_t.c.id).limit(limit))
    return [(id_, name) for id_, name in connection.execute(query)]


def units(connection: Connection, prefix: str, limit: int = LIMIT) -> list[tuple[str, str]]:
    """(id, name) of the units whose id starts with `prefix`."""
    query = (select(unit_t.c.id, unit_t.c.name).where(_starts(connection, unit_t.c.id, prefix))
             .order_by(unit_t.c.id).limit(limit))
    return [(id_, name) for id_, name in connection.execute(query)]


def workflows(connection: Connection, prefix: str) -> list[tuple[str, str]]:
    """(id, title of the latest version) of the registered workflows whose id starts with `prefix`."""
    query = (select(definition_t.c.workflow_id, definition_t.c.title)
             .where(_starts(connection, definition_t.c.workflow_id, prefix))
             .order_by(definition_t.c.workflow_id, definition_t.c.version))
    return list(dict(connection.execute(query).tuples().all()).items())


def sessions(connection: Connection, prefix: str, limit: int = LIMIT) -> list[str]:
    """The sessions (field `session`) of top-level items that start with `prefix`."""
    field = session_field(connection.dialect.name)
    query = select(field).where(and_(item_t.c.parent_id.is_(None), field.is_not(None))).distinct()
    found = sorted(str(value) for (value,) in connection.execute(query))
    return [session for session in found if session.startswith(prefix)][:limit]
