"""`banli org load|show`: the units, people and deputies (SPEC §8)."""

from __future__ import annotations

import click

from banli.cli.render import emit_json, json_option, table
from banli.cli.setup import operator


@click.group()
def org() -> None:
    """The organisation: units (承办单位), people with roles, deputies (代表)."""


@org.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@click.pass_obj
def load(settings, file: str, as_json: bool) -> None:
    """Load FILE (YAML: units, people, deputies). Loading again updates; nothing is deleted."""
    from banli.engine.org import read_org
    from banli.engine.times import utc_now, utc_text
    from banli.store.operator import apply_org

    counts = apply_org(settings.store, read_org(file), operator(), utc_text(utc_now()))
    if as_json:
        emit_json(counts)
    else:
        click.echo(f"loaded {counts['units']} units, {counts['people']} people, {counts['deputies']} new deputies")


@org.command("show")
@json_option
@click.pass_obj
def show(settings, as_json: bool) -> None:
    """Show units, people and deputies."""
    from banli.store.operator import show_org

    data = show_org(settings.store)
    if as_json:
        emit_json(data)
        return
    table(["unit", "name", "government"], [[u["id"], u["name"], "yes" if u["government"] else "no"] for u in data["units"]])
    click.echo()
    table(["person", "name", "roles", "unit", "deputy"],
          [[p["id"], p["name"], ",".join(p["roles"]), p["unit_id"], p["deputy"]] for p in data["people"]])
    click.echo()
    click.echo("deputies: " + "、".join(data["deputies"]))
