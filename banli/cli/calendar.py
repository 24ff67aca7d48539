"""`banli calendar add|show`: the official holiday schedule deadlines are counted on."""

from __future__ import annotations

import click

from banli.cli.render import emit_json, json_option
from banli.cli.setup import operator
from banli.i18n import _


@click.group()
def calendar() -> None:
    """Statutory holidays and adjusted workdays (the `cn` calendar of the definitions).

    \b
    Examples:
      banli calendar show 2026
      banli calendar add 2027.yaml
    """


@calendar.command("add")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@click.pass_obj
def add(settings, file: str, as_json: bool) -> None:
    """Add a year's official schedule from FILE (YAML: year, source, holidays, workdays).
    Deadlines that were counted Monday–Friday for want of it are counted again, and traced.

    \b
    Example (2027.yaml as published by the State Council, 国务院办公厅):
      banli calendar add 2027.yaml

    \b
    where 2027.yaml reads:
      year: 2027
      source: 国务院办公厅关于2027年部分节假日安排的通知
      holidays:
        - 2027-01-01
        - {from: 2027-02-06, to: 2027-02-12, name: 春节}
      workdays: [2027-02-14, 2027-02-20]
    """
    from banli.engine.deadlines import recount_fallback_deadlines
    from banli.engine.limits import text_problem
    from banli.engine.schedule_file import read_schedule
    from banli.engine.times import check_year, utc_now, utc_text
    from banli.errors import InvalidInput
    from banli.store.calendar import save_year

    parsed = read_schedule(file)
    check_year(parsed.year, _("{file}: the year {year}").format(file=file, year=parsed.year))
    problem = text_problem(parsed.source)
    if problem:
        raise InvalidInput(_("{file}: the source {problem}").format(file=file, problem=problem))
    replaced = save_year(settings.store, parsed.schedule(), source=parsed.source, by=operator(),
                         at=utc_text(utc_now()))
    moved = recount_fallback_deadlines(settings.runtime(), reason=f"calendar {parsed.year} added")
    result = {"year": parsed.year, "holidays": len(parsed.holiday_days()), "workdays": len(parsed.workdays),
              "replaced": replaced, "deadlines_recounted": len(moved), "items": moved}
    if as_json:
        emit_json(result)
        return
    added = _("{year}: {holidays} holidays, {workdays} adjusted workdays (replaced the earlier schedule)") if replaced \
        else _("{year}: {holidays} holidays, {workdays} adjusted workdays")
    click.echo(added.format(year=parsed.year, holidays=result["holidays"], workdays=result["workdays"]))
    recounted = _("{count} deadline(s) counted again: {refs}") if moved else _("{count} deadline(s) counted again")
    click.echo(recounted.format(count=len(moved), refs=", ".join(moved)))


@calendar.command("show")
@click.argument("year", type=int)
@json_option
@click.pass_obj
def show(settings, year: int, as_json: bool) -> None:
    """The holidays and adjusted workdays of YEAR, and where they come from.

    \b
    Examples:
      banli calendar show 2026
      banli calendar show 2026 --json
    """
    from banli.engine.calendar import official_days
    from banli.engine.times import check_year
    from banli.errors import NotFound
    from banli.store.calendar import load_years, year_source

    check_year(year, _("the year {year}").format(year=year))
    with settings.store.engine.connect() as connection:
        schedules = load_years(connection)
    days = official_days(year, schedules)
    if days is None:
        raise NotFound(_("no holiday schedule for {year}: deadlines count Monday to Friday; "
                         "add the official one with 'banli calendar add FILE'").format(year=year))
    source = year_source(settings.store, year) if year in schedules else "chinese-calendar"
    result = {"year": year, "source": source, "holidays": sorted(d.isoformat() for d in days.holidays),
              "workdays": sorted(d.isoformat() for d in days.workdays)}
    if as_json:
        emit_json(result)
        return
    click.echo(f"{year} ({source})")
    click.echo(_("holidays 放假: {days}").format(days=", ".join(d[5:] for d in result["holidays"])))
    click.echo(_("workdays 调休上班: {days}").format(days=", ".join(d[5:] for d in result["workdays"])))
