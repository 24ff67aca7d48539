"""`banli ledger export`: the 台账 as an Excel workbook or a CSV file."""

from __future__ import annotations

import click

from banli.cli.completion import complete_sessions, complete_workflows
from banli.cli.options import as_of
from banli.cli.render import emit_json, json_option
from banli.engine.times import DEFAULT_ZONE
from banli.i18n import _

ZONE = DEFAULT_ZONE  # as `--as-of` is read


@click.group()
def ledger() -> None:
    """The ledger (台账): one row per item, under the columns its workflow's definition
    gives (`ledger:`), e.g. assignment, deadline, urges, contacts, reply, result, rating
    and days overdue.

    \b
    Example:
      banli ledger export 台账.xlsx --session 16-1
    """


@ledger.command("export")
@click.argument("file", metavar="FILE.xlsx|FILE.csv", type=click.Path(dir_okay=False))
@click.option("--session", shell_complete=complete_sessions,
              help="Only items of this session (the field `session`, e.g. 16-1).")
@click.option("--as-of", "as_of_text", metavar="T",
              help="The ledger as of this time (default now): states, deadlines and counts as they were then.")
@click.option("--workflow", "workflow", metavar="W", shell_complete=complete_workflows,
              help="Only items of this workflow (e.g. hotline-12345); a CSV of items of several needs it.")
@json_option
@click.pass_obj
def export(settings, file: str, session: str | None, as_of_text: str | None, workflow: str | None,
           as_json: bool) -> None:
    """Write the ledger to FILE: .xlsx (a 台账 sheet per workflow, its overdue rows in red,
    and 单位汇总) or .csv (UTF-8 with BOM, one workflow's 台账 columns).

    \b
    Examples:
      banli ledger export 台账.xlsx --session 16-1
      banli ledger export 台账.csv --as-of 2022-12-31
      banli ledger export 工单台账.csv --workflow hotline-12345
    """
    from banli.reports.ledger import build_ledger
    from banli.sheets.writing import write_ledger

    judged = as_of(as_of_text)
    written = build_ledger(settings.store, as_of=judged, session=session, workflow=workflow)
    write_ledger(written, file)
    summary = {"file": file, "rows": len(written.rows), "overdue": written.overdue, "units": len(written.units),
               "session": session, "as_of": judged.astimezone(ZONE).isoformat(timespec="seconds")}
    if as_json:
        emit_json(summary)
        return
    facts = {"file": file, "rows": summary["rows"], "overdue": summary["overdue"], "units": summary["units"],
             "as_of": summary["as_of"][:16].replace("T", " ")}
    if session:
        click.echo(_("{file}: {rows} items (session {session}), {overdue} overdue, {units} lead units, "
                     "as of {as_of}").format(**facts, session=session))
    else:
        click.echo(_("{file}: {rows} items (all sessions), {overdue} overdue, {units} lead units, "
                     "as of {as_of}").format(**facts))
