"""`banli demo`: a county's handling year on a fresh embedded database, then its summary."""

from __future__ import annotations

from pathlib import Path

import click

from banli.cli.render import emit_json, json_option, table
from banli.i18n import N_, _

DEFAULT_DEMO_DB = "sqlite:///banli-demo.db"
# the summary's tables: title, key of the summary
_SUMMARY_TABLES = ((N_("by category"), "by_category"), (N_("by state"), "by_state"),
                   (N_("by result class"), "by_result_class"), (N_("by rating"), "by_rating"),
                   (N_("look-back outcomes"), "lookback"),
                   (N_("reminders (rearmed: told again after an extension)"), "reminders"))
# the rows of the reminders' table, named for people (the keys stay in --json)
_REMINDER_ROWS = {"sent": N_("sent"), "rearmed": N_("rearmed")}


def _fresh_sqlite(url: str) -> None:
    """Remove the demo's own SQLite file (and its WAL) so the year starts from nothing."""
    path = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


@click.command()
@click.option("--db", "db", metavar="URL", help="Database for the demo (default sqlite:///banli-demo.db, recreated).")
@click.option("--seed", type=int, default=2022, show_default=True, help="Random seed: the same seed, the same year.")
@click.option("--suggestions", type=click.IntRange(1, 5000), default=151, show_default=True,
              help="How many suggestions the deputies make.")
@json_option
@click.pass_obj
def demo(settings, db: str | None, seed: int, suggestions: int, as_json: bool) -> None:
    """Play a county's year of deputies' suggestions (registration to rating and the
    look-back) on a fresh database through the npc-suggestion workflow, print what came of
    it and the annual report, and write the report (DOCX) and the ledger (XLSX) next to the
    database.

    \b
    Examples:
      banli demo
      banli demo --db sqlite:///try.db --seed 7 --suggestions 30 --json
    """
    from banli.cli.setup import initialise
    from banli.demo.year import play_year, prepare
    from banli.errors import InvalidInput
    from banli.store.repo import item_t

    url = db or DEFAULT_DEMO_DB
    if url == DEFAULT_DEMO_DB:
        _fresh_sqlite(url)
    settings.db = url
    initialise(settings, None)
    if settings.store.count(item_t):
        raise InvalidInput(_("{url} already holds items; the demo needs a fresh database (omit --db to use {default})")
                           .format(url=url, default=DEFAULT_DEMO_DB))
    prepare(settings.store)
    quiet = as_json or not click.get_text_stream("stderr").isatty()
    with click.progressbar(length=suggestions, label=_("handling year"), file=click.get_text_stream("stderr"),
                           hidden=quiet) as bar:
        summary = play_year(settings.store, settings.runtime(), seed=seed, suggestions=suggestions,
                            progress=lambda done, total: bar.update(done - bar.pos), earlier=True)
    from banli.store.audit import verify

    summary["audit"] = {key: value for key, value in verify(settings.store).items() if key != "failures"}
    summary["accounts"] = _accounts(settings.store)
    summary["database"] = url
    labels = settings.store.workflows.get("npc-suggestion")
    summary["by_state"] = {labels.label(state): count for state, count in summary["by_state"].items()}
    report = _documents(settings.store, url, summary)
    if as_json:
        emit_json(summary)
        return
    _print_summary(summary)
    from banli.reports.render.markdown import markdown

    click.echo("\n" + markdown(report.document))
    click.echo(_("report: {report}").format(report=summary["report"]))
    click.echo(_("ledger: {ledger}").format(ledger=summary["ledger"]))
    _print_accounts(summary, url)


def _documents(store, url: str, summary: dict):
    """The year's annual report (DOCX) and ledger (XLSX), written next to the database."""
    from datetime import datetime

    from banli.demo.timeline import ZONE
    from banli.reports.annual import write_annual
    from banli.reports.ledger import build_ledger
    from banli.sheets.writing import write_ledger

    folder = Path(url.removeprefix("sqlite:///")).resolve().parent if url.startswith("sqlite:///") else Path.cwd()
    as_of = datetime(2023, 5, 10, 9, 0, tzinfo=ZONE)  # the report is given to the congress on 10 May 2023
    summary["report"] = str(folder / "办理情况报告.docx")
    summary["ledger"] = str(folder / "台账.xlsx")
    report = write_annual(store, summary["session"], summary["report"], as_of)
    write_ledger(build_ledger(store, as_of=as_of, session=summary["session"]), summary["ledger"])
    return report


def _accounts(store) -> list[dict]:
    """One demo account per role with its password, for `banli serve` (banli/demo/accounts.py)."""
    from banli.demo.accounts import demo_accounts
    from banli.demo.cast import Cast
    from banli.demo.year import COUNTY
    from banli.engine.org import read_org
    from banli.engine.times import utc_now

    return demo_accounts(store, Cast.from_org(read_org(COUNTY)), now=utc_now())


def _print_accounts(summary: dict, url: str) -> None:
    database = url.removeprefix("sqlite:///")
    click.echo("\n" + _("in the browser: {command}, then open {address}").format(
        command=f"banli serve --db {database}", address="http://127.0.0.1:8000/"))
    table([_("role"), _("user"), _("name"), _("password")],
          [[account["label"], account["user"], account["name"], account["password"]] for account in summary["accounts"]])
    click.echo(_("(demo passwords: this database is for trying banli, never for real work)"))


def _print_summary(summary: dict) -> None:
    click.echo("\n" + _("Demo handling year — {items} suggestions, {events} events (database {database})").format(
        items=summary.get("items", 0), events=summary.get("events", 0), database=summary["database"]) + "\n")
    for title, key in _SUMMARY_TABLES:
        counts = summary.get(key) or {}
        if counts:
            click.echo(_(title))
            table(["", _("items")], [[_(_REMINDER_ROWS[name]) if key == "reminders" and name in _REMINDER_ROWS else name,
                                      count] for name, count in counts.items()])
            click.echo()
    audit = summary["audit"]
    if audit["ok"]:
        verdict = _("audit verify: ok ({rows} trace rows, {items} items)")
    else:
        verdict = _("audit verify: FAILED ({rows} trace rows, {items} items)")
    click.echo(verdict.format(rows=audit["rows"], items=audit["items"]))

