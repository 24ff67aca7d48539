"""The demo year ends with the look-back, and `banli campaign status` shows its outcomes."""

from __future__ import annotations

import json
import subprocess
import sys


def banli(cwd, *args):
    return subprocess.run([sys.executable, "-m", "banli", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_demo_ends_with_a_lookback_shown_by_campaign_status(tmp_path):
    demo = banli(tmp_path, "demo", "--suggestions", "30", "--json")
    assert demo.returncode == 0, demo.stderr
    outcomes = json.loads(demo.stdout)["lookback"]
    assert sum(outcomes.values()) > 0
    status = banli(tmp_path, "--db", "sqlite:///banli-demo.db", "campaign", "status", "lookback", "--json")
    assert status.returncode == 0, status.stderr
    [lookback] = json.loads(status.stdout)
    assert lookback["label"] == "回头看" and lookback["session"] == "16-1"
    assert lookback["by_outcome"] == outcomes
    assert lookback["done"] == lookback["selected"] == sum(outcomes.values())
    assert sum(counts["done"] for counts in lookback["by_unit"].values()) == lookback["done"]
    text = banli(tmp_path, "--db", "sqlite:///banli-demo.db", "campaign", "status")
    assert "回头看" in text.stdout and "已落实" in text.stdout
    again = banli(tmp_path, "--db", "sqlite:///banli-demo.db", "--as", "sup-1", "campaign", "open", "lookback",
                  "--session", "16-1", "--at", "2022-09-19T09:00", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["selected"] == 0  # opening again selects nobody twice
