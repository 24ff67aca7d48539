"""The annual report's key suggestions (重点建议, led by a county leader) and suggestions made
again (多次提议): listed with their leader, lead unit, state and the leader's instructions,
and with how often and how each earlier time ended; counted as of the report's instant, and
absent from a session that has neither."""

from __future__ import annotations

from datetime import datetime, timezone

from banli.reports.annual import build_annual
from banli.reports.document import Heading, Paragraph, Table
from tests.integration.test_key_suggestions import _register, leaders  # noqa: F401 - the fixture

AS_OF = datetime(2026, 6, 1, tzinfo=timezone.utc)


def _assigned(runtime, ref: str, **fields) -> None:
    """Registered in session 16-1, filed, assigned to 县住建局 and signed for in March 2026."""
    runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于城区道路积水治理的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设", "session": "16-1", **fields},
                   at="2026-01-05T09:00")
    for user, event, data, at in [
            ("reg", "sort", {"category": "城市建设"}, "2026-01-06T09:00"), ("reg", "review", {}, "2026-01-07T09:00"),
            ("reg", "audit", {}, "2026-01-08T09:00"), ("npc", "approve", {}, "2026-01-09T09:00"),
            ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}, "2026-03-02T09:00"),
            ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-03-02T15:00")]:
        runtime.fire(ref, event, user, data, at=at)


def test_the_report_lists_key_suggestions_and_suggestions_made_again(leaders, runtime, clock, chinese):  # noqa: F811
    _register(runtime, "15-5-073", "15-5")
    _assigned(runtime, "16-1-001")
    _assigned(runtime, "16-1-002")
    _assigned(runtime, "16-1-003", earlier="15-5-073")
    runtime.fire("16-1-001", "mark_key", "wang", {"lead_leader": "ld-zhou"}, at="2026-03-03T09:00")
    runtime.fire("16-1-001", "instruct", "ld-zhou", {"text": "请抓紧办理"}, at="2026-03-04T09:00")
    runtime.fire("16-1-001", "supervise", "ld-zhou", {"note": "现场督办"}, at="2026-03-05T09:00")
    clock.advance(days=10)
    runtime.fire("16-1-001", "instruct", "ld-zhou", {"text": "六月后的批示"}, at="2026-06-05T09:00")  # after AS_OF

    report = build_annual(leaders, "16-1", AS_OF)

    key = report.leaders.key
    assert [(item.ref, item.leader, item.unit, item.actions) for item in key] == [("16-1-001", "周副县长", "县住建局", 2)]
    repeated = report.leaders.repeated
    assert [(item.ref, item.times, [e["ref"] for e in item.earlier]) for item in repeated] == [
        ("16-1-003", 2, ["15-5-073"])]
    blocks = report.document.blocks
    headings = [block.text for block in blocks if isinstance(block, Heading)]
    assert "（五）重点建议，领导领办。" in headings and "（六）多次提议，重点解决。" in headings
    tables = {block.caption: block for block in blocks if isinstance(block, Table)}
    assert tables["表4-1  重点建议办理情况"].rows == (("16-1-001", "关于城区道路积水治理的建议", "周副县长", "县住建局", "办理中", "—", 2),)
    row = tables["表4-2  多次提议的建议"].rows[0]
    assert row[0] == "16-1-003" and row[2] == 2 and row[3] == "15-5-073（15-5，已登记）"
    text = " ".join(block.text for block in blocks if isinstance(block, Paragraph))
    assert "对1件重点建议实行“一把手”负责制" in text and "分管县领导批示、督办2次" in text
    assert "对多年反复提出的1件建议（往届共提出1次）" in text


def test_a_session_without_them_has_no_such_section(leaders, runtime):  # noqa: F811
    _assigned(runtime, "16-1-001")

    report = build_annual(leaders, "16-1", AS_OF)

    assert report.leaders.key == () and report.leaders.repeated == ()
    assert not any(isinstance(block, Table) and block.caption.startswith("表4-") for block in report.document.blocks)
