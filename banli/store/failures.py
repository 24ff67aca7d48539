"""Database errors caught in one place and raised as banli's typed storage errors
(`banli.errors.UniqueViolation`, `Busy`), which carry the constraint's name.

A constraint is named as PostgreSQL names it by default (`trace_item_id_seq_key`); on
PostgreSQL the driver says which one it was. SQLite says only which columns clashed, in its
fixed message `UNIQUE constraint failed: trace.item_id, trace.seq` (the one place that reads
a message's text), and the schema's constraints give the name those columns have.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from functools import cache
from typing import Iterator

from sqlalchemy.exc import DBAPIError

from banli.errors import Busy, StoreError, UniqueViolation
from banli.store.schema import metadata

_SQLITE_BUSY = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED: the primary result code of every extended one
_SQLITE_UNIQUE = (1555, 2067)  # SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE
_SQLITE_UNIQUE_PREFIX = "UNIQUE constraint failed: "
_PG_UNIQUE = "23505"
_PG_BUSY = ("40001", "40P01", "55P03")  # serialization failure, deadlock, lock not available
DATABASE_ERRORS = (DBAPIError, sqlite3.Error)  # what the database raises through SQLAlchemy or sqlite3


@contextmanager
def wrap_exceptions() -> Iterator[None]:
    """Raise the database's refusals inside the block as `StoreError`s, chained to the driver's."""
    try:
        yield
    except StoreError:
        raise
    except DATABASE_ERRORS as exc:
        typed = translate(exc)
        if typed is None:
            raise
        raise typed from exc
    except Exception as exc:  # psycopg's own errors, from the driver's connection (COPY)
        typed = translate(exc) if hasattr(exc, "sqlstate") else None
        if typed is None:
            raise
        raise typed from exc


def translate(exc: BaseException) -> StoreError | None:
    """The typed error for a driver's (or SQLAlchemy's wrapped) error, None if banli has none."""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        if code in _SQLITE_UNIQUE:
            return UniqueViolation(str(orig), constraint=_sqlite_constraint(str(orig)))
        if code & 0xFF in _SQLITE_BUSY:
            return Busy(str(orig))
        return None
    state = getattr(orig, "sqlstate", None)
    if state == _PG_UNIQUE:
        return UniqueViolation(str(orig), constraint=orig.diag.constraint_name)
    if state in _PG_BUSY:
        return Busy(str(orig))
    return None


def _sqlite_constraint(message: str) -> str | None:
    if not message.startswith(_SQLITE_UNIQUE_PREFIX):
        return None
    qualified = [name.strip() for name in message[len(_SQLITE_UNIQUE_PREFIX):].split(",")]
    table = qualified[0].split(".", 1)[0]
    columns = tuple(name.split(".", 1)[1] for name in qualified)
    return _constraint_names().get((table, columns))


@cache
def _constraint_names() -> dict[tuple[str, tuple[str, ...]], str]:
    """(table, its unique columns) → the constraint's name, as PostgreSQL makes it."""
    names = {}
    for table in metadata.tables.values():
        keys = [tuple(column.name for column in table.primary_key.columns)]
        names[(table.name, keys[0])] = f"{table.name}_pkey"
        for constraint in table.constraints:
            columns = tuple(column.name for column in getattr(constraint, "columns", ()))
            if columns and columns != keys[0] and constraint.__class__.__name__ == "UniqueConstraint":
                names[(table.name, columns)] = f"{table.name}_{'_'.join(columns)}_key"
        for column in table.columns:
            if column.unique:
                names[(table.name, (column.name,))] = f"{table.name}_{column.name}_key"
    return names


def is_clash(error: StoreError, constraint: str) -> bool:
    return isinstance(error, UniqueViolation) and error.constraint == constraint
