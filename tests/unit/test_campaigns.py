"""The look-back campaign (回头看), on every backend: each closed item selected once — opening
twice or after a crash half-way — with a task whose reminders the sweep sends and whose
outcome the unit records; the summary shows progress per unit and per outcome."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from banli.demo.year import COUNTY, play_year
from banli.engine.campaigns import open_campaign, summarise
from banli.engine.runtime import Runtime
from banli.engine.sweep import sweep
from banli.errors import NotFound
from tests.unit.conftest import events, item, log, verified

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENS = datetime(2022, 9, 19, 9, tzinfo=SHANGHAI)


@pytest.fixture
def year(make_store):
    store = make_store(org=COUNTY)
    runtime = Runtime(store, now=lambda: datetime(2023, 5, 10, 10, tzinfo=SHANGHAI))
    play_year(store, runtime, seed=11, suggestions=20, lookback=False)
    return store, runtime


def closed(store) -> list[str]:
    """Items closed, or following a B-class promise, by the time the look-back opens."""
    return [ref for ref, _definition, state in store.items_of_workflow("npc-suggestion")
            if state in ("closed", "fulfilling")
            and datetime.fromisoformat(next(row for row in reversed(log(store, ref))
                                            if row["to"] == state and row["from"] != state)["occurred_at"]) <= OPENS]


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
        assert events(store, ref).count("lookback_open") == 1, ref
    [summary] = summarise(store, "lookback")
    assert (summary["selected"], summary["done"], summary["open"]) == (len(expected), 0, len(expected))
    assert verified(store)


def test_outcomes_and_task_reminders(year):
    store, runtime = year
    refs = closed(store)
    open_campaign(runtime, "lookback", session="16-1", at=OPENS)
    # due a month later (19 October); the lead units are reminded a week before
    early = sweep(runtime, datetime(2022, 10, 13, 9, tzinfo=SHANGHAI))
    assert early.items == len(refs) and {a["rule"].split(":")[0] for a in early.actions} == {"campaign"}
    assert sweep(runtime, datetime(2022, 10, 13, 9, tzinfo=SHANGHAI)).items == 0

    recorded, latest = {}, OPENS
    for ref in refs[:-2]:  # the last two stay open
        unit, last = item(store, ref).fields["lead_unit"], datetime.fromisoformat(log(store, ref)[-1]["occurred_at"])
        at = max(datetime(2022, 10, 15, 9, tzinfo=SHANGHAI), last + timedelta(minutes=1))
        outcome = _staying(store, ref)
        runtime.fire(ref, "lookback_result", "sup-1", {"lookback_outcome": outcome}, at=at)
        recorded[ref], latest = (unit, outcome), max(latest, at)
    # as of when the last outcome was recorded, past the tasks' due day: every one of them
    # counts, the two open tasks are late
    as_of = max(latest, datetime(2022, 10, 20, 9, tzinfo=SHANGHAI)) + timedelta(minutes=1)
    [summary] = summarise(store, "lookback", as_of=as_of)
    assert summary["by_outcome"] == dict(Counter(outcome for _unit, outcome in recorded.values()))
    assert summary["done"] == len(refs) - 2 and summary["open_items"] == refs[-2:]
    assert sum(c.get("overdue", 0) for c in summary["by_unit"].values()) == 2
    for unit, counts in summary["by_unit"].items():
        assert counts.get("done", 0) == sum(1 for u, _o in recorded.values() if u == unit)

    # overdue: only the two open tasks are reminded; finished ones are not
    late = sweep(runtime, datetime(2022, 10, 21, 9, tzinfo=SHANGHAI))
    assert sorted({a["ref"] for a in late.actions}) == refs[-2:]
    assert verified(store)


def test_an_unknown_campaign_is_not_found(year):
    with pytest.raises(NotFound, match="no workflow defines a campaign 'census'"):
        open_campaign(year[1], "census", session=None, at=OPENS)


def _staying(store, ref: str) -> str:
    """An outcome the item's look-back kind allows, one that leaves it where it is if there is
    one (reopening is tested in tests/unit/test_campaign_outcomes.py)."""
    campaign = store.workflows.get("npc-suggestion").definition.campaigns["lookback"]
    allowed = campaign.allowed(next(row["data"]["kind"] for row in log(store, ref) if row["event"] == "lookback_open"))
    return next((outcome for outcome in allowed if not campaign.follow_up(outcome)), allowed[0])

