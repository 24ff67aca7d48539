"""The scheduler's daily checkpoint: a cron job at 00:30 (`[audit] checkpoint`) that adds the
day's checkpoint of the trace to a file as one JSON line and journals it, and writes nothing
when the trace does not verify. The job is called as APScheduler would call it: no sleeping."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from banli.config import load_config
from banli.scheduler import build, checkpoint_job
from banli.store.audit import verify
from banli.store.checkpoints import read
from banli.store.schema import journal_t
from tests.integration.tamper import tamper

STEPS = [("reg", "sort", {"category": "城市建设"}), ("reg", "review", {}), ("reg", "audit", {})]


def _config(tmp_path, text: str = ""):
    (tmp_path / "banli.toml").write_text(text, encoding="utf-8")
    return load_config(tmp_path / "banli.toml")


def _register(runtime, ref: str) -> None:
    runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于道路维修的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设"})
    for user, event, data in STEPS:
        runtime.fire(ref, event, user, data)


def test_the_checkpoint_job_runs_at_half_past_midnight_local_time(runtime, tmp_path):
    scheduler = build(runtime, _config(tmp_path), sweep_every=timedelta(minutes=5), deliver_every=timedelta(minutes=1))
    job = scheduler.get_job("checkpoint")
    assert job.args[1] == tmp_path / "banli-checkpoints.jsonl"
    noon = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)  # 20:00 in Beijing
    assert job.trigger.get_next_fire_time(None, noon) == datetime(2026, 6, 1, 16, 30, tzinfo=timezone.utc)
    quiet = build(runtime, _config(tmp_path, '[audit]\ncheckpoint = ""\n'), sweep_every=timedelta(minutes=5),
                  deliver_every=timedelta(minutes=1))
    assert quiet.get_job("checkpoint") is None


def test_each_day_adds_a_line_that_later_logs_are_proved_against(runtime, store, clock, tmp_path):
    config = _config(tmp_path, '[audit]\ncheckpoint_file = "published/checkpoints.jsonl"\n')
    path = config.checkpoint_file()
    _register(runtime, "16-1-001")
    first = checkpoint_job(runtime, path)
    clock.advance(days=1)
    _register(runtime, "16-1-002")
    second = checkpoint_job(runtime, path)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines == [first, second]
    assert [(line["size"], line["at"]) for line in lines] == [(4, "2026-06-01T12:00:00+00:00"),
                                                             (8, "2026-06-02T12:00:00+00:00")]
    with store.engine.connect() as connection:
        journaled = [json.loads(row.data) for row in connection.execute(
            select(journal_t).where(journal_t.c.action == "audit.checkpoint").order_by(journal_t.c.seq))]
    assert journaled == [{key: line[key] for key in ("size", "root", "at")} for line in lines]
    _register(runtime, "16-1-003")
    result = verify(store, against=read(path))
    assert result["ok"] and [check["ok"] for check in result["against"]] == [True, True]


def test_no_line_for_a_trace_that_does_not_verify(runtime, store, db_url, tmp_path, caplog):
    path = tmp_path / "checkpoints.jsonl"
    _register(runtime, "16-1-001")
    tamper(db_url, "UPDATE trace SET actor = 'wang' WHERE ref = '16-1-001' AND seq = 2")
    with caplog.at_level(logging.ERROR, logger="banli.scheduler"):
        assert checkpoint_job(runtime, path) is None
    assert not path.exists()
    assert "no checkpoint: the trace does not verify" in caplog.text
