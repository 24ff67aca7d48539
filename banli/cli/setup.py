"""`banli init`: create or upgrade the schema, register built-in workflows, load the org file."""

from __future__ import annotations

import click

from banli.cli import os_user
from banli.cli.render import emit_json, json_option
from banli.i18n import _


def operator() -> str:
    """Operator commands are traced under the operating-system user."""
    return "os:" + os_user()


def initialise(settings, org_file: str | None) -> dict:
    from banli.engine.definitions import builtin_files, register_file
    from banli.engine.times import utc_now, utc_text
    from banli.store.schema import current_revision, upgrade

    org = None
    if org_file:  # read first: a bad file leaves no database behind
        from banli.engine.org import read_org

        org = read_org(org_file)
    store = settings.create_store()
    upgrade(store.engine)
    registered = [register_file(store, path, operator()) for path in builtin_files()]
    result = {"database": settings.db, "schema": current_revision(store.engine), "workflows": registered}
    if org is not None:
        from banli.store.operator import apply_org

        result["org"] = apply_org(store, org, operator(), utc_text(utc_now()))
    return result


@click.command()
@click.option("--org", "org_file", type=click.Path(dir_okay=False), help="Organisation file to load (format: docs/org.md).")
@json_option
@click.pass_obj
def init(settings, org_file: str | None, as_json: bool) -> None:
    """Create or upgrade the database schema, register the built-in workflows and load
    the organisation file. Safe to run again: it only adds what is missing.

    \b
    Examples:
      banli init --org org.yaml
      banli --db sqlite:///county.db init --org org.yaml --json
    """
    result = initialise(settings, org_file)
    if as_json:
        emit_json(result)
        return
    click.echo(_("database {database} at schema {schema}").format(database=settings.db, schema=result["schema"]))
    for entry in result["workflows"]:
        done = _("workflow {workflow} v{version} ({title}): registered") if entry["created"] \
            else _("workflow {workflow} v{version} ({title}): unchanged")
        click.echo("  " + done.format(workflow=entry["id"], version=entry["version"], title=entry["title"]))
    if "org" in result:
        org = result["org"]
        click.echo("  " + _("organisation: {units} units, {people} people, {deputies} new deputies")
                   .format(units=org["units"], people=org["people"], deputies=org["deputies"]))
