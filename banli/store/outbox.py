"""The notification outbox: messages written in the same transaction as their cause.

`enqueue` is idempotent per key (cause + recipient), so a sweep run twice, or again after a
crash, never writes a message twice. A key longer than its column keeps its head and ends in
the SHA-256 of the whole, so it stays unique and the same for the same cause. Delivery through channels is `banli.notify`'s.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.engine import Connection

from banli.store.schema import notification_t

KEY_LIMIT = notification_t.c.key.type.length  # 200
_UPSERTS: dict = {}  # by dialect name: the statement, built once so that its compiled form is reused


def notification_key(cause: str, recipient: str) -> str:
    """`cause>recipient`, or when that is too long for the column its head, `~` and its SHA-256."""
    key = f"{cause}>{recipient}"
    if len(key) <= KEY_LIMIT:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{key[:KEY_LIMIT - len(digest) - 1]}~{digest}"


def message_rows(*, cause: str, people: list, item_id: int | None, ref: str, subject: str, body: str,
                 at: str) -> list[dict]:
    """The outbox rows of one message to several people (`Person` records): one per person,
    keyed cause>person."""
    return [{"key": notification_key(cause, person.id), "item_id": item_id, "ref": ref, "recipient": person.id,
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
