"""Opening a database: SQLite (embedded default) or PostgreSQL, with durable settings.

SQLite runs in WAL mode with `synchronous=FULL` by default, so an event whose command has
returned survives a power cut. `BANLI_SQLITE_SYNCHRONOUS=NORMAL` trades that last
guarantee for speed (a committed event may be lost on power loss, never corrupted).
Writing transactions on SQLite begin with `BEGIN IMMEDIATE`, taking the write lock before
reading, so a writer never reads a state another writer is about to change.
"""

from __future__ import annotations

import os
import sqlite3

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from banli.errors import InvalidInput
from banli.i18n import _

SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` for psycopg 3; a bare path means SQLite."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if "://" not in url:
        url = "sqlite:///" + url
    return url


def open_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if url.startswith("postgresql"):
        # no pre-ping: it costs a round trip per checkout; recycle instead of testing
        return create_engine(url, pool_recycle=1800, pool_size=2, max_overflow=4)
    raise InvalidInput(_("unsupported database URL {url}: use sqlite:///FILE or postgresql://HOST/DB").format(url=repr(url)))


def _sqlite_engine(url: str) -> Engine:
    synchronous = os.environ.get("BANLI_SQLITE_SYNCHRONOUS", "FULL").upper()
    if synchronous not in SYNCHRONOUS_LEVELS:
        raise InvalidInput(_("BANLI_SQLITE_SYNCHRONOUS={value} is not one of {levels}").format(
            value=synchronous, levels=", ".join(SYNCHRONOUS_LEVELS)))
    # LIFO: the connection used last is used next. Each connection has its own page cache, which
    # it must read afresh once another connection has written: taking the pool's connections in
    # turn (its default) made every event re-read the pages it touches.
    engine = create_engine(url, connect_args={"timeout": 60}, pool_use_lifo=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's begin event decide how transactions start (pysqlite's own
        # implicit BEGIN would defer the write lock).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        sql = "BEGIN IMMEDIATE" if connection.get_execution_options().get("banli_write", False) else "BEGIN"
        # on the driver's connection: SQLAlchemy's exec_driver_sql costs ten times as much, once
        # per event; a failure (the database locked) is SQLAlchemy's error as from it
        try:
            connection.connection.driver_connection.execute(sql)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, (), exc, sqlite3.Error, dialect=connection.dialect) from exc

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
