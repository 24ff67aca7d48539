"""The README's promise, through real subprocesses: `scripts/demo` plays the year in the
directory it is run from, and `banli --help` teaches the commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_scripts_demo_plays_a_year_in_the_working_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("BANLI_DB", "BANLI_USER")}
    result = subprocess.run([str(ROOT / "scripts" / "demo"), "--suggestions", "12", "--json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["items"] == 12 and summary["audit"]["ok"]
    assert sum(summary["by_category"].values()) == 12
    assert (tmp_path / "banli-demo.db").exists()


def test_demo_text_summary_and_a_second_run_starts_afresh(tmp_path):
    banli = [sys.executable, "-m", "banli"]
    for _ in range(2):
        result = subprocess.run(banli + ["demo", "--suggestions", "10"], cwd=tmp_path, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr
        assert "audit verify: ok" in result.stdout and "办结" in result.stdout
    listed = subprocess.run(banli + ["--db", "sqlite:///banli-demo.db", "item", "list", "--json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    year = [item for item in json.loads(listed.stdout) if item["fields"].get("session") == "16-1"]
    assert len(year) == 10  # the second run replaced the first year, not added to it (and 2 of earlier sessions)
    assert len(json.loads(listed.stdout)) == 12


def test_help_lists_every_command_group():
    result = subprocess.run([sys.executable, "-m", "banli", "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    for command in ("init", "org", "workflow", "item", "can", "fire", "replay", "audit", "demo"):
        assert f"\n  {command} " in result.stdout
