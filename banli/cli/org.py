"""`banli org load|show`: the units, people and deputies (the file's format: docs/org.md)."""

from __future__ import annotations

import click

from banli.cli.render import emit_json, json_option, table
from banli.cli.setup import operator
from banli.i18n import _

# A file of a hundred thousand bad lines gets the first of them: enough to see what is wrong.
MAX_SHOWN = 100


@click.group()
def org() -> None:
    """The organisation: units (承办单位), people with roles, deputies (代表). The file's
    format: docs/org.md.

    \b
    Examples:
      banli org load org.yaml
      banli org show
    """


def read_or_report(file: str, as_json: bool = False):
    """The checked organisation file; else every problem as FILE:LINE:COL: message, one line
    each on stderr like `workflow validate` (or all in one JSON document), and exit 3."""
    from banli.engine.org import read_org
    from banli.errors import DefinitionErrors

    try:
        return read_org(file)
    except DefinitionErrors as exc:
        problems = exc.problems
        if as_json:
            emit_json({"file": file, "loaded": False, "errors": [
                {"line": p.line, "column": p.column, "message": p.message} for p in problems]})
        else:
            for problem in problems[:MAX_SHOWN]:
                click.echo(problem.render(), err=True)
            if len(problems) > MAX_SHOWN:
                click.echo(_("{file}: {count} more problems not shown; correct these and load the file again")
                           .format(file=file, count=len(problems) - MAX_SHOWN), err=True)
        raise DefinitionErrors(problems, reported=True) from exc


@org.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@click.pass_obj
def load(settings, file: str, as_json: bool) -> None:
    """Load FILE (YAML: units, people, deputies). Loading again updates; nothing is deleted.
    Every problem of the file is listed as FILE:LINE:COL: message, and then nothing is loaded
    (exit 3). The format: docs/org.md.

    \b
    Example:
      banli org load org.yaml
    """
    from banli.engine.times import utc_now, utc_text
    from banli.store.operator import apply_org

    checked = read_or_report(file, as_json)  # before the database is opened: a bad file touches nothing
    counts = apply_org(settings.store, checked, operator(), utc_text(utc_now()))
    if as_json:
        emit_json(counts)
    else:
        click.echo(_("loaded {units} units, {people} people, {deputies} new deputies")
                   .format(units=counts["units"], people=counts["people"], deputies=counts["deputies"]))


@org.command("show")
@json_option
@click.pass_obj
def show(settings, as_json: bool) -> None:
    """Show units, people and deputies.

    \b
    Examples:
      banli org show
      banli org show --json
    """
    from banli.engine.wording import role_names
    from banli.store.operator import show_org

    data = show_org(settings.store)
    if as_json:
        emit_json(data)
        return
    table([_("unit"), _("name"), _("government")],
          [[u["id"], u["name"], _("yes") if u["government"] else _("no")] for u in data["units"]])
    click.echo()
    # a person's id is what --as takes; their roles and unit by name (all ids are in --json)
    roles, units = role_names(), {u["id"]: u["name"] for u in data["units"]}
    table([_("person"), _("name"), _("roles"), _("unit"), _("deputy")],
          [[p["id"], p["name"], _(", ").join(roles.get(role, role) for role in p["roles"]),
            units.get(p["unit_id"], p["unit_id"] or ""), p["deputy"] or ""] for p in data["people"]])
    click.echo()
    click.echo(_("deputies: {names}").format(names="、".join(data["deputies"])))
