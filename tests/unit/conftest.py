"""The rule tests' store, on every backend: the in-memory twin, SQLite, and PostgreSQL when
BANLI_TEST_PG is set; each fresh per test, with the built-in workflows and an organisation
file (tests/data/org.yaml unless a test names another).

The rules are asked through the engine and its ports only. What the ports do not read back
(the trace, the outbox, assignments) is read by the helpers below, one reader per backend:
the twin's own, or the SQL store's (`banli.store.audit`, `delivery`, `queries`)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from banli.engine.chain import GENESIS, HASHED_FIELDS, row_hash
from banli.engine.times import from_utc_text, local_text, utc_text
from banli.store.memory import MemoryStore
from tests.conftest import DATA, _pg_database

ORG_LOADED_AT = "2026-01-01T00:00:00.000000"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _backends() -> list[str]:
    return ["memory", "sqlite"] + (["postgresql"] if os.environ.get("BANLI_TEST_PG") else [])


def _prepare(store, org: Path):
    from banli.engine.definitions import builtin_files, register_file
    from banli.engine.org import read_org

    for path in builtin_files():
        register_file(store, path, "test")
    load_org(store, read_org(org))
    return store


@pytest.fixture(params=_backends())
def make_store(request, tmp_path):
    """`make_store(org=tests/data/org.yaml)`: a fresh store of this test's backend."""
    made, drops = [], []

    def make(org: Path = DATA / "org.yaml"):
        if request.param == "memory":
            store = MemoryStore()
        else:
            from banli.store.repo import SqlStore
            from banli.store.schema import upgrade

            if request.param == "sqlite":
                url = f"sqlite:///{tmp_path / f'banli-{len(made)}.db'}"
            else:
                url, drop = _pg_database()
                drops.append(drop)
            store = SqlStore(url)
            upgrade(store.engine)
        made.append(store)
        return _prepare(store, org)

    yield make
    for store in made:
        store.close()
    for drop in drops:
        drop()


@pytest.fixture
def store(make_store):
    return make_store()


# -- what the operator does, and reading back what the ports do not: one way per backend --------

def load_org(store, org) -> dict:
    """Load a `read_org` result (`banli org load`); returns the counts."""
    if isinstance(store, MemoryStore):
        return store.load_org(org, "test", ORG_LOADED_AT)
    from banli.store.operator import apply_org

    return apply_org(store, org, "test", ORG_LOADED_AT)


def save_year(store, schedule, source: str) -> bool:
    """Add a year's official schedule (`banli calendar add`); whether it replaced one."""
    if isinstance(store, MemoryStore):
        return store.save_year(schedule, source=source, by="test", at=ORG_LOADED_AT)
    from banli.store.calendar import save_year as sql_save_year

    return sql_save_year(store, schedule, source=source, by="test", at=ORG_LOADED_AT)


def log(store, ref: str | None = None) -> list[dict]:
    """Trace rows as `audit log --json` shows them."""
    if isinstance(store, MemoryStore):
        return store.log(ref)
    from banli.store.audit import log as sql_log

    return sql_log(store, ref)


def events(store, ref: str) -> list[str]:
    return [row["event"] for row in log(store, ref)]


def verified(store) -> bool:
    """Whether every item's chain verifies (`audit verify`)."""
    if not isinstance(store, MemoryStore):
        from banli.store.audit import verify

        return verify(store)["ok"]
    heads: dict[int, tuple[int, str]] = {}
    for row in store.trace_rows():
        seq, prev = heads.get(row["item_id"], (0, GENESIS))
        if (row["seq"], row["prev_hash"]) != (seq + 1, prev) or \
                row["hash"] != row_hash(*(row[name] for name in HASHED_FIELDS)):
            return False
        heads[row["item_id"]] = (row["seq"], row["hash"])
    return all(heads.get(item.id, (0, "")) == (item.seq, item.head_hash) for item in store.items())


def counts(store) -> tuple[int, int]:
    """(items, trace rows)."""
    if isinstance(store, MemoryStore):
        return len(store.items()), len(store.trace_rows())
    from banli.store.schema import item_t, trace_t

    return store.count(item_t), store.count(trace_t)


def notifications(store) -> list[dict]:
    """The outbox in the order written: key, ref, recipient, subject of each message."""
    if isinstance(store, MemoryStore):
        rows = store.notifications
    else:
        from banli.store.delivery import deliveries

        rows = [row._mapping for row in reversed(deliveries(store))]  # before any delivery: one row each
    return [{name: row[name] for name in ("key", "ref", "recipient", "subject")} for row in rows]


def assignments(store, ref: str) -> list[tuple[str, str, str | None]]:
    """(unit, lead|co, child ref) of the item, lead first, as `item show` lists them."""
    if not isinstance(store, MemoryStore):
        from banli.store.queries import show_item

        return [(row["unit"], row["role"], row["child"])
                for row in show_item(store, ref, as_of=datetime(2026, 1, 1, tzinfo=SHANGHAI))["assignments"]]
    refs = {item.id: item.ref for item in store.items()}
    with store.read() as tx:
        rows = store.assignments(tx.item(ref).id)
    return sorted(((row["unit_id"], row["role"], refs.get(row["child_id"])) for row in rows),
                  key=lambda row: (row[1] != "lead", row[0]))


# -- reading through the ports ------------------------------------------------------------------

def item(store, ref: str):
    with store.read() as tx:
        return tx.item(ref)


def deadline(store, ref: str, as_of: datetime) -> tuple[str | None, bool]:
    """The item's deadline as local text and whether it is overdue as of `as_of`, as `item show`."""
    found = item(store, ref)
    workflow = store.workflows.by_id(found.definition_id)
    if found.deadline is None:
        return None, False
    overdue = found.deadline < utc_text(as_of) and found.state not in workflow.final_states
    return local_text(from_utc_text(found.deadline), workflow.zone), overdue


def done_rules(store, ref: str) -> set[str]:
    """The reminder rules acted on in the item's current state entry."""
    with store.read() as tx:
        found = tx.item(ref)
        return tx.done_rules(found.id, found.entered_seq)
