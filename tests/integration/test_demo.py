"""The demo year (banli/demo): a clean handling year that ends every item, counts what the
database holds, verifies, and plays the same for the same seed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from banli.demo.year import play_year, prepare
from banli.engine.definitions import builtin_files, register_file
from banli.engine.runtime import Runtime
from banli.errors import InvalidInput
from banli.store.audit import log, verify
from banli.store.repo import SqlStore, item_t
from banli.store.schema import upgrade

REPORT_DAY = datetime(2023, 5, 10, 9, 0, tzinfo=timezone(timedelta(hours=8)))
# where a suggestion's year ends: closed, not filed, withdrawn, or following a B-class promise
# whose date is still to come (or has passed: the report counts it late)
ENDED = {"closed", "not_filed", "withdrawn", "fulfilling"}
CO_TASK_ENDED = {"done", "released", "closed"}  # unit-task (会办), unit-part (分办: answered and rated)


@pytest.fixture
def demo_store():
    """Factory: a store on `url` with the schema, the built-in workflows and the demo county."""
    opened = []

    def make(url: str) -> SqlStore:
        store = SqlStore(url)
        opened.append(store)
        upgrade(store.engine)
        for path in builtin_files():
            register_file(store, path, "test")
        prepare(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def report_clock(clock):
    clock.now = REPORT_DAY
    return clock


def _items(store: SqlStore) -> list[dict]:
    query = select(item_t.c.ref, item_t.c.parent_id, item_t.c.state, item_t.c.fields, item_t.c.head_hash)
    with store.engine.connect() as connection:
        return [{"ref": ref, "child": parent is not None, "state": state, "fields": json.loads(fields), "head": head}
                for ref, parent, state, fields, head in connection.execute(query)]


def _counted(counts: dict) -> dict:
    return {name: n for name, n in counts.items() if n}


def test_a_year_ends_every_item_and_counts_what_the_database_holds(db_url, demo_store, report_clock):
    store = demo_store(db_url)
    calls = []
    summary = play_year(store, Runtime(store, now=report_clock), suggestions=40,
                        progress=lambda done, total: calls.append((done, total)))

    assert calls == [(n, 40) for n in range(1, 41)]
    items = _items(store)
    suggestions = [item for item in items if not item["child"]]
    tasks = [item for item in items if item["child"]]
    assert len(suggestions) == summary["items"] == 40
    assert {item["state"] for item in suggestions} <= ENDED
    assert {item["state"] for item in tasks} <= CO_TASK_ENDED
    assert summary["by_state"] == dict(Counter(item["state"] for item in suggestions))
    assert summary["co_tasks"] == len(tasks) > 0
    categories = Counter(item["fields"]["category"] for item in suggestions)
    assert _counted(summary["by_category"]) == dict(categories)
    classes = Counter(item["fields"]["result_class"] for item in suggestions if "result_class" in item["fields"])
    assert _counted(summary["by_result_class"]) == dict(classes)
    assert set(classes) == {"A", "B", "C"}
    assert classes["A"] > classes["B"] > classes["C"]
    ratings = Counter(item["fields"]["rating"] for item in suggestions if "rating" in item["fields"])
    assert _counted(summary["by_rating"]) == dict(ratings)
    assert sum(ratings.values()) == summary["by_state"]["closed"] + summary["by_state"].get("fulfilling", 0)

    rows = log(store)
    assert len(rows) == summary["trace_rows"]
    assert sum(1 for row in rows if row["actor"] != "system") == summary["events"]
    assert max(row["occurred_at"] for row in rows) == summary["last_event_at"] < "2023-05-10"
    assert {row["occurred_at"][:10] for row in rows if row["event"] == "assign"} == {"2022-05-27"}
    assigned = {row["ref"] for row in rows if row["event"] == "assign"}
    met = {row["ref"] for row in rows if row["event"] == "contact" and row["data"].get("method") == "face_to_face"}
    assert len(met & assigned) >= 0.8 * len(assigned)

    checked = verify(store)
    assert checked["ok"], checked["failures"][:3]
    assert checked["rows"] == len(rows)


def test_the_full_year_has_the_seed_reports_shape(tmp_path, demo_store, report_clock):
    store = demo_store(f"sqlite:///{tmp_path / 'year.db'}")
    summary = play_year(store, Runtime(store, now=report_clock))

    assert summary["items"] == 151
    assert summary["by_category"] == {"科教文卫": 40, "工交财贸": 34, "农业农村": 44, "城市建设": 15, "社会建设": 18}
    replied = sum(summary["by_result_class"].values())
    assert [round(100 * n / replied) for n in summary["by_result_class"].values()] == [58, 38, 4]
    ratings = summary["by_rating"]
    assert round(100 * (ratings["满意"] + ratings["基本满意"]) / sum(ratings.values()), 2) == 97.97
    assert round(100 * summary["government_led"] / replied) == 92


def test_the_same_seed_plays_the_same_year_and_another_seed_another(db_url, tmp_path, demo_store, report_clock):
    first = demo_store(db_url)
    again = demo_store(f"sqlite:///{tmp_path / 'again.db'}")
    other = demo_store(f"sqlite:///{tmp_path / 'other.db'}")

    summaries = [play_year(store, Runtime(store, now=report_clock), seed=seed, suggestions=40)
                 for store, seed in ((first, 7), (again, 7), (other, 8))]

    assert summaries[0] == summaries[1]
    assert summaries[0] != summaries[2]
    heads = [{item["ref"]: item["head"] for item in _items(store)} for store in (first, again)]
    assert heads[0] == heads[1]  # the same trace, hash for hash


def test_a_clock_before_the_year_is_over_is_refused_before_anything_is_written(db_url, demo_store, clock):
    store = demo_store(db_url)
    clock.now = datetime(2022, 12, 31, 12, 0, tzinfo=REPORT_DAY.tzinfo)

    with pytest.raises(InvalidInput, match="clock"):
        play_year(store, Runtime(store, now=clock), suggestions=5)

    assert _items(store) == []
