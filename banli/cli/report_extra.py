"""`banli report bulletin` and `banli report units`: the monthly bulletin (通报) and the
per-unit scores (绩效考核), attached to the `report` group."""

from __future__ import annotations

import click

from banli.cli.completion import complete_sessions, complete_units
from banli.cli.options import as_of
from banli.cli.render import emit_json, json_option, table
from banli.i18n import _


@click.command()
@click.option("--period", required=True, metavar="YYYY-MM", help="The month to report, e.g. 2022-08.")
@click.option("--session", shell_complete=complete_sessions,
              help="Only items of this session (the field `session`, e.g. 16-1).")
@click.option("--out", "out", metavar="F.md|F.docx|F.html", type=click.Path(dir_okay=False),
              help="Write the bulletin to a Markdown, Word or HTML file instead of printing it.")
@click.option("--as-of", "as_of_text", metavar="T",
              help="For a month under way: the bulletin as of this time (default now).")
@json_option
@click.pass_obj
def bulletin(settings, period: str, session: str | None, out: str | None, as_of_text: str | None,
             as_json: bool) -> None:
    """The bulletin (通报) of one month: each lead unit's replies (on time or late), items
    overdue at the month's end, urges and ratings; the units praised and criticised.
    Markdown on stdout unless --out or --json.

    \b
    Examples:
      banli report bulletin --period 2022-08
      banli report bulletin --period 2022-08 --session 16-1 --out 通报.docx
    """
    from banli.engine.times import check_year
    from banli.reports.bulletin import build_bulletin, render_markdown, write_bulletin

    year = period.partition("-")[0]
    if year.isascii() and year.isdigit():  # the form is judged with the rest (month_bounds)
        check_year(int(year), f"--period {period}")
    built = build_bulletin(settings.store, period, now=as_of(as_of_text), session=session)
    written = str(write_bulletin(built, out)) if out else None
    if as_json:
        emit_json({**built.as_json(), "file": written})
    elif written:
        click.echo(_("{file}: {title}, {units} unit(s), {praised} praised, {criticised} criticised").format(
            file=written, title=built.title, units=len(built.units), praised=len(built.praised),
            criticised=len(built.criticised)))
    else:
        click.echo(render_markdown(built), nl=False)


@click.command()
@click.option("--session", shell_complete=complete_sessions,
              help="Only items of this session (the field `session`, e.g. 16-1).")
@click.option("--unit", metavar="U", shell_complete=complete_units, help="One unit (id or name), with every event that scored.")
@click.option("--detail", is_flag=True, help="Every unit with every event that scored.")
@click.option("--as-of", "as_of_text", metavar="T", help="Only the events up to this time (default: all).")
@json_option
@click.pass_obj
def units(settings, session: str | None, unit: str | None, detail: bool, as_of_text: str | None,
          as_json: bool) -> None:
    """Per-unit scores from the workflow's `scoring` rules, highest first; with --unit or
    --detail, the events behind each score (ref, seq, event, time, rule, points).

    \b
    Examples:
      banli report units --session 16-1
      banli report units --unit zjj
      banli report units --detail --as-of 2022-12-31 --json
    """
    from banli.reports.scores import build_scores

    judged = as_of(as_of_text) if as_of_text else None
    scores = build_scores(settings.store, session=session, unit=unit, as_of=judged)
    if as_json:
        emit_json({"session": session, "as_of": judged.isoformat(timespec="seconds") if judged else None,
                   "units": [score.as_json() for score in scores]})
        return
    if not scores:
        click.echo(_("no unit has led an item yet in session {session}").format(session=session) if session
                   else _("no unit has led an item yet"))
        return
    table([_("unit"), _("name"), _("score"), _("events")], [[s.unit, s.name, s.score, len(s.awards)] for s in scores])
    if not (unit or detail):
        return
    for score in scores:
        click.echo(f"\n{score.name} ({score.unit or '-'}): {score.score}")
        rows = [[a.ref, a.seq, a.event, a.occurred_at[:16].replace("T", " "), a.rule, f"{a.points:+d}"]
                for a in score.awards]
        table([_("ref"), _("seq"), _("event"), _("occurred_at"), _("rule"), _("points")],
              rows + [[_("total"), "", "", "", "", score.score]])
