"""Many rows at once, for an import file: checking (which refs already exist, the names a file
may use) and registering (ids for the new items, their rows written a chunk at a time), each in
a few statements for the whole file rather than a few per row."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Sequence

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import IntegrityError

from banli.errors import Conflict
from banli.store.repo import assignment_t, deputy_t, item_deputy_t, item_t, person_t, trace_t, unit_t

# Refs asked for per query: well under SQLite's limit on bound parameters (32766, or 999 in
# builds before 3.32), and a statement PostgreSQL plans quickly.
CHUNK = 900

# one statement for every chunk of refs (an expanding IN): compiled once, not once per chunk
_ITEM_IDS = select(item_t.c.ref, item_t.c.id).where(item_t.c.ref.in_(bindparam("refs", expanding=True)))
_MAX_ITEM_ID = select(func.max(item_t.c.id))
_NEXT_ITEM_IDS = text("SELECT nextval(pg_get_serial_sequence('item', 'id')) FROM generate_series(1, :count) ORDER BY 1")


@dataclass(frozen=True, kw_only=True)
class Names:
    """Who and what exists in the organisation: deputies, units (id → name) and people ids."""

    deputies: tuple[str, ...]
    units: dict[str, str]
    people: frozenset[str]


class RefTaken(Conflict):
    """An item with one of the refs being registered was registered by someone else meanwhile."""


def existing_refs(tx, refs: list[str]) -> set[str]:
    """Those of `refs` that an item in the database already has."""
    return set(item_ids(tx, refs))


def item_ids(tx, refs: list[str]) -> dict[str, int]:
    """Ref → id of those of `refs` that an item in the database has."""
    unique = list(dict.fromkeys(refs))
    found: dict[str, int] = {}
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start:start + CHUNK]
        found.update(tx.conn.execute(_ITEM_IDS, {"refs": chunk}).all())
    return found


def names(tx) -> Names:
    conn = tx.conn
    return Names(
        deputies=tuple(name for (name,) in conn.execute(select(deputy_t.c.name).order_by(deputy_t.c.name))),
        units=dict(conn.execute(select(unit_t.c.id, unit_t.c.name)).all()),
        people=frozenset(person for (person,) in conn.execute(select(person_t.c.id))),
    )


def reserve_item_ids(tx, count: int) -> Sequence[int]:
    """The ids `count` items inserted one after another in this writing transaction would get,
    in that order; the items are then inserted with them (no RETURNING needed to learn them)."""
    conn = tx.conn
    if conn.dialect.name == "postgresql":
        return conn.execute(_NEXT_ITEM_IDS, {"count": count}).scalars().all() if count else []
    # SQLite gives a new row the largest id plus one (item has no AUTOINCREMENT), and the
    # writing transaction (BEGIN IMMEDIATE) keeps every other writer out until it ends.
    first = (conn.execute(_MAX_ITEM_ID).scalar() or 0) + 1
    return range(first, first + count)


def insert_created(tx, *, items: list[dict], deputies: list[dict], assignments: list[dict],
                   traces: list[dict]) -> None:
    """Write new items (with their ids) and their deputy, assignment and trace rows; RefTaken
    if an item with one of their refs exists (the transaction cannot go on: roll it back)."""
    conn = tx.conn
    try:
        _insert(conn, item_t, items)
    except (IntegrityError, conn.dialect.dbapi.IntegrityError) as exc:
        if "ref" not in str(getattr(exc, "orig", exc)):
            raise
        raise RefTaken("an item with a ref being imported was registered meanwhile") from exc
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
