"""The look-back campaign (回头看): each closed item selected once — opening twice or after a
crash half-way — with a task whose reminders the sweep sends and whose outcome the unit
records; `campaign status` shows progress per unit and per outcome."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from banli.demo.year import play_year, prepare
from banli.engine.campaigns import open_campaign, summarise
from banli.engine.definitions import builtin_files, register_file
from banli.engine.runtime import Runtime
from banli.engine.sweep import sweep
from banli.store.audit import log, verify
from banli.store.repo import SqlStore
from banli.store.schema import upgrade

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENS = datetime(2022, 9, 19, 9, tzinfo=SHANGHAI)


@pytest.fixture
def year(db_url):
    store = SqlStore(db_url)
    upgrade(store.engine)
    for path in builtin_files():
        register_file(store, path, "test")
    prepare(store)
    runtime = Runtime(store, now=lambda: datetime(2023, 5, 10, 10, tzinfo=SHANGHAI))
    play_year(store, runtime, seed=11, suggestions=20, lookback=False)
    yield store, runtime
    store.close()


def closed(store) -> list[str]:
    """Items closed by the time the look-back opens."""
    from banli.store.queries import list_items, show_item

    return [item["ref"] for item in list_items(store, as_of=OPENS, state="closed")
            if datetime.fromisoformat(next(row for row in reversed(show_item(store, item["ref"], as_of=OPENS)["trace"])
                                           if row["to"] == "closed" and row["from"] != "closed")["occurred_at"]) <= OPENS]


def test_opening_twice_or_after_a_crash_selects_each_item_once(year):
    store, runtime = year
    expected = closed(store)
    first = open_campaign(runtime, "lookback", session="16-1", at=OPENS, stop_after=5)  # "crashes" after five
    assert first["selected"] == 5
    second = open_campaign(runtime, "lookback", session="16-1", at=OPENS)
    assert second["selected"] == len(expected) - 5 and second["already"] == 5
    third = open_campaign(runtime, "lookback", session="16-1", at=OPENS)
    assert (third["selected"], third["already"]) == (0, len(expected))
    assert sorted(first["items"] + second["items"]) == expected
    for ref in expected:
        assert [row["event"] for row in log(store, ref)].count("lookback_open") == 1, ref
    [summary] = summarise(store, "lookback")
    assert (summary["selected"], summary["done"], summary["open"]) == (len(expected), 0, len(expected))
    assert verify(store)["ok"]


def test_outcomes_and_task_reminders(year):
    store, runtime = year
    refs = closed(store)
    open_campaign(runtime, "lookback", session="16-1", at=OPENS)
    # due a month later (19 October); the lead units are reminded a week before
    early = sweep(runtime, datetime(2022, 10, 13, 9, tzinfo=SHANGHAI))
    assert early.items == len(refs) and {a["rule"].split(":")[0] for a in early.actions} == {"campaign"}
    assert sweep(runtime, datetime(2022, 10, 13, 9, tzinfo=SHANGHAI)).items == 0

    from banli.store.queries import show_item

    outcomes = ["已落实", "按期推进", "已再次沟通"]
    recorded = {}
    for index, ref in enumerate(refs[:-2]):  # the last two stay open
        shown = show_item(store, ref, as_of=OPENS)
        unit, last = shown["fields"]["lead_unit"], datetime.fromisoformat(shown["trace"][-1]["occurred_at"])
        runtime.fire(ref, "lookback_result", "sup-1", {"lookback_outcome": outcomes[index % 3]},
                     at=max(datetime(2022, 10, 15, 9, tzinfo=SHANGHAI), last + timedelta(minutes=1)))
        recorded[ref] = (unit, outcomes[index % 3])
    [summary] = summarise(store, "lookback", as_of=datetime(2022, 10, 25, tzinfo=SHANGHAI))
    assert summary["by_outcome"] == dict(Counter(outcome for _unit, outcome in recorded.values()))
    assert summary["done"] == len(refs) - 2 and summary["open_items"] == refs[-2:]
    assert sum(c.get("overdue", 0) for c in summary["by_unit"].values()) == 2
    for unit, counts in summary["by_unit"].items():
        assert counts.get("done", 0) == sum(1 for u, _o in recorded.values() if u == unit)

    # overdue: only the two open tasks are reminded; finished ones are not
    late = sweep(runtime, datetime(2022, 10, 21, 9, tzinfo=SHANGHAI))
    assert sorted({a["ref"] for a in late.actions}) == refs[-2:]
    assert verify(store)["ok"]


def test_an_unknown_campaign_is_not_found(year):
    from banli.errors import NotFound

    with pytest.raises(NotFound, match="no workflow defines a campaign 'census'"):
        open_campaign(year[1], "census", session=None, at=OPENS)


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
