"""`banli export FILE.jsonl` and `banli import-history FILE.jsonl`: the whole database, to move
or restore it."""

from __future__ import annotations

import click

from banli.cli.render import emit_json, json_option
from banli.i18n import _


class _ExportCommand(click.Command):
    """`export`, whose help ends with the tables it carries, read from the schema itself."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from banli.store.history import carried_tables

        formatter.write_paragraph()
        formatter.write_text(_("Tables carried, in this order: {tables}.")
                             .format(tables=", ".join(table.name for table in carried_tables())))
        super().format_epilog(ctx, formatter)


@click.command(cls=_ExportCommand)
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@json_option
@click.pass_obj
def export(settings, file: str, as_json: bool) -> None:
    """Write every row of every table of the database to FILE as JSON lines, ids kept:
    workflow definitions, calendar years, the organisation (its settings, units, people,
    deputies), the journal, items with their deputies and assignments, the trace, reminders,
    notifications and their deliveries, campaigns and their tasks. Only Alembic's schema
    version is left out: 'banli import-history' creates the schema. The same database always
    gives the same file (format described in banli/store/history.py).

    \b
    Example:
      banli export backup.jsonl
    """
    from banli.store.history import export_lines

    lines = 0
    with open(file, "w", encoding="utf-8", newline="\n") as handle:
        for line in export_lines(settings.store):
            handle.write(line + "\n")
            lines += 1
    if as_json:
        emit_json({"file": file, "lines": lines})
    else:
        click.echo(_("wrote {count} lines to {file}").format(count=lines, file=file))


@click.command("import-history")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@json_option
@click.pass_obj
def import_history(settings, file: str, as_json: bool) -> None:
    """Restore FILE (written by 'banli export') into a new, empty database (--db), all or
    nothing, then verify its trace. Do not run 'banli init' on the new database first.

    \b
    Example:
      banli --db sqlite:///restored.db import-history backup.jsonl
    """
    from banli.errors import AuditFailed
    from banli.store.audit import verify
    from banli.store.history import import_lines
    from banli.store.schema import upgrade

    upgrade(settings.create_store().engine)
    with open(file, encoding="utf-8") as handle:
        counts = import_lines(settings.store, handle, source=file)
    result = verify(settings.store)
    summary = {"file": file, "counts": counts, "verified": result["ok"], "rows": result["rows"]}
    if as_json:
        emit_json(summary)
    else:
        done = _("imported {items} items and {rows} trace rows from {file}; audit verify: ok") if result["ok"] \
            else _("imported {items} items and {rows} trace rows from {file}; audit verify: FAILED")
        click.echo(done.format(items=counts.get("item", 0), rows=counts.get("trace", 0), file=file))
    if not result["ok"]:
        raise AuditFailed(_("the imported trace does not verify ({count} problem(s)); the file was altered after export")
                          .format(count=len(result["failures"])))
