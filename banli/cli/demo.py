"""`banli demo`: a county's handling year on a fresh embedded database, then its summary."""

from __future__ import annotations

from pathlib import Path

import click

from banli.cli.render import emit_json, json_option, table

DEFAULT_DEMO_DB = "sqlite:///banli-demo.db"


def _fresh_sqlite(url: str) -> None:
    """Remove the demo's own SQLite file (and its WAL) so the year starts from nothing."""
    path = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


@click.command()
@click.option("--db", "db", metavar="URL", help=f"Database for the demo (default {DEFAULT_DEMO_DB}, recreated).")
@click.option("--seed", type=int, default=2022, show_default=True, help="Random seed: the same seed, the same year.")
@click.option("--suggestions", type=click.IntRange(1, 5000), default=151, show_default=True,
              help="How many suggestions the deputies make.")
@json_option
@click.pass_obj
def demo(settings, db: str | None, seed: int, suggestions: int, as_json: bool) -> None:
    """Play a county's year of deputies' suggestions (registration to rating) on a fresh
    database through the npc-suggestion workflow, and print what came of it."""
    from banli.cli.setup import initialise
    from banli.demo.year import play_year, prepare
    from banli.errors import InvalidInput
    from banli.store.repo import SqlStore, item_t

    url = db or DEFAULT_DEMO_DB
    if url == DEFAULT_DEMO_DB:
        _fresh_sqlite(url)
    settings.db = url
    settings._store = SqlStore(url)
    initialise(settings, None)
    if settings.store.count(item_t):
        raise InvalidInput(f"{url} already holds items; the demo needs a fresh database (omit --db to use {DEFAULT_DEMO_DB})")
    prepare(settings.store)
    quiet = as_json or not click.get_text_stream("stderr").isatty()
    with click.progressbar(length=suggestions, label="handling year", file=click.get_text_stream("stderr"),
                           hidden=quiet) as bar:
        summary = play_year(settings.store, settings.runtime(), seed=seed, suggestions=suggestions,
                            progress=lambda done, total: bar.update(done - bar.pos))
    from banli.store.audit import verify

    summary["audit"] = {key: value for key, value in verify(settings.store).items() if key != "failures"}
    summary["database"] = url
    labels = settings.store.workflow("npc-suggestion")
    summary["by_state"] = {labels.label(state): count for state, count in summary["by_state"].items()}
    if as_json:
        emit_json(summary)
        return
    _print_summary(summary)


def _print_summary(summary: dict) -> None:
    click.echo(f"\n办理年度演示 — {summary.get('items', 0)} 件建议, {summary.get('events', 0)} 个事件 "
               f"(database {summary['database']})\n")
    for title, key in (("按类别 by category", "by_category"), ("按状态 by state", "by_state"),
                       ("按办理结果 by result class", "by_result_class"), ("按代表评价 by rating", "by_rating"),
                       ("回头看 look-back outcomes", "lookback")):
        counts = summary.get(key) or {}
        if counts:
            click.echo(title)
            table(["", "件"], [[name, count] for name, count in counts.items()])
            click.echo()
    audit = summary["audit"]
    click.echo(f"audit verify: {'ok' if audit['ok'] else 'FAILED'} ({audit['rows']} trace rows, {audit['items']} items)")
