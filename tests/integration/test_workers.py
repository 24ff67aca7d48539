"""Several `banli remind` workers on one PostgreSQL database share the due items row by row
(FOR UPDATE SKIP LOCKED): every item reminded exactly once, even when a worker is killed
half-way and the others (and a later sweep) carry on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from banli.engine.runtime import Runtime
from banli.store.audit import verify
from tests.conftest import _pg_database, prepared_store

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 2000
STEPS = [("reg", "sort", {"category": "城市建设"}), ("reg", "review", {}), ("reg", "audit", {}), ("npc", "approve", {}),
         ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}),
         ("li", "sign_for", {"leader": "王局长", "handler": "李科长"})]


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database: several workers share one only there (SQLite allows one scheduler)."""
    url, drop = _pg_database()
    yield url
    drop()


@pytest.fixture
def pg_store(pg_url):
    store = prepared_store(pg_url)
    yield store
    store.close()


def overdue_items(store, count: int) -> None:
    """`count` items assigned in January 2026: by now past their deadline and its escalation."""
    runtime = Runtime(store)
    with store.write() as tx:
        for n in range(count):
            ref = f"W-{n:05d}"
            runtime.create_in(tx, workflow=store.workflows.get("npc-suggestion"), ref=ref, title="关于小区加装电梯的建议",
                              actor=runtime.actor("reg"), deputies=["张三"], fields={"category": "城市建设"},
                              at="2026-01-05T09:00")
            for step, (user, event, data) in enumerate(STEPS):
                runtime.fire_in(tx, ref, event, user, data, f"2026-01-{6 + step:02d}T09:00")


def remind(db_url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "banli", "--db", db_url, "remind", "--json"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def counts(store) -> dict:
    with store.engine.connect() as connection:
        return dict(connection.execute(text(
            "SELECT event, count(*) FROM trace WHERE event IN ('urge', 'supervise') GROUP BY event")).all())


def kill_mid_run(store, worker: subprocess.Popen) -> int:
    """Kill `worker` as soon as the workers have marked some reminders done, but not all;
    returns how many were marked then."""
    deadline = time.monotonic() + 120
    with store.engine.connect() as connection:
        while time.monotonic() < deadline and worker.poll() is None:
            done = connection.execute(text("SELECT count(*) FROM reminder")).scalar()
            connection.rollback()  # a new snapshot for the next look
            if done:
                worker.send_signal(signal.SIGKILL)
                return done
            time.sleep(0.005)
    return 0


@pytest.mark.skipif(not os.environ.get("BANLI_TEST_PG"), reason="needs PostgreSQL: set BANLI_TEST_PG (CI does)")
def test_four_workers_remind_each_item_exactly_once_even_when_one_is_killed(pg_store, pg_url):
    store, db_url = pg_store, pg_url
    overdue_items(store, ITEMS)
    workers = [remind(db_url) for _ in range(4)]
    done_when_killed = kill_mid_run(store, workers[0])
    results = [worker.communicate(timeout=600) for worker in workers]
    assert 0 < done_when_killed < 3 * ITEMS, "the worker was to be killed while the sweep was under way"
    assert workers[0].returncode == -signal.SIGKILL
    assert all(worker.returncode == 0 for worker in workers[1:]), [err for _out, err in results[1:]]
    finishing = remind(db_url)  # whatever the killed worker held is due again and is done now, once
    out, err = finishing.communicate(timeout=600)
    assert finishing.returncode == 0, err

    assert counts(store) == {"urge": ITEMS, "supervise": ITEMS}
    with store.engine.connect() as connection:
        per_item = connection.execute(text(
            "SELECT count(*) FROM reminder GROUP BY item_id, entered_seq, rule HAVING count(*) > 1")).all()
        reminders = connection.execute(text("SELECT count(*) FROM reminder")).scalar()
        duplicates = connection.execute(text(
            "SELECT count(*) FROM notification GROUP BY key HAVING count(*) > 1")).all()
        left = connection.execute(text(
            "SELECT count(*) FROM item WHERE next_due_at IS NOT NULL AND next_due_at <= :now"),
            {"now": "2026-11-01T00:00:00.000000"}).scalar()
    assert per_item == [] and duplicates == [] and reminders == 3 * ITEMS and left == 0
    assert verify(store)["ok"]
