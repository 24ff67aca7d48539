"""A definition written only from SPEC §7 (tests/definitions/good/hotline-order.yaml)
validates, registers and runs end to end through the CLI: branches, item-relative roles,
event-only data, child items, and a verifiable trace."""

from __future__ import annotations

import getpass
from pathlib import Path

HOTLINE = Path(__file__).parent.parent / "definitions" / "good" / "hotline-order.yaml"


def fire(banli, user, ref, event, **data):
    result = banli("fire", ref, event, *[f"--data={k}={v}" for k, v in data.items()], "--json", user=user)
    assert result.exit_code == 0, f"{event}: {result.stderr}"
    return result.json()


def test_hotline_order_end_to_end(banli):
    assert banli("workflow", "validate", str(HOTLINE)).exit_code == 0
    registered = banli("workflow", "register", str(HOTLINE), "--json").json()
    assert (registered["id"], registered["version"], registered["created"]) == ("hotline-order", 2, True)
    again = banli("workflow", "register", str(HOTLINE), "--json").json()
    assert (again["version"], again["created"]) == (2, False)  # same content: same version

    shown = banli("workflow", "show", "hotline-order", "--json").json()
    assert {s["name"]: s["label"] for s in shown["states"]}["urgent_handling"] == "紧急办理中"
    graph = banli("workflow", "graph", "hotline-order", "--format", "dot")
    assert graph.exit_code == 0 and 'dispatched -> urgent_handling [label="签收 [urgency=紧急, category=供水|道路]"]' in graph.stdout

    for ref, category in (("H-001", "供水"), ("H-002", "噪音")):
        added = banli("item", "add", "--workflow", "hotline-order", "--ref", ref, "--title", f"{category}问题",
                      "--deputy", "张三", "--field", f"category={category}", "--json", user="wang")
        assert added.exit_code == 0, added.stderr
        fire(banli, "wang", ref, "dispatch", category=category, urgency="紧急", lead_unit="zjj", co_units="czj")

    # the branch: urgent water goes on the 24-hour clock, urgent noise does not
    assert fire(banli, "li", "H-001", "sign_for", handler="li")["to"] == "urgent_handling"
    assert fire(banli, "li", "H-002", "sign_for", handler="li")["to"] == "handling"

    # item-relative roles: the co-unit's staff may give an opinion, another unit's may not
    assert banli("fire", "H-001", "co_opinion", "--data", "text=配合", user="sun").exit_code == 4
    assert fire(banli, "zhao", "H-001", "co_opinion", text="配合抢修")["to"] == "urgent_handling"

    # event-only data with its own type
    assert banli("fire", "H-001", "contact", "--data", "method=pigeon", user="li").exit_code == 3
    contact = fire(banli, "li", "H-001", "contact", method="face_to_face", note="上门查看")
    assert contact["from"] == contact["to"] == "urgent_handling"

    # the child item (co-unit task) gates the reply
    assert banli("fire", "H-001", "reply", "--data", "result_class=A", "--data", "text=已修复", user="li").exit_code == 5
    fire(banli, "zhao", "H-001/czj", "sign_for", leader="赵局长", handler="钱科长")
    fire(banli, "zhao", "H-001/czj", "submit_opinion", text="已配合")
    fire(banli, "li", "H-001", "reply", result_class="A", text="已修复")

    # own_deputy: only the item's own deputy rates; 不满意 on an urgent order goes back to urgent handling
    assert banli("fire", "H-001", "rate", "--data", "rating=满意", user="lisi").exit_code == 4
    assert fire(banli, "zhang", "H-001", "rate", rating="不满意")["to"] == "urgent_handling"

    item = banli("item", "show", "H-001", "--json").json()
    assert item["fields"]["rating"] == "不满意" and item["deputies"] == ["张三"]
    trace = item["trace"]
    assert [t["event"] for t in trace] == ["created", "dispatch", "sign_for", "co_opinion", "contact", "reply", "rate"]
    assert trace[4]["data"] == {"method": "face_to_face", "note": "上门查看", "@os_user": getpass.getuser()}
    assert all(t["prev_hash"] == p["hash"] for p, t in zip(trace, trace[1:]))
    verified = banli("audit", "verify", "--json")
    assert verified.exit_code == 0 and verified.json()["ok"]


def test_replay_atomic_applies_all_or_nothing(banli, suggestion, tmp_path):
    good = '{"ref": "16-1-001", "event": "sort", "as": "reg", "data": {"category": "城市建设"}}\n'
    bad = '{"ref": "16-1-001", "event": "approve", "as": "npc"}\n'  # not possible before review
    script = tmp_path / "events.jsonl"
    script.write_text(good + bad, encoding="utf-8")
    result = banli("replay", str(script), "--atomic")
    assert result.exit_code == 5
    assert f"{script}:2:" in result.stderr and "nothing was applied" in result.stderr
    assert [t["event"] for t in banli("audit", "log", "16-1-001", "--json").json()] == ["created"]

    result = banli("replay", str(script))  # line by line: stops at line 2, line 1 stays applied
    assert result.exit_code == 5 and "1 earlier line(s) were applied" in result.stderr
    assert [t["event"] for t in banli("audit", "log", "16-1-001", "--json").json()] == ["created", "sort"]

    script.write_text('{"ref": "16-1-001", "event": "review", "as": "reg"}\n'
                      '{"ref": "16-1-001", "event": "audit", "as": "reg"}\n', encoding="utf-8")
    assert banli("replay", str(script), "--atomic", "--json").json() == {"applied": 2, "atomic": True}
