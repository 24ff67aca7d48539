"""`banli report`: the annual handling report (`annual`), and beside it the bulletin and the
per-unit scores."""

from __future__ import annotations

import click

from banli.cli.completion import complete_sessions
from banli.cli.options import as_of
from banli.cli.render import emit_json, json_option
from banli.i18n import _


@click.group()
def report() -> None:
    """Reports: the annual handling report (办理情况的报告), bulletins (通报), per-unit scores.

    \b
    Examples:
      banli report annual --session 16-1 --out 办理情况报告.docx
      banli report bulletin --period 2022-08
      banli report units --session 16-1
    """


@report.command("annual")
@click.option("--session", required=True, shell_complete=complete_sessions,
              help="The session reported on (the field `session`, e.g. 16-1).")
@click.option("--out", "out", metavar="F.md|F.docx|F.html", type=click.Path(dir_okay=False),
              help="Write the report to this file (a Markdown file's charts go to F_charts/ beside it).")
@click.option("--as-of", "as_of_text", metavar="T",
              help="The report as of this time (default now): only what happened by then is counted.")
@json_option
@click.pass_obj
def annual(settings, session: str, out: str | None, as_of_text: str | None, as_json: bool) -> None:
    """The annual report of a session, in the reader's language (BANLI_LANG): basic facts, how
    the work was done (per unit), problems found, and charts. Without --out, the report is printed as Markdown;
    with --json, its figures are printed instead (what each means: docs/year.md).

    \b
    Examples:
      banli report annual --session 16-1 --out 办理情况报告.docx
      banli report annual --session 16-1 --as-of 2023-05-10 --out 报告.html
      banli report annual --session 16-1 --json
    """
    from banli.reports.annual import build_annual, write_annual

    judged = as_of(as_of_text)
    if out:
        built = write_annual(settings.store, session, out, judged)
    else:
        built = build_annual(settings.store, session, judged)
    if as_json:
        extra = {name: part.to_json() for name, part in (("parts", built.parts), ("leaders", built.leaders)) if part}
        emit_json({**built.metrics.to_json(), **extra, **({"file": out} if out else {})})
    elif out:
        metrics = built.metrics
        click.echo(_("{file}: session {session}, {total} items, satisfaction {satisfaction}, replied on time "
                     "{on_time}").format(file=out, session=session, total=metrics.total,
                                         satisfaction=_percent(metrics.satisfaction_rate),
                                         on_time=_percent(metrics.replied_on_time_rate)))
    else:
        from banli.reports.render.markdown import markdown

        click.echo(markdown(built.document), nl=False)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def _attach() -> None:
    from banli.cli.report_extra import bulletin, units

    report.add_command(bulletin)
    report.add_command(units)


_attach()
