"""Queries for checking many rows at once (an import file): which refs already exist, and the
names a file may use, each in a few queries for the whole file rather than one per row."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from banli.store.repo import deputy_t, item_t, person_t, unit_t

# Refs asked for per query: well under SQLite's limit on bound parameters (32766, or 999 in
# builds before 3.32), and a statement PostgreSQL plans quickly.
CHUNK = 900


@dataclass(frozen=True, kw_only=True)
class Names:
    """Who and what exists in the organisation: deputies, units (id → name) and people ids."""

    deputies: tuple[str, ...]
    units: dict[str, str]
    people: frozenset[str]


def existing_refs(tx, refs: list[str]) -> set[str]:
    """Those of `refs` that an item in the database already has."""
    unique = list(dict.fromkeys(refs))
    found: set[str] = set()
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start:start + CHUNK]
        found.update(ref for (ref,) in tx.conn.execute(select(item_t.c.ref).where(item_t.c.ref.in_(chunk))))
    return found


def names(tx) -> Names:
    conn = tx.conn
    return Names(
        deputies=tuple(name for (name,) in conn.execute(select(deputy_t.c.name).order_by(deputy_t.c.name))),
        units=dict(conn.execute(select(unit_t.c.id, unit_t.c.name)).all()),
        people=frozenset(person for (person,) in conn.execute(select(person_t.c.id))),
    )
