"""Deliveries: one row per notification and channel, claimed by a worker, then marked sent,
retrying or failed. The SQL behind `banli.notify`.

A claim is a lease (`claimed_until`): the worker sends outside any transaction, and a row
whose lease ran out (its worker died) is claimed again. On PostgreSQL the claim skips rows
another worker is claiming (`FOR UPDATE SKIP LOCKED`); SQLite's `BEGIN IMMEDIATE`
serialises claims. Outcomes are recorded many at once (`record`): one transaction, one
UPDATE per kind of outcome, so that delivery costs a few statements per batch, not per message.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from sqlalchemy import and_, bindparam, exists, func, literal, or_, select, update
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


_ANALYZE_AFTER = 10_000  # deliveries added at once
_IDS_PER_STATEMENT = 500  # SQLite's older builds take at most 999 bound values a statement


@contextmanager
def _writing(store: SqlStore) -> Iterator[Connection]:
    with store.engine.connect() as connection:
        connection = connection.execution_options(banli_write=True)
        with connection.begin():
            yield connection


def _add_missing(connection: Connection, channel: str) -> int:
    """A pending delivery through `channel` for every notification that has none, due at its creation."""
    missing = select(notification_t.c.id, literal(channel), literal(PENDING), literal(0), notification_t.c.created_at,
                     literal("")).where(~exists().where(and_(delivery_t.c.notification_id == notification_t.c.id,
                                                             delivery_t.c.channel == channel)))
    columns = ["notification_id", "channel", "status", "attempts", "next_attempt_at", "last_error"]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    # two PostgreSQL workers may both see a notification as missing: the second one skips it
    return connection.execute(dialect.insert(delivery_t).from_select(columns, missing).on_conflict_do_nothing()).rowcount


def claim(store: SqlStore, *, channels: list[str], now: str, until: str, limit: int, add_missing: bool = True) -> list:
    """Add the missing deliveries (once a run is enough: it reads every notification), then
    claim up to `limit` that are due at `now` until `until`.

    Returns rows of `_MESSAGE_COLUMNS`: what the channels need to send each one.
    """
    with _writing(store) as connection:
        added = sum(_add_missing(connection, channel) for channel in channels) if add_missing else 0
        if added >= _ANALYZE_AFTER and connection.dialect.name == "postgresql":
            # fresh statistics, or the planner takes the many new pending rows for a few and sorts
            # them all for every claim (a bitmap scan) instead of reading the first of the index
            connection.exec_driver_sql("ANALYZE delivery")
        # the due ids alone are sorted and locked, claimed in the same statement; on PostgreSQL
        # a second execution of the subquery (a planner's choice) could only claim more, never
        # a row another worker holds
        due = (select(delivery_t.c.id)
               .where(and_(delivery_t.c.status == PENDING, delivery_t.c.next_attempt_at <= now,
                           delivery_t.c.channel.in_(channels),
                           or_(delivery_t.c.claimed_until.is_(None), delivery_t.c.claimed_until < now)))
               .order_by(delivery_t.c.next_attempt_at).limit(limit)
               .with_for_update(skip_locked=True))
        ids = connection.execute(update(delivery_t).where(delivery_t.c.id.in_(due.scalar_subquery()))
                                 .values(claimed_until=until).returning(delivery_t.c.id)).scalars().all()
        rows = []
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            rows += connection.execute(
                select(*_MESSAGE_COLUMNS).join(notification_t, notification_t.c.id == delivery_t.c.notification_id)
                .outerjoin(person_t, person_t.c.id == notification_t.c.recipient)
                .where(delivery_t.c.id.in_(ids[start:start + _IDS_PER_STATEMENT]))
                .order_by(delivery_t.c.next_attempt_at, delivery_t.c.id)).all()
        return rows


_SENT = (update(delivery_t)
         # `status = pending`: never undo what another worker recorded after our lease ran out
         .where(and_(delivery_t.c.id.in_(bindparam("b_ids", expanding=True)), delivery_t.c.status == PENDING))
         .values(status=SENT, attempts=bindparam("b_attempts"), sent_at=bindparam("b_at"), last_error="",
                 claimed_until=None))
_RETRY = (update(delivery_t).where(and_(delivery_t.c.id == bindparam("b_id"), delivery_t.c.status == PENDING))
          .values(attempts=bindparam("b_attempts"), last_error=bindparam("b_error"),
                  next_attempt_at=bindparam("b_retry_at"), claimed_until=None))
_GIVE_UP = (update(delivery_t).where(and_(delivery_t.c.id == bindparam("b_id"), delivery_t.c.status == PENDING))
            .values(status=FAILED, attempts=bindparam("b_attempts"), last_error=bindparam("b_error"),
                    claimed_until=None))


def record(store: SqlStore, outcomes: list[dict]) -> None:
    """The outcomes of claimed deliveries, in one transaction. Each is {"id", "attempts", and
    "sent_at" (sent) or "error" with "retry_at" (tried again from then) or None (given up)}."""
    if not outcomes:
        return
    sent: dict[tuple[int, str], list[int]] = {}
    retry, give_up = [], []
    for outcome in outcomes:
        if "sent_at" in outcome:
            sent.setdefault((outcome["attempts"], outcome["sent_at"]), []).append(outcome["id"])
            continue
        params = {"b_id": outcome["id"], "b_attempts": outcome["attempts"], "b_error": outcome["error"]}
        if outcome["retry_at"] is None:
            give_up.append(params)
        else:
            retry.append({**params, "b_retry_at": outcome["retry_at"]})
    with _writing(store) as connection:
        for (attempts, at), ids in sent.items():
            for start in range(0, len(ids), _IDS_PER_STATEMENT):
                connection.execute(_SENT, {"b_ids": ids[start:start + _IDS_PER_STATEMENT], "b_attempts": attempts,
                                           "b_at": at})
        for statement, params in ((_RETRY, retry), (_GIVE_UP, give_up)):
            if params:
                connection.execute(statement, params)


def requeue_failed(store: SqlStore, *, now: str, channel: str | None = None) -> int:
    """Failed deliveries pending again from `now`, with their attempts counted afresh; how many."""
    condition = delivery_t.c.status == FAILED
    if channel:
        condition = and_(condition, delivery_t.c.channel == channel)
    with _writing(store) as connection:
        return connection.execute(update(delivery_t).where(condition).values(
            status=PENDING, attempts=0, next_attempt_at=now, claimed_until=None)).rowcount


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
