"""Campaigns that act, through the CLI: an outcome the item's kind does not allow is refused
in one line naming the allowed ones (exit 3); an outcome with a `then` event reopens the item,
and `fire` and `campaign status` say so."""

from __future__ import annotations

from tests.unit.test_campaign_outcomes import LOOKBACK


def test_an_outcome_is_refused_in_one_line_or_reopens_the_item(banli, tmp_path):
    path = tmp_path / "lookback-test.yaml"
    path.write_text(LOOKBACK, encoding="utf-8")
    assert banli("workflow", "register", str(path)).exit_code == 0
    for ref, rating in (("L-1", "不满意"), ("L-2", "满意")):
        added = banli("item", "add", "--workflow", "lookback-test", "--ref", ref, "--title", f"关于{ref}的建议",
                      "--field", "session=16-1", "--field", "lead_unit=zjj", "--at", "2026-02-01T09:00", user="wang")
        assert added.exit_code == 0, added.stderr
        assert banli("fire", ref, "close", "--data", f"rating={rating}", "--at", "2026-03-02T10:00",
                     user="wang").exit_code == 0
    opened = banli("campaign", "open", "lookback", "--session", "16-1", "--at", "2026-03-16T09:00", "--json", user="wang")
    assert opened.exit_code == 0, opened.stderr
    assert opened.json()["by_kind"] == {"不满意": 1, "其他": 1}

    refused = banli("fire", "L-2", "report", "--data", "result=责成重新办理", "--at", "2026-03-20T10:00", user="li")
    assert refused.exit_code == 3
    assert refused.stderr.strip().count("\n") == 0
    assert "'责成重新办理' is not an outcome of a 其他 item in 回头看; choose 已落实" in refused.stderr

    fired = banli("fire", "L-1", "report", "--data", "result=责成重新办理", "--at", "2026-03-20T10:00", user="li")
    assert fired.exit_code == 0, fired.stderr
    assert fired.stdout.startswith("L-1 report: closed → rehandling")  # a definition without labels
    shown = banli("item", "show", "L-1", "--json").json()
    assert shown["state"] == "rehandling"

    status = banli("campaign", "status", "lookback")
    assert status.exit_code == 0, status.stderr
    assert "reopened: 责成重新办理 1" in status.stdout
    [summary] = banli("campaign", "status", "lookback", "--json").json()
    assert summary["by_kind"]["不满意"] == {"selected": 1, "done": 1, "reopened": 1}
