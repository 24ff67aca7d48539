"""The demo year's look-back (banli/demo/lookback.py), on SQLite and PostgreSQL: every handled
suggestion is looked at by its kind, some are reopened by their outcome (the system's
`lookback_rehandle` or `lookback_meet_again`) and carried on to a new rating before the year
ends, and the annual report counts them."""

from __future__ import annotations

from banli.engine.campaigns import summarise
from banli.reports.annual import lookback_text
from banli.reports.metrics import collect
from banli.store.audit import log
from tests.integration.demo_year import REPORT_DAY

REOPENING = ("lookback_rehandle", "lookback_meet_again")


def test_the_look_back_reopens_items_and_carries_them_to_a_new_rating(played_year, chinese):
    store, summary = played_year
    rows = log(store)
    reopened = [row for row in rows if row["event"] in REOPENING]
    assert reopened and all(row["actor"] == "system" for row in reopened)
    for row in reopened:
        after = [later for later in rows if later["ref"] == row["ref"] and later["seq"] > row["seq"]]
        assert after[-1]["to"] == "closed", row["ref"]  # handled again (or talked over) and ended
        assert {"rate_again", "rate"} & {later["event"] for later in after}, row["ref"]
        if row["event"] == "lookback_rehandle":
            assert "reply" in {later["event"] for later in after}
    [campaign] = summarise(store, "lookback")
    assert sum(campaign["reopened"].values()) == len(reopened)
    assert campaign["by_outcome"] == summary["lookback"] and campaign["open"] == 0
    assert sum(kind["reopened"] for kind in campaign["by_kind"].values()) == len(reopened)
    text = lookback_text(collect(store, "16-1", REPORT_DAY))
    assert f"重新办理或再次征求代表意见{len(reopened)}件" in text and f"已重新办结{len(reopened)}件。" in text
    assert all(f"{outcome}{count}件" in text for outcome, count in campaign["reopened"].items()), text
