"""The notification outbox: messages written in the same transaction as their cause.

`enqueue` is idempotent per key (cause + recipient), so a sweep run twice, or again after a
crash, never writes a message twice. Delivery through channels is `banli.notify`'s.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from banli.store.repo import person_t
from banli.store.tables import Notification

notification_t = Notification.__table__


class People:
    """Everyone in the organisation, read once, resolving the roles a reminder notifies.

    A sweep resolves roles for every due item; reading the people once for the whole sweep
    spares a query per role per item."""

    def __init__(self, connection: Connection) -> None:
        self.rows = list(connection.execute(select(person_t).order_by(person_t.c.id)))
        self.roles = {row.id: set(filter(None, row.roles.split(","))) for row in self.rows}

    def with_role(self, role: str, *, units: list[str] = (), deputies: list[str] = ()) -> list:
        if role in ("lead_unit", "co_unit"):
            return [row for row in self.rows if row.unit_id in units and "unit" in self.roles[row.id]]
        if role == "own_deputy":
            return [row for row in self.rows if row.deputy and row.deputy in deputies]
        return [row for row in self.rows if role in self.roles[row.id]]


def people_with_role(connection: Connection, role: str, *, units: list[str] = (), deputies: list[str] = ()) -> list:
    """Person rows a role resolves to: a unit's staff, an item's deputies, or every holder of a global role."""
    return People(connection).with_role(role, units=units, deputies=deputies)


def enqueue(connection: Connection, *, cause: str, people: list, item_id: int | None, ref: str, subject: str,
            body: str, at: str) -> int:
    """One notification per person for `cause` in one statement; returns how many were new.
    A key already there (the same cause, the same person) is left alone."""
    if not people:
        return 0
    rows = [{"key": f"{cause}>{person.id}", "item_id": item_id, "ref": ref, "recipient": person.id,
             "recipient_name": person.name, "email": person.email, "subject": subject, "body": body,
             "created_at": at} for person in people]
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    # RETURNING counts what was written; rowcount is not reported reliably for this statement
    statement = upsert(notification_t).values(rows).on_conflict_do_nothing(index_elements=["key"]) \
        .returning(notification_t.c.id)
    return len(connection.execute(statement).all())
