"""Campaigns and bulletins on the scheduler: a scheduled campaign gets a cron job that opens
it, and the monthly bulletin is written. The campaign rules themselves are tested on every
backend in tests/unit/test_campaigns.py."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from banli.store.audit import log


SCHEDULED = """
id: followup
title: 回访
fields: {session: {type: text}}
states:
  open: {initial: true}
  closed: {final: true}
events:
  close: {from: open, to: closed, roles: [supervisor]}
  review: {from: closed, internal: true, roles: [system]}
campaigns:
  autumn:
    label: 秋季回访
    select: [{state: closed}]
    fire: review
    schedule: "0 9 19 9 *"
"""


def test_a_scheduled_campaign_gets_a_cron_job_that_opens_it(store, runtime, clock):
    from apscheduler.triggers.cron import CronTrigger

    from banli.config import Config
    from banli.engine.definitions import register_text
    from banli.scheduler import build, campaign_job

    register_text(store, SCHEDULED, "followup.yaml", "test")
    runtime.create(workflow_id="followup", ref="F-1", title="回访一", actor="wang", fields={"session": "16-1"})
    runtime.fire("F-1", "close", "wang")
    scheduler = build(runtime, Config(), sweep_every=timedelta(minutes=5), deliver_every=timedelta(minutes=1))
    job = scheduler.get_job("campaign:followup:autumn")
    assert isinstance(job.trigger, CronTrigger) and str(job.trigger.timezone) == "Asia/Shanghai"
    assert {field.name: str(field) for field in job.trigger.fields}["month"] == "9"
    assert campaign_job(runtime, "autumn")["selected"] == 1  # what the job does when it fires
    assert campaign_job(runtime, "autumn")["selected"] == 0
    assert [row["event"] for row in log(store, "F-1")] == ["created", "close", "review"]


def test_the_scheduler_writes_the_monthly_bulletin(store, runtime, clock, tmp_path):
    from banli.config import Config
    from banli.scheduler import build, bulletin_job

    scheduler = build(runtime, Config(), sweep_every=timedelta(minutes=5), deliver_every=timedelta(minutes=1))
    job = scheduler.get_job("bulletin")
    assert {field.name: str(field) for field in job.trigger.fields}["day"] == "1"
    written = bulletin_job(runtime, tmp_path)  # what the job does on the 1st: last month's bulletin
    assert written["period"] == "2026-05" and all(path.exists() for path in map(Path, written["files"]))
