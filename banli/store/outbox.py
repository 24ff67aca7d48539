"""The notification outbox: messages written in the same transaction as their cause.

`enqueue` is idempotent per key (cause + recipient), so a sweep run twice, or again after a
crash, never writes a message twice. Delivery through channels is `banli.notify`'s.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from banli.store.repo import person_t
from banli.store.schema import notification_t

_UPSERTS: dict = {}  # by dialect name: the statement, built once so that its compiled form is reused


class People:
    """Everyone in the organisation, read once, resolving the roles a reminder notifies.

    A sweep resolves roles for every due item; reading the people once for the whole sweep
    spares a query per role per item, and indexing them by role, unit and deputy spares a walk
    through everyone per role. Whoever a role resolves to comes in the order of person ids."""

    def __init__(self, connection: Connection) -> None:
        self.rows = list(connection.execute(select(person_t).order_by(person_t.c.id)))
        self.roles = {row.id: set(filter(None, row.roles.split(","))) for row in self.rows}
        self._holders: dict[str, list] = {}  # role → its holders
        self._staff: dict[str, list] = {}  # unit → its people with the role `unit`
        self._deputies: dict[str, list] = {}  # deputy → the people acting as them
        for row in self.rows:
            for role in self.roles[row.id]:
                self._holders.setdefault(role, []).append(row)
            if "unit" in self.roles[row.id] and row.unit_id:
                self._staff.setdefault(row.unit_id, []).append(row)
            if row.deputy:
                self._deputies.setdefault(row.deputy, []).append(row)
        self._order = {row.id: position for position, row in enumerate(self.rows)}

    def with_role(self, role: str, *, units: list[str] = (), deputies: list[str] = ()) -> list:
        if role in ("lead_unit", "co_unit"):
            return self._in_order(self._staff, units)
        if role == "own_deputy":
            return self._in_order(self._deputies, deputies)
        return list(self._holders.get(role, ()))

    def _in_order(self, index: dict[str, list], keys) -> list:
        keys = set(keys)
        if len(keys) == 1:
            return list(index.get(next(iter(keys)), ()))
        found = [row for key in keys for row in index.get(key, ())]
        return sorted({row.id: row for row in found}.values(), key=lambda row: self._order[row.id])


def people_with_role(connection: Connection, role: str, *, units: list[str] = (), deputies: list[str] = ()) -> list:
    """Person rows a role resolves to: a unit's staff, an item's deputies, or every holder of a global role."""
    return People(connection).with_role(role, units=units, deputies=deputies)


def message_rows(*, cause: str, people: list, item_id: int | None, ref: str, subject: str, body: str,
                 at: str) -> list[dict]:
    """The outbox rows of one message to several people: one per person, keyed cause>person."""
    return [{"key": f"{cause}>{person.id}", "item_id": item_id, "ref": ref, "recipient": person.id,
             "recipient_name": person.name, "email": person.email, "subject": subject, "body": body,
             "created_at": at} for person in people]


def enqueue(connection: Connection, *, cause: str, people: list, item_id: int | None, ref: str, subject: str,
            body: str, at: str) -> int:
    """One notification per person for `cause` in one statement; returns how many were new.
    A key already there (the same cause, the same person) is left alone."""
    return enqueue_rows(connection, message_rows(cause=cause, people=people, item_id=item_id, ref=ref,
                                                 subject=subject, body=body, at=at))


def enqueue_rows(connection: Connection, rows: list[dict]) -> int:
    """Outbox rows (`message_rows`) of any number of messages in one statement; returns how many
    were new. A key already there is left alone."""
    if not rows:
        return 0
    # RETURNING counts what was written (rowcount is not reported reliably for this statement);
    # SQLAlchemy sends the rows as one multi-row INSERT ("insertmanyvalues")
    return len(connection.execute(_upsert(connection.dialect.name), rows).all())


def _upsert(dialect: str):
    statement = _UPSERTS.get(dialect)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(notification_t).on_conflict_do_nothing(index_elements=["key"]).returning(notification_t.c.id)
        _UPSERTS[dialect] = statement
    return statement
