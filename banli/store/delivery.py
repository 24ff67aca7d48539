"""Deliveries: one row per notification and channel, claimed by a worker, then marked sent,
retrying or failed. The SQL behind `banli.notify`.

A claim is a lease (`claimed_until`): the worker sends outside any transaction, and a row
whose lease ran out (its worker died) is claimed again. On PostgreSQL the claim skips rows
another worker is claiming (`FOR UPDATE SKIP LOCKED`); SQLite's `BEGIN IMMEDIATE`
serialises claims.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from sqlalchemy import and_, exists, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from banli.engine.records import DeliveryStatus
from banli.store.schema import delivery_t, notification_t, person_t

if TYPE_CHECKING:
    from banli.store.repo import SqlStore

# as text: `literal()` of an enum member has no SQL type
PENDING, SENT, FAILED = (status.value for status in DeliveryStatus)

_MESSAGE_COLUMNS = (
    delivery_t.c.id, delivery_t.c.channel, delivery_t.c.attempts, notification_t.c.key, notification_t.c.item_id,
    notification_t.c.ref, notification_t.c.recipient, notification_t.c.recipient_name,
    # the address the org file gives now, else the one the notification was written with
    func.coalesce(person_t.c.email, notification_t.c.email).label("email"),
    notification_t.c.subject, notification_t.c.body, notification_t.c.created_at,
)


@contextmanager
def _writing(store: SqlStore) -> Iterator[Connection]:
    with store.engine.connect() as connection:
        connection = connection.execution_options(banli_write=True)
        with connection.begin():
            yield connection


def _add_missing(connection: Connection, channel: str) -> None:
    """A pending delivery through `channel` for every notification that has none, due at its creation."""
    missing = select(notification_t.c.id, literal(channel), literal(PENDING), literal(0), notification_t.c.created_at,
                     literal("")).where(~exists().where(and_(delivery_t.c.notification_id == notification_t.c.id,
                                                             delivery_t.c.channel == channel)))
    columns = ["notification_id", "channel", "status", "attempts", "next_attempt_at", "last_error"]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    # two PostgreSQL workers may both see a notification as missing: the second one skips it
    connection.execute(dialect.insert(delivery_t).from_select(columns, missing).on_conflict_do_nothing())


def claim(store: SqlStore, *, channels: list[str], now: str, until: str, limit: int) -> list:
    """Add the missing deliveries, then claim up to `limit` that are due at `now` until `until`.

    Returns rows of `_MESSAGE_COLUMNS`: what the channels need to send each one.
    """
    with _writing(store) as connection:
        for channel in channels:
            _add_missing(connection, channel)
        due = (select(delivery_t.c.id)
               .where(and_(delivery_t.c.status == PENDING, delivery_t.c.next_attempt_at <= now,
                           delivery_t.c.channel.in_(channels),
                           or_(delivery_t.c.claimed_until.is_(None), delivery_t.c.claimed_until < now)))
               .order_by(delivery_t.c.next_attempt_at, delivery_t.c.id).limit(limit)
               .with_for_update(skip_locked=True))
        ids = [delivery_id for (delivery_id,) in connection.execute(due)]
        if not ids:
            return []
        connection.execute(update(delivery_t).where(delivery_t.c.id.in_(ids)).values(claimed_until=until))
        return connection.execute(
            select(*_MESSAGE_COLUMNS).join(notification_t, notification_t.c.id == delivery_t.c.notification_id)
            .outerjoin(person_t, person_t.c.id == notification_t.c.recipient)
            .where(delivery_t.c.id.in_(ids)).order_by(delivery_t.c.next_attempt_at, delivery_t.c.id)).all()


def mark_sent(store: SqlStore, delivery_id: int, *, attempts: int, at: str) -> None:
    with _writing(store) as connection:
        connection.execute(update(delivery_t).where(and_(delivery_t.c.id == delivery_id, delivery_t.c.status == PENDING))
                           .values(status=SENT, attempts=attempts, sent_at=at, last_error="", claimed_until=None))


def mark_failed(store: SqlStore, delivery_id: int, *, attempts: int, error: str, retry_at: str | None) -> None:
    """A failed attempt: retried from `retry_at`, or given up (status failed) when that is None."""
    values = dict(attempts=attempts, last_error=error, claimed_until=None)
    if retry_at is None:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = retry_at
    with _writing(store) as connection:
        # `status = pending`: never undo a success another worker recorded after our lease ran out
        connection.execute(update(delivery_t).where(and_(delivery_t.c.id == delivery_id, delivery_t.c.status == PENDING))
                           .values(**values))


def pending_count(store: SqlStore, channels: list[str]) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(delivery_t).where(
            and_(delivery_t.c.status == PENDING, delivery_t.c.channel.in_(channels)))).scalar_one()


def deliveries(store: SqlStore, *, status: str | None = None) -> list:
    """Every delivery with its notification, newest notification first.

    A notification no delivery run has seen yet is listed once, pending, with no channel.
    """
    status_column = func.coalesce(delivery_t.c.status, PENDING)
    query = (select(delivery_t.c.id, delivery_t.c.channel, status_column.label("status"),
                    func.coalesce(delivery_t.c.attempts, 0).label("attempts"),
                    func.coalesce(delivery_t.c.next_attempt_at, notification_t.c.created_at).label("next_attempt_at"),
                    delivery_t.c.sent_at, func.coalesce(delivery_t.c.last_error, "").label("last_error"),
                    notification_t.c.key, notification_t.c.ref, notification_t.c.recipient,
                    notification_t.c.recipient_name, notification_t.c.subject, notification_t.c.created_at)
             .select_from(notification_t)
             .outerjoin(delivery_t, delivery_t.c.notification_id == notification_t.c.id)
             .order_by(notification_t.c.created_at.desc(), notification_t.c.id.desc(), delivery_t.c.channel))
    if status:
        query = query.where(status_column == status)
    with store.engine.connect() as connection:
        return connection.execute(query).all()
