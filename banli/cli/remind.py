"""`banli remind`: one sweep over due reminders, escalations and timer events."""

from __future__ import annotations

import click

from banli.cli.options import as_of
from banli.cli.render import emit_json, json_option, table
from banli.i18n import _


@click.command()
@click.option("--as-of", "as_of_text", metavar="T", help="Sweep as of this time (default now); past, or any with --dry-run.")
@click.option("--dry-run", is_flag=True, help="List what is due without acting on it.")
@json_option
@click.pass_obj
def remind(settings, as_of_text: str | None, dry_run: bool, as_json: bool) -> None:
    """Act on every reminder that has fallen due: notify the people a rule names and fire
    its event (urge 催办, supervise 督办 …) as `system`. Safe to run again: nothing is done twice.

    \b
    Examples:
      banli remind --dry-run
      banli remind
      banli remind --as-of 2026-06-04 --json
    """
    from banli.engine.sweep import sweep

    report = sweep(settings.runtime(), as_of(as_of_text), dry_run=dry_run).as_json()
    if as_json:
        emit_json(report)
        return
    if report["actions"]:
        table([_("ref"), _("rule"), _("due"), _("notify"), _("fire")],
              [[a["ref"], f"{a['kind']} {a['offset']}", a["due"][:16].replace("T", " "),
                _notified(a), a["fire"] or ""]
               for a in report["actions"]])
    click.echo(_summary(report, dry_run))


def _summary(report: dict, dry_run: bool) -> str:
    """One line: how many reminders of how many items were (or would be) acted on, and what came of them."""
    counts = {key: report[key] for key in ("reminders", "items", "notifications", "events")}
    skipped = report.get("skipped")
    if dry_run and skipped:
        text = _("would act on {reminders} reminder(s) of {items} item(s): {notifications} notification(s), "
                 "{events} event(s), {skipped} skipped (their deadline had passed)")
    elif dry_run:
        text = _("would act on {reminders} reminder(s) of {items} item(s): {notifications} notification(s), "
                 "{events} event(s)")
    elif skipped:
        text = _("acted on {reminders} reminder(s) of {items} item(s): {notifications} notification(s), "
                 "{events} event(s), {skipped} skipped (their deadline had passed)")
    else:
        text = _("acted on {reminders} reminder(s) of {items} item(s): {notifications} notification(s), "
                 "{events} event(s)")
    return text.format(**counts, skipped=skipped)


def _notified(action: dict) -> str:
    """The roles a rule notifies and whom they reach: "lead_unit,supervisor → li,wang"."""
    if not action["notify"]:
        return ""
    recipients = ",".join(action["recipients"]) or _("nobody")
    return f"{','.join(action['notify'])} → {recipients}"
