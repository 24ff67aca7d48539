"""`banli scheduler run` as a real process: it sweeps on its interval, stops cleanly on
SIGTERM, and a second one on the same SQLite file refuses to start."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from banli.engine.runtime import Runtime
from banli.store.audit import log
from banli.store.repo import SqlStore

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def banli(db_url: str, *args: str, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "banli", "--db", db_url, *args], cwd=options.get("cwd", ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def overdue_item(db_url: str) -> None:
    init = banli(db_url, "init", "--org", str(DATA / "org.yaml"))
    assert init.wait(timeout=60) == 0, init.stderr.read()
    store = SqlStore(db_url)
    runtime = Runtime(store)
    runtime.create(workflow_id="npc-suggestion", ref="16-1-400", title="关于农村饮水安全的建议", actor="reg",
                   deputies=["王五"], fields={"category": "农业农村"}, at="2026-01-05T09:00")
    for user, event, data, at in [("reg", "sort", {"category": "农业农村"}, "2026-01-06T09:00"),
                                  ("reg", "review", {}, "2026-01-07T09:00"), ("reg", "audit", {}, "2026-01-08T09:00"),
                                  ("npc", "approve", {}, "2026-01-09T09:00"),
                                  ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}, "2026-03-02T09:00"),
                                  ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-03-02T15:00")]:
        runtime.fire("16-1-400", event, user, data, at=at)
    store.close()


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_scheduler_sweeps_and_stops_cleanly(db_url, tmp_path):
    overdue_item(db_url)
    store = SqlStore(db_url)
    scheduler = banli(db_url, "scheduler", "run", "--sweep-every", "1 seconds", "--deliver-every", "1 seconds",
                      cwd=tmp_path)
    try:
        assert wait_for(lambda: [r["event"] for r in log(store, "16-1-400")][-2:] == ["urge", "supervise"]), \
            "the scheduler's sweep did not fire the overdue reminders"
        notified = tmp_path / "banli-notifications.log"
        assert wait_for(lambda: notified.exists() and "16-1-400" in notified.read_text(encoding="utf-8")), \
            "the scheduler's delivery did not write the reminders to the log channel"
        if db_url.startswith("sqlite"):
            second = banli(db_url, "scheduler", "run", cwd=tmp_path)
            assert second.wait(timeout=60) == 5
            assert "already running" in second.stderr.read()
    finally:
        scheduler.send_signal(signal.SIGTERM)
        out, err = scheduler.communicate(timeout=60)
    assert scheduler.returncode == 0, err
    assert "scheduler stopped" in err
    events = [r["event"] for r in log(store, "16-1-400")]
    assert events.count("urge") == 1 and events.count("supervise") == 1
