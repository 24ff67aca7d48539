"""The demo year on a fresh database of the test's backend, for the tests that read what it
leaves: the schema, the built-in workflows, the demo county, then `play_year`."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from banli.demo.year import play_year, prepare
from banli.engine.definitions import builtin_files, register_file
from banli.engine.runtime import Runtime
from banli.store.repo import SqlStore
from banli.store.schema import upgrade

REPORT_DAY = datetime(2023, 5, 10, 9, 0, tzinfo=timezone(timedelta(hours=8)))  # after the year, the report's day


@contextmanager
def demo_year(url: str, *, now=lambda: REPORT_DAY, suggestions: int = 40, **options):
    """(store, the year's summary) of a year of `suggestions` played on `url`; the store is
    closed on leaving."""
    store = SqlStore(url)
    try:
        upgrade(store.engine)
        for path in builtin_files():
            register_file(store, path, "test")
        prepare(store)
        yield store, play_year(store, Runtime(store, now=now), suggestions=suggestions, **options)
    finally:
        store.close()
