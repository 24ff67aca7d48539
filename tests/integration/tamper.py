"""Tampering with the trace as an attacker with database access would: lift the append-only
triggers, change rows, put the triggers back."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from banli.store.db import normalise_url

SQLITE_TRIGGERS = {
    "trace_no_update": "CREATE TRIGGER trace_no_update BEFORE UPDATE ON trace BEGIN SELECT RAISE(ABORT, 'trace is append-only'); END",
    "trace_no_delete": "CREATE TRIGGER trace_no_delete BEFORE DELETE ON trace BEGIN SELECT RAISE(ABORT, 'trace is append-only'); END",
}


def tamper(db_url: str, *statements: str) -> None:
    engine = create_engine(normalise_url(db_url))
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for name in SQLITE_TRIGGERS:
                connection.execute(text(f"DROP TRIGGER {name}"))
        else:
            connection.execute(text("ALTER TABLE trace DISABLE TRIGGER USER"))
        for statement in statements:
            connection.execute(text(statement))
        if engine.dialect.name == "sqlite":
            for create in SQLITE_TRIGGERS.values():
                connection.execute(text(create))
        else:
            connection.execute(text("ALTER TABLE trace ENABLE TRIGGER USER"))
    engine.dispose()
