"""CLI fixtures: a `banli` invoker bound to a fresh initialised database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

DATA = Path(__file__).parent.parent / "data"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def banli(db_url):
    """Call `banli(*args, user=…)`; runs against the test's own database, initialised with tests/data/org.yaml."""
    from banli.cli import cli

    runner = CliRunner()

    def invoke(*args: str, user: str | None = None, input: str | None = None) -> Result:
        options = ["--db", db_url] + (["--as", user] if user else [])
        outcome = runner.invoke(cli, options + list(args), input=input, catch_exceptions=False)
        return Result(outcome.exit_code, outcome.stdout, outcome.stderr)

    first = invoke("init", "--org", str(DATA / "org.yaml"))
    assert first.exit_code == 0, first.stderr
    return invoke


@pytest.fixture
def suggestion(banli):
    """A registered suggestion 16-1-001 by deputies 张三 and 李四; returns its ref."""
    result = banli("item", "add", "--workflow", "npc-suggestion", "--ref", "16-1-001", "--title", "关于加强物业管理的建议",
                   "--deputy", "张三", "--deputy", "李四", "--field", "category=城市建设", "--at", "2026-01-10T09:00",
                   user="reg")
    assert result.exit_code == 0, result.stderr
    return "16-1-001"


def walk(banli, ref: str, steps: list[tuple]) -> None:
    """Fire a list of (user, event, {data}, at) steps, each of which must succeed."""
    for user, event, data, at in steps:
        args = ["fire", ref, event, "--at", at] + [f"--data={k}={v}" for k, v in data.items()]
        result = banli(*args, user=user)
        assert result.exit_code == 0, f"{event}: {result.stderr}"


TO_HANDLING = [
    ("reg", "sort", {"category": "城市建设"}, "2026-01-20T09:00"),
    ("reg", "review", {}, "2026-01-21T09:00"),
    ("reg", "audit", {}, "2026-01-22T09:00"),
    ("npc", "approve", {}, "2026-01-23T09:00"),
    ("wang", "assign", {"lead_unit": "zjj", "co_units": "czj", "mode": "会办"}, "2026-02-01T09:00"),
    ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-02-02T09:00"),
]
