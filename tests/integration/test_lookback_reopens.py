"""A look-back that acts, on SQLite and PostgreSQL: the outcome reopens a closed item in the
same transaction (traced as the system, with a fresh deadline), `banli campaign status` and
the annual report's 回头看 paragraph count the kinds looked at and the items reopened."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from banli.engine.campaigns import open_campaign, summarise
from banli.engine.definitions import register_text
from banli.reports.annual import lookback_text
from banli.reports.metrics import collect
from banli.store.audit import log, verify
from tests.unit.test_campaign_outcomes import CLOSED_AT, LOOKBACK, OPENS, REPORTED

SHANGHAI = ZoneInfo("Asia/Shanghai")
RATINGS = {"L-1": "不满意", "L-2": "不满意", "L-3": "基本满意", "L-4": "满意", "L-5": "满意"}


def _year(store, runtime):
    register_text(store, LOOKBACK, "lookback-test.yaml", "test")
    for ref, rating in RATINGS.items():
        runtime.create(workflow_id="lookback-test", ref=ref, title=f"关于{ref}的建议", actor="wang",
                       fields={"session": "16-1", "lead_unit": "zjj"}, at=CLOSED_AT - timedelta(days=30))
        runtime.fire(ref, "close", "wang", {"rating": rating}, at=CLOSED_AT)
    assert open_campaign(runtime, "lookback", session="16-1", at=OPENS)["selected"] == 5
    runtime.fire("L-1", "report", "li", {"result": "责成重新办理"}, at=REPORTED)
    runtime.fire("L-2", "report", "li", {"result": "已解释到位"}, at=REPORTED)
    runtime.fire("L-3", "report", "li", {"result": "已再次沟通"}, at=REPORTED)
    runtime.fire("L-4", "report", "li", {"result": "已落实"}, at=REPORTED)
    runtime.fire("L-1", "close", "wang", {"rating": "基本满意"}, at=REPORTED + timedelta(days=20))


def test_the_look_back_reopens_items_and_the_report_says_so(store, runtime, clock, chinese):
    clock.now = datetime(2026, 5, 20, 12, tzinfo=SHANGHAI)
    _year(store, runtime)

    reopened = [row for row in log(store) if row["event"] in ("redo", "meet")]
    assert [(row["ref"], row["event"], row["actor"], row["to"]) for row in reopened] == [
        ("L-1", "redo", "system", "rehandling"), ("L-3", "meet", "system", "awaiting")]
    [summary] = summarise(store, "lookback")
    assert summary["reopened"] == {"责成重新办理": 1, "已再次沟通": 1}
    assert summary["by_kind"]["不满意"] == {"selected": 2, "done": 2, "reopened": 1}
    assert summary["by_kind"]["其他"] == {"selected": 2, "done": 1, "reopened": 0}

    text = lookback_text(collect(store, "16-1", clock.now))
    assert "按类别，不满意2件、其他2件、基本满意1件。" in text
    assert "重新办理或再次征求代表意见2件（责成重新办理1件、已再次沟通1件），已重新办结1件，仍在办理1件。" in text
    # as of before the outcomes, nothing was reopened yet
    assert "重新办理或再次征求" not in lookback_text(collect(store, "16-1", REPORTED - timedelta(hours=1)))
    assert verify(store)["ok"]
