"""The two definitions written only from the manual (tests/definitions/good/*-reference.yaml)
register and run through the CLI on every backend; `item show` says when an item's clock is
paused (挂起), in text and JSON; `workflow diff` shows condition guards and event notices."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import walk
from tests.unit.test_workflow_diff import BASE, OLD

GOOD = Path(__file__).parent.parent / "definitions" / "good"
HOTLINE = GOOD / "hotline-12345-reference.yaml"
CPPCC = GOOD / "cppcc-proposal-reference.yaml"


def _register(banli, path: Path) -> None:
    result = banli("workflow", "register", str(path), "--json")
    assert result.exit_code == 0, result.stderr


def _order(banli, ref: str, priority: str = "紧急") -> None:
    added = banli("item", "add", "--workflow", "hotline-12345-reference", "--ref", ref, "--title", "小区停水",
                  "--field", "category=供水", "--field", f"priority={priority}", "--at", "2026-03-02T10:00", user="reg")
    assert added.exit_code == 0, added.stderr


def test_a_hotline_order_is_returned_reassigned_paused_and_shown_paused(banli):
    _register(banli, HOTLINE)
    _order(banli, "RX-1")
    walk(banli, "RX-1", [
        ("reg", "dispatch", {"lead_unit": "zjj"}, "2026-03-02T10:05"),
        ("li", "return_order", {"reason": "不属于本单位职责"}, "2026-03-02T10:30"),
        ("wang", "reassign", {"lead_unit": "czj"}, "2026-03-02T11:30"),
    ])
    # 改派 restarts the 1-workhour clock to sign for: 11:30 + 30 min to 12:00, 30 min from 14:30 (not lunch)
    assert banli("item", "show", "RX-1", "--json").json()["deadline"] == "2026-03-02T15:00:00+08:00"
    walk(banli, "RX-1", [("zhao", "sign_for", {}, "2026-03-02T11:50"),
                         ("zhao", "suspend", {"reason": "等待供水公司检修"}, "2026-03-02T15:00")])

    shown = banli("item", "show", "RX-1", "--json").json()
    assert shown["deadline"] is None and shown["overdue"] is False
    assert shown["paused"] == {"since": "2026-03-02T15:00:00+08:00", "event": "suspend", "event_label": "挂起",
                               "seq": 6, "deadline_was": "2026-03-03T11:50:00+08:00"}  # 紧急: 24 hours from signing
    text = banli("item", "show", "RX-1").stdout
    assert "deadline paused (挂起) since 2026-03-02 15:00 by 挂起 (seq 6); was due 2026-03-03 11:50" in text

    walk(banli, "RX-1", [("zhao", "resume", {}, "2026-03-03T09:00")])
    resumed = banli("item", "show", "RX-1", "--json").json()
    assert resumed["paused"] is None
    assert resumed["deadline"] == "2026-03-04T05:50:00+08:00"  # later by the 18 hours paused
    assert "paused" not in banli("item", "show", "RX-1").stdout


def test_a_hotline_order_is_visited_and_else_closed_by_the_system(banli):
    _register(banli, HOTLINE)
    for ref in ("RX-2", "RX-3"):
        _order(banli, ref, priority="一般")
        walk(banli, ref, [("reg", "dispatch", {"lead_unit": "zjj"}, "2026-03-02T10:05"),
                          ("li", "sign_for", {}, "2026-03-02T10:30"),
                          ("li", "reply", {"text": "已恢复供水"}, "2026-03-03T10:00")])
    # 不满意 the first time: handled again; the second visit closes it whatever the rating
    walk(banli, "RX-2", [("reg", "visit", {"rating": "不满意"}, "2026-03-04T10:00"),
                         ("li", "reply", {"text": "已更换管道"}, "2026-03-05T10:00"),
                         ("reg", "visit", {"rating": "不满意"}, "2026-03-06T10:00")])
    assert banli("item", "show", "RX-2", "--json").json()["state"] == "closed"

    # nobody visits RX-3 within 3 workdays: the sweep fires 自动办结 as the system
    assert banli("remind", "--as-of", "2026-03-09T09:00").exit_code == 0
    closed = banli("item", "show", "RX-3", "--json").json()
    assert closed["state"] == "closed" and closed["trace"][-1]["event"] == "auto_close"
    assert closed["trace"][-1]["actor"] == "system"


def test_a_cppcc_proposal_is_filed_assigned_with_co_units_replied_and_rated(banli):
    _register(banli, CPPCC)
    added = banli("item", "add", "--workflow", "cppcc-proposal-reference", "--ref", "Z-001", "--title",
                  "关于加强农村供水保障的提案", "--deputy", "张三", "--field", "category=农业农村",
                  "--at", "2026-03-02T10:00", user="reg")
    assert added.exit_code == 0, added.stderr
    walk(banli, "Z-001", [
        ("reg", "file", {"category": "农业农村", "session": "十届三次"}, "2026-03-03T10:00"),
        ("wang", "assign", {"lead_unit": "zjj", "co_units": "czj", "mode": "主办会办"}, "2026-03-04T10:00"),
        ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-03-05T10:00"),
    ])
    reply = {"result_class": "A", "text": "张三委员：您好！……", "signer": "王局长", "contact_person": "李科长"}
    refused = banli("fire", "Z-001", "reply", *[f"--data={k}={v}" for k, v in reply.items()], user="li")
    assert refused.exit_code == 5 and "县财政局" in refused.stderr  # 会办单位 has not given its opinion
    walk(banli, "Z-001/czj", [("zhao", "sign_for", {"leader": "赵局长", "handler": "钱科长"}, "2026-03-05T11:00"),
                              ("zhao", "submit_opinion", {"text": "同意"}, "2026-03-10T10:00")])
    walk(banli, "Z-001", [("li", "reply", reply, "2026-04-01T10:00"),
                          ("zhang", "rate", {"rating": "满意"}, "2026-04-05T10:00")])
    shown = banli("item", "show", "Z-001", "--json").json()
    assert (shown["state"], shown["fields"]["rating"], shown["fields"]["result_class"]) == ("closed", "满意", "A")


def test_workflow_diff_shows_condition_guards_and_notices(banli, tmp_path):
    versions = []
    for number, changed in ((1, {}), (2, {"WHEN": "urges < 3", "NOTIFY_START": "notify: [lead_unit, supervisor]"})):
        text = BASE
        for key, value in {**OLD, **changed}.items():
            text = text.replace(key, value)
        path = tmp_path / f"v{number}.yaml"
        path.write_text(text, encoding="utf-8")
        versions.append(path)
        _register(banli, path)

    shown = banli("workflow", "diff", "permit", "1", "2")
    assert shown.exit_code == 0, shown.stderr
    assert "~ event close" in shown.stdout and "when urges < 3 because 已催办两次请督办" in shown.stdout
    assert "~ event start" in shown.stdout and "to lead_unit,supervisor" in shown.stdout
    changes = banli("workflow", "diff", "permit", "1", "2", "--json").json()["changes"]
    assert {(c["section"], c["name"]) for c in changes} == {("event", "close"), ("event", "start")}
