"""The delivery run: claim what is due, send it outside any transaction, record each outcome.

Nothing is lost: a delivery stays pending (its attempts and last error recorded) until a
channel takes it, `max_attempts` is reached, or it fails for good (a permanent failure: a
refused address, a webhook's 4xx). Nothing is sent twice: a delivery is claimed by one worker
at a time and marked sent once its channel returns. Only a crash in between can repeat a
message, and then with the same idempotency key: for e-mail and webhooks the one message
in flight (each is recorded at once); for the log channel, at most the batch's lines.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from banli.config import Config, NotifySettings
from banli.engine.records import DeliveryStatus
from banli.engine.times import DEFAULT_ZONE, from_utc_text, local_text, utc_text
from banli.i18n import _
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
    so that a long run's claims stay ahead of the wall clock. Outcomes are recorded a batch
    at a time, and at once after a message a `record_each` channel (e-mail, webhook) sent.
    """
    settings = config.notify
    channels = open_channels(config)
    counts = {"sent": 0, "failed": 0, "retrying": 0}
    outcomes: list[dict] = []
    try:
        at, first = now, True
        while rows := outbox.claim(store, channels=list(channels), now=utc_text(at), until=utc_text(at + settings.lease),
                                   limit=settings.batch, add_missing=first):
            first = False
            sent_at = utc_text(at)
            for row in rows:
                channel = channels[row.channel]
                outcome, kind = _attempt(settings, channel, row, at, sent_at)
                outcomes.append(outcome)
                counts[kind] += 1
                if kind == "sent" and channel.record_each:
                    outbox.record(store, outcomes)
                    outcomes.clear()
            outbox.record(store, outcomes)
            outcomes.clear()
            at = clock() if clock else at
    finally:
        try:
            outbox.record(store, outcomes)  # interrupted half-way: what was sent is not sent again
        finally:
            for channel in channels.values():
                channel.close()
    counts["pending"] = outbox.pending_count(store, list(channels))
    return counts


def _attempt(settings: NotifySettings, channel: Channel, row, now: datetime, sent_at: str) -> tuple[dict, str]:
    """Send one claimed delivery: its outcome for `outbox.record`, and "sent", "retrying" or "failed"."""
    attempts = row.attempts + 1
    try:
        channel.send(Message.from_row(row), now)
    except Exception as exc:  # one message's trouble, even a bug in a channel, must not hold up the others
        failure = exc if isinstance(exc, SendFailed) else SendFailed(_("internal error ({kind}: {error})").format(
            kind=type(exc).__name__, error=exc))
        give_up = failure.permanent or attempts >= settings.max_attempts
        retry_at = None if give_up else utc_text(now + backoff(settings, attempts))
        return ({"id": row.id, "attempts": attempts, "error": failure.reason, "retry_at": retry_at},
                "failed" if give_up else "retrying")
    return {"id": row.id, "attempts": attempts, "sent_at": sent_at}, "sent"


def retry_failed(store: SqlStore, now: datetime, *, channel: str | None = None) -> int:
    """Failed deliveries (e.g. after an address was corrected) tried again from `now`; how many."""
    return outbox.requeue_failed(store, now=utc_text(now), channel=channel)


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
