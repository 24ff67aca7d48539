"""Many rows at once, for an import file: which refs already exist, ids for the new items, and
their rows written a chunk at a time, each in a few statements for the whole file rather than
a few per row."""

from __future__ import annotations

from functools import cache
from operator import itemgetter
from typing import Sequence

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.engine import Connection

from banli.errors import RefTaken, UniqueViolation
from banli.i18n import _
from banli.store.failures import wrap_exceptions
from banli.store.items import ITEM_REF_KEY
from banli.store.schema import assignment_t, item_deputy_t, item_t, trace_t

# Refs asked for per query: well under SQLite's limit on bound parameters (32766, or 999 in
# builds before 3.32), and a statement PostgreSQL plans quickly.
CHUNK = 900

# one statement for every chunk of refs (an expanding IN): compiled once, not once per chunk
_ITEM_IDS = select(item_t.c.ref, item_t.c.id).where(item_t.c.ref.in_(bindparam("refs", expanding=True)))
_MAX_ITEM_ID = select(func.max(item_t.c.id))
_NEXT_ITEM_IDS = text("SELECT nextval(pg_get_serial_sequence('item', 'id')) FROM generate_series(1, :count) ORDER BY 1")


def item_ids(conn: Connection, refs: list[str]) -> dict[str, int]:
    """Ref → id of those of `refs` that an item in the database has."""
    unique = list(dict.fromkeys(refs))
    found: dict[str, int] = {}
    for start in range(0, len(unique), CHUNK):
        found.update(conn.execute(_ITEM_IDS, {"refs": unique[start:start + CHUNK]}).all())
    return found


def reserve_item_ids(conn: Connection, count: int) -> Sequence[int]:
    """The ids `count` items inserted one after another in this writing transaction would get,
    in that order; the items are then inserted with them (no RETURNING needed to learn them)."""
    if conn.dialect.name == "postgresql":
        return conn.execute(_NEXT_ITEM_IDS, {"count": count}).scalars().all() if count else []
    # SQLite gives a new row the largest id plus one (item has no AUTOINCREMENT), and the
    # writing transaction (BEGIN IMMEDIATE) keeps every other writer out until it ends.
    first = (conn.execute(_MAX_ITEM_ID).scalar() or 0) + 1
    return range(first, first + count)


def insert_created(conn: Connection, *, items: list[dict], deputies: list[dict], assignments: list[dict],
                   traces: list[dict]) -> None:
    """Write new items (with their ids) and their deputy, assignment and trace rows; RefTaken
    if an item with one of their refs exists (the transaction cannot go on: roll it back)."""
    try:
        with wrap_exceptions():
            _insert(conn, item_t, items)
    except UniqueViolation as exc:
        if exc.constraint != ITEM_REF_KEY:
            raise
        raise RefTaken(_("an item with a ref being imported was registered meanwhile")) from exc
    _insert(conn, item_deputy_t, deputies)
    _insert(conn, assignment_t, assignments)
    _insert(conn, trace_t, traces)


def _insert(conn, table, rows: list[dict]) -> None:
    """`rows` (dicts with the same keys) inserted by the driver: PostgreSQL's COPY (five times
    as fast as executemany), SQLite's executemany of tuples (SQLAlchemy's own executemany
    processes each row's parameters in Python, at more cost than the insert itself)."""
    if not rows:
        return
    columns = tuple(rows[0])
    values = itemgetter(*columns)
    if conn.dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
    else:
        conn.exec_driver_sql(_insert_text(table.name, columns), [values(row) for row in rows])


@cache
def _insert_text(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _name in columns)})"
