"""`banli campaign open|status`: the look-back (回头看) and other campaigns."""

from __future__ import annotations

import click

from banli.cli.completion import complete_sessions
from banli.cli.options import as_of
from banli.cli.render import emit_json, json_option, table
from banli.i18n import _


@click.group()
def campaign() -> None:
    """Campaigns: dated reviews over a selection of items, such as the look-back (回头看).

    \b
    Examples:
      banli campaign open lookback --session 16-1
      banli campaign status
    """


@campaign.command("open")
@click.argument("name")
@click.option("--session", shell_complete=complete_sessions,
              help="Only items of this session (field `session`, e.g. 16-1); default: every session.")
@click.option("--at", "at_text", metavar="T", help="When the campaign opens (default now).")
@json_option
@click.pass_obj
def open_(settings, name: str, session: str | None, at_text: str | None, as_json: bool) -> None:
    """Open campaign NAME: select its items, give each a task with a due date, and fire the
    campaign's event on each. Opening again selects only items not yet selected. NAME is a
    campaign of the workflow (`campaigns` in its definition, e.g. lookback in npc-suggestion).

    \b
    Examples:
      banli campaign open lookback --session 16-1
      banli campaign open lookback --session 16-1 --at 2026-09-01 --json
    """
    from banli.cli.setup import operator
    from banli.engine.campaigns import open_campaign
    from banli.errors import InvalidInput
    from banli.store.report_queries import require_session

    runtime = settings.runtime()
    at = as_of(at_text)
    if at > runtime.now():
        raise InvalidInput(_("--at is in the future: a campaign opens when it opens"))
    if session is not None:
        require_session(settings.store, session)
    report = open_campaign(runtime, name, session=session, at=at, by=operator())
    if as_json:
        emit_json(report)
    else:
        if report["already"]:
            click.echo(_("{name}: selected {selected} item(s), {already} already selected before").format(
                name=name, selected=report["selected"], already=report["already"]))
        else:
            click.echo(_("{name}: selected {selected} item(s)").format(name=name, selected=report["selected"]))


@campaign.command("status")
@click.argument("name", required=False)
@click.option("--session", shell_complete=complete_sessions, help="Only this session.")
@click.option("--as-of", "as_of_text", metavar="T", help="Judge due dates as of this time (default now).")
@json_option
@click.pass_obj
def status(settings, name: str | None, session: str | None, as_of_text: str | None, as_json: bool) -> None:
    """Progress of each campaign (or of NAME): per unit and per outcome.

    \b
    Examples:
      banli campaign status
      banli campaign status lookback --session 16-1 --as-of 2022-12-31
    """
    from banli.engine.campaigns import summarise
    from banli.store.operator import show_org
    from banli.store.report_queries import require_session

    summaries = [_local(settings.store, entry)
                 for entry in summarise(settings.store, name, session, as_of(as_of_text))]
    if session is not None and not summaries:
        require_session(settings.store, session)
    if as_json:
        emit_json(summaries)
        return
    if not summaries:
        click.echo(_("no campaign opened yet called {name}").format(name=name) if name
                   else _("no campaign opened yet"))
    units = {unit["id"]: unit["name"] for unit in show_org(settings.store)["units"]}
    for entry in summaries:
        click.echo(_("{label} ({name}, session {session}, opened {opened}): {done}/{selected} done, "
                     "{open} open").format(
            label=entry["label"], name=entry["name"], session=entry["session"] or "-", opened=entry["opened_at"][:10],
            done=entry["done"], selected=entry["selected"], open=entry["open"]))
        if entry["by_outcome"]:
            table([_("outcome"), _("items")], [[outcome, count] for outcome, count in entry["by_outcome"].items()])
        if entry.get("by_kind"):  # per kind of item, and how many an outcome reopened (its `then` event)
            table([_("kind"), _("selected"), _("done"), _("reopened")],
                  [[kind, c.get("selected", 0), c.get("done", 0), c.get("reopened", 0)] for kind, c in entry["by_kind"].items()])
        if entry.get("reopened"):
            click.echo(_("reopened: {counts}").format(
                counts=", ".join(f"{outcome} {count}" for outcome, count in entry["reopened"].items())))
        table([_("unit"), _("selected"), _("done"), _("open"), _("overdue")],
              [[units.get(unit, unit), c.get("selected", 0), c.get("done", 0), c.get("open", 0), c.get("overdue", 0)]
               for unit, c in entry["by_unit"].items()])
        click.echo()


def _local(store, summary: dict) -> dict:
    """A campaign's summary with its times (kept in UTC) in its workflow's zone, with the offset."""
    from banli.engine.times import from_utc_text, local_text

    zone = store.workflows.get(summary["workflow"]).zone
    return {**summary, **{key: local_text(from_utc_text(summary[key]), zone) if summary[key] else None
                          for key in ("opened_at", "due_at")}}
