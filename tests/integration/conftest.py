"""Integration fixtures: the demo year, played once per backend for the tests that only read it
(a year on PostgreSQL takes tens of seconds)."""

from __future__ import annotations

import pytest

from tests.conftest import _backends, _pg_database
from tests.integration.demo_year import demo_year


@pytest.fixture(scope="session", params=_backends())
def played_year(request, tmp_path_factory):
    """(store, summary) of the 40-suggestion demo year (seed 2022, with its look-back) on each
    backend, played once for every test that reads it; those tests must not write to it."""
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path_factory.mktemp('demo-year') / 'banli.db'}", None
    else:
        url, drop = _pg_database()
    with demo_year(url) as played:
        yield played
    if drop:
        drop()
