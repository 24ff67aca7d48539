"""`banli notify deliver|list|retry`: send the outbox through the channels of banli.toml, and look at it."""

from __future__ import annotations

import click

from banli.cli.render import emit_json, json_option, table
from banli.engine.records import DeliveryStatus
from banli.i18n import N_, _, ngettext

# a delivery's status for people (the value itself is in --json)
STATUS_WORDS = {"pending": N_("waiting"), "sent": N_("delivered"), "failed": N_("failed for good")}

STATUSES = tuple(status.value for status in DeliveryStatus)


@click.group()
def notify() -> None:
    """Notifications: the outbox and its delivery (channels are set in banli.toml or $BANLI_CONFIG).

    \b
    Examples:
      banli notify deliver
      banli notify list --status failed
    """


@notify.command("deliver")
@json_option
@click.pass_obj
def deliver(settings, as_json: bool) -> None:
    """Send every notification that is due; failures are retried later with back-off.

    \b
    Examples:
      banli notify deliver
      banli notify deliver --json
    """
    from banli.config import load_config
    from banli.engine.times import utc_now
    from banli.notify import deliver as run

    counts = run(settings.store, load_config(), utc_now(), clock=utc_now)
    if as_json:
        emit_json(counts)
    else:
        click.echo(_("sent {sent}, retrying {retrying}, failed {failed}; {pending} pending").format(
            sent=counts["sent"], retrying=counts["retrying"], failed=counts["failed"], pending=counts["pending"]))


@notify.command("retry")
@click.option("--channel", type=click.Choice(["log", "email", "webhook"]), help="Only deliveries through this channel.")
@json_option
@click.pass_obj
def retry(settings, channel: str | None, as_json: bool) -> None:
    """Try failed deliveries again at the next `notify deliver` (after correcting an address or banli.toml).

    \b
    Examples:
      banli notify retry --channel email
      banli notify deliver
    """
    from banli.engine.times import utc_now
    from banli.notify import retry_failed

    count = retry_failed(settings.store, utc_now(), channel=channel)
    if as_json:
        emit_json({"requeued": count})
    else:
        click.echo(ngettext("{count} failed delivery queued again", "{count} failed deliveries queued again",
                            count).format(count=count))


@notify.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only deliveries with this status.")
@json_option
@click.pass_obj
def list_(settings, status: str | None, as_json: bool) -> None:
    """Deliveries, newest first: ref, recipient, channel, status, attempts, last error.

    \b
    Examples:
      banli notify list
      banli notify list --status failed --json
    """
    from banli.notify import list_deliveries

    rows = list_deliveries(settings.store, status=status)
    if as_json:
        emit_json(rows)
        return
    table([_("ref"), _("recipient"), _("channel"), _("status"), _("attempts"), _("next / sent"), _("last error")],
          [[r["ref"], r["recipient_name"] or r["recipient"], r["channel"] or _("(not yet)"),
            _(STATUS_WORDS[r["status"]]) if r["status"] in STATUS_WORDS else r["status"], r["attempts"],
            (r["sent_at"] or r["next_attempt_at"] or "")[:16], (r["last_error"] or "")[:60]] for r in rows])
    click.echo(ngettext("{count} delivery", "{count} deliveries", len(rows)).format(count=len(rows)))
