"""The notification outbox: messages written in the same transaction as their cause.

`enqueue` is idempotent per key (cause + recipient), so a sweep run twice, or again after a
crash, never writes a message twice. Delivery through channels is `banli.notify`'s.
"""

from __future__ import annotations

from sqlalchemy import and_, insert, select
from sqlalchemy.engine import Connection

from banli.store.repo import person_t
from banli.store.tables import Notification

notification_t = Notification.__table__


def people_with_role(connection: Connection, role: str, *, units: list[str] = (), deputies: list[str] = ()) -> list:
    """Person rows a role resolves to: a unit's staff, an item's deputies, or every holder of a global role."""
    if role in ("lead_unit", "co_unit"):
        if not units:
            return []
        query = select(person_t).where(and_(person_t.c.unit_id.in_(units), person_t.c.roles.like("%unit%")))
    elif role == "own_deputy":
        if not deputies:
            return []
        query = select(person_t).where(person_t.c.deputy.in_(deputies))
    else:
        query = select(person_t).where((person_t.c.roles == role) | person_t.c.roles.like(f"{role},%")
                                       | person_t.c.roles.like(f"%,{role}") | person_t.c.roles.like(f"%,{role},%"))
    return list(connection.execute(query.order_by(person_t.c.id)))


def enqueue(connection: Connection, *, cause: str, people: list, item_id: int | None, ref: str, subject: str,
            body: str, at: str) -> int:
    """One notification per person for `cause`; returns how many were new."""
    written = 0
    for person in people:
        key = f"{cause}>{person.id}"
        if connection.execute(select(notification_t.c.id).where(notification_t.c.key == key)).first():
            continue
        connection.execute(insert(notification_t).values(
            key=key, item_id=item_id, ref=ref, recipient=person.id, recipient_name=person.name, email=person.email,
            subject=subject, body=body, created_at=at))
        written += 1
    return written
