"""`banli scheduler run`: the long-running process behind reminders and delivery."""

from __future__ import annotations

import logging

import click


@click.group()
def scheduler() -> None:
    """Run banli's timed work: the reminder sweep and notification delivery (how to keep it
    running: docs/operating.md).

    \b
    Example:
      banli scheduler run
    """


@scheduler.command("run")
@click.option("--sweep-every", metavar="INTERVAL", help="e.g. '5 minutes' (default from banli.toml [scheduler]).")
@click.option("--deliver-every", metavar="INTERVAL", help="e.g. '1 minutes' (default from banli.toml [scheduler]).")
@click.pass_obj
def run(settings, sweep_every: str | None, deliver_every: str | None) -> None:
    """Sweep for due reminders and deliver notifications on their intervals until stopped
    (Ctrl-C or SIGTERM: running jobs finish first). One per SQLite database.

    \b
    Examples:
      banli scheduler run
      banli scheduler run --sweep-every '5 minutes' --deliver-every '1 minutes'
    """
    from pathlib import Path

    from banli import scheduler as wiring
    from banli.config import load_config, parse_interval
    from banli.errors import InvalidInput
    from banli.store.db import is_sqlite

    config = load_config()
    try:
        sweep = parse_interval(sweep_every) if sweep_every else config.scheduler.sweep_every
        deliver = parse_interval(deliver_every) if deliver_every else config.scheduler.deliver_every
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    logging.getLogger("banli").setLevel(logging.INFO)
    store = settings.store
    database = Path(store.engine.url.database).resolve() if is_sqlite(store.engine) else None
    wiring.run(settings.runtime(), config, database=database, sweep_every=sweep, deliver_every=deliver)
