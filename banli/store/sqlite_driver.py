"""The hot path on SQLite: the statements of an event (read an item, its reminders done,
update it, append its trace rows), compiled once by SQLAlchemy and run on sqlite3's own
connection. SQLAlchemy's execute costs ~13 µs a statement over sqlite3's ~4 µs: as much as the
rest of an event's work. PostgreSQL keeps SQLAlchemy's execute: its round trips cost far more.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


class SqliteDriver:
    """Runs SQLAlchemy statements on the driver's connection. These statements read and write
    plain text and integer columns, which neither side converts. Errors are SQLAlchemy's, as
    from its execute."""

    _dialect = SQLiteDialect_pysqlite(paramstyle="named")  # parameters by name, as SQLAlchemy passes them
    # statement → (its SQL, the parameters it fixes itself); the statements are built once
    # (module-level or cached), so this stays as small as they are few
    _texts: dict[object, tuple[str, dict]] = {}

    def __init__(self, connection: Connection) -> None:
        self._driver = connection.connection.driver_connection
        self._sqlalchemy_dialect = connection.dialect

    def execute(self, statement, params):
        """The statement with `params`, or with each of a list of them (executemany): sqlite3's cursor."""
        text = self._texts.get(statement)
        if text is None:
            compiled = statement.compile(dialect=self._dialect)
            fixed = {name: value for name, value in compiled.params.items() if value is not None}
            text = self._texts[statement] = (str(compiled), fixed)
        sql, fixed = text
        try:
            if isinstance(params, list):
                return self._driver.executemany(sql, [{**fixed, **one} for one in params] if fixed else params)
            return self._driver.execute(sql, {**fixed, **params} if fixed else params)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, params, exc, sqlite3.Error, dialect=self._sqlalchemy_dialect) from exc
