"""The delivery run: claim what is due, send it outside any transaction, record each outcome.

Nothing is lost: a delivery stays pending (its attempts and last error recorded) until a
channel takes it or `max_attempts` is reached. Nothing is sent twice: a delivery is claimed
by one worker at a time and marked sent as soon as its channel returns; only a crash
between the two can repeat a message, and then with the same idempotency key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from banli.config import Config, NotifySettings
from banli.engine.records import DeliveryStatus
from banli.engine.times import DEFAULT_ZONE, from_utc_text, local_text, utc_text
from banli.notify.channels import Channel, Message, SendFailed, open_channels
from banli.store import delivery as outbox
from banli.store.repo import SqlStore


def backoff(settings: NotifySettings, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: `backoff`, doubled each time, at most `backoff_max`."""
    seconds = settings.backoff.total_seconds() * 2 ** min(attempts - 1, 40)
    return timedelta(seconds=min(seconds, settings.backoff_max.total_seconds()))


def deliver(store: SqlStore, config: Config, now: datetime, *, clock: Callable[[], datetime] | None = None) -> dict:
    """Send every delivery due at `now`; returns counts {sent, failed, retrying, pending}.

    Work is claimed in batches; `clock`, when given, is read for each batch after the first,
    so that a long run's claims stay ahead of the wall clock.
    """
    settings = config.notify
    channels = open_channels(config)
    counts = {"sent": 0, "failed": 0, "retrying": 0}
    try:
        at = now
        while rows := outbox.claim(store, channels=list(channels), now=utc_text(at), until=utc_text(at + settings.lease),
                                   limit=settings.batch):
            for row in rows:
                counts[_attempt(store, settings, channels[row.channel], row, at)] += 1
            at = clock() if clock else at
    finally:
        for channel in channels.values():
            channel.close()
    counts["pending"] = outbox.pending_count(store, list(channels))
    return counts


def _attempt(store: SqlStore, settings: NotifySettings, channel: Channel, row, now: datetime) -> str:
    """Send one claimed delivery and record the outcome: "sent", "retrying" or "failed"."""
    attempts = row.attempts + 1
    try:
        channel.send(Message.from_row(row), now)
    except Exception as exc:  # one message's trouble, even a bug in a channel, must not hold up the others
        failure = exc if isinstance(exc, SendFailed) else SendFailed(f"internal error ({type(exc).__name__}: {exc})")
        give_up = failure.permanent or attempts >= settings.max_attempts
        retry_at = None if give_up else utc_text(now + backoff(settings, attempts))
        outbox.mark_failed(store, row.id, attempts=attempts, error=failure.reason, retry_at=retry_at)
        return "failed" if give_up else "retrying"
    outbox.mark_sent(store, row.id, attempts=attempts, at=utc_text(now))
    return "sent"


def list_deliveries(store: SqlStore, *, status: str | None = None) -> list[dict]:
    """Deliveries for `notify list`, times as local text in the default zone (one listing
    holds deliveries about items of every workflow)."""
    def local(text: str | None) -> str | None:
        return local_text(from_utc_text(text), DEFAULT_ZONE) if text else None

    return [{"ref": row.ref, "recipient": row.recipient, "recipient_name": row.recipient_name,
             "channel": row.channel, "status": row.status, "attempts": row.attempts,
             "next_attempt_at": local(row.next_attempt_at) if row.status == DeliveryStatus.PENDING else None,
             "sent_at": local(row.sent_at), "last_error": row.last_error, "subject": row.subject,
             "key": row.key, "created_at": local(row.created_at)}
            for row in outbox.deliveries(store, status=status)]
