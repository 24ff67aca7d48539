"""Two real processes writing to one item: every event recorded once, no gaps, the chain
verifies; when both race for the same state change exactly one wins and the other is told
the event is no longer possible (exit 5)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from banli.store.audit import log, verify

ROOT = Path(__file__).resolve().parents[2]


def start_writers(db_url: str, tmp_path: Path, event: str, refs: list[str], count: int, writers: int = 2):
    go = tmp_path / "go"
    processes = [
        subprocess.Popen([sys.executable, "-m", "tests.integration.writer", db_url, str(go), f"w{n}", event,
                          ",".join(refs), str(count)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(writers)
    ]
    go.touch()
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
        outputs.append(out.split("\n"))
    return [[line.split() for line in lines if line] for lines in outputs]


def to_handling(runtime, ref: str) -> None:
    runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于学校周边交通的建议", actor="reg",
                   deputies=["张三"], fields={"category": "科教文卫"})
    for user, event, data in [("reg", "sort", {"category": "科教文卫"}), ("reg", "review", {}), ("reg", "audit", {}),
                              ("npc", "approve", {}), ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}),
                              ("li", "sign_for", {"leader": "王局长", "handler": "李科长"})]:
        runtime.fire(ref, event, user, data)


def test_two_processes_on_one_item_lose_nothing(store, db_url, tmp_path):
    from banli.engine.runtime import Runtime

    runtime = Runtime(store)
    to_handling(runtime, "16-1-050")
    per_writer = 40
    results = start_writers(db_url, tmp_path, "contact", ["16-1-050"], per_writer)
    assert all(line[0] == "ok" for lines in results for line in lines), [l for ls in results for l in ls if l[0] != "ok"]
    rows = log(store, "16-1-050")
    assert [row["seq"] for row in rows] == list(range(1, 7 + 2 * per_writer + 1))  # no gap, no duplicate
    notes = sorted(row["data"]["note"] for row in rows if row["event"] == "contact")
    assert notes == sorted(f"w{n}-{i}" for n in range(2) for i in range(per_writer))
    reported = sorted(int(line[2]) for lines in results for line in lines)
    assert reported == list(range(8, 7 + 2 * per_writer + 1))  # each writer was told its own seq
    with store.engine.connect() as connection:
        version = connection.execute(text("SELECT version FROM item WHERE ref = '16-1-050'")).scalar()
    assert version == 7 + 2 * per_writer
    assert verify(store)["ok"]


def test_race_for_one_state_change_has_one_winner(store, db_url, tmp_path):
    from banli.engine.runtime import Runtime

    runtime = Runtime(store)
    refs = [f"16-1-{n:03d}" for n in range(100, 115)]
    for ref in refs:
        runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于农田水利的建议", actor="reg",
                       deputies=["李四"], fields={"category": "农业农村"})
    results = start_writers(db_url, tmp_path, "sort", refs, 1)
    for ref in refs:
        outcomes = sorted(line[0] + ":" + line[2] for lines in results for line in lines if line[1] == ref)
        assert outcomes == ["ok:2", "refused:5"], (ref, outcomes)
        assert [row["event"] for row in log(store, ref)] == ["created", "sort"]
    assert verify(store)["ok"]
