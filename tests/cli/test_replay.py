"""`banli replay --atomic` on files longer than one batch of held-back writes: what it leaves is
what the same events fired one by one leave, and a bad last line leaves nothing, not even the
rows already written in the transaction."""

from __future__ import annotations

import json

from tests.cli.conftest import TO_HANDLING, walk

URGES = 1200  # more trace rows than one transaction holds back before it writes them


def add(banli, ref: str) -> None:
    result = banli("item", "add", "--workflow", "npc-suggestion", "--ref", ref, "--title", "关于加强物业管理的建议",
                   "--deputy", "张三", "--field", "category=城市建设", "--at", "2026-01-10T09:00", user="reg")
    assert result.exit_code == 0, result.stderr


def lines(ref: str, steps) -> list[dict]:
    return [{"ref": ref, "event": event, "as": user, "data": data, "at": at} for user, event, data, at in steps]


def urges(ref: str, count: int) -> list[dict]:
    return [{"ref": ref, "event": "urge", "as": "wang", "data": {"note": f"催办 {number}"},
             "at": f"2026-02-03T{number // 60 % 24:02d}:{number % 60:02d}"} for number in range(count)]


def write(path, entries: list[dict]) -> str:
    path.write_text("".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries), encoding="utf-8")
    return str(path)


def shown(banli, ref: str) -> dict:
    item = banli("item", "show", ref, "--json").json()
    return {"state": item["state"], "version": item["version"], "deadline": item["deadline"],
            "fields": item["fields"], "trace": [(t["seq"], t["event"], t["to"], t["occurred_at"], t["data"])
                                                for t in item["trace"]]}


def test_a_long_atomic_replay_writes_what_firing_one_by_one_writes(banli, tmp_path):
    for ref in ("16-1-201", "16-1-202", "16-1-203"):
        add(banli, ref)
    walk(banli, "16-1-201", TO_HANDLING)
    script = tmp_path / "one-by-one.jsonl"
    assert banli("replay", write(script, urges("16-1-201", 10)), "--json").json() == {"applied": 10, "atomic": False}
    # two items' handling, their lines interleaved, then a long run of urges on each
    entries = [line for pair in zip(lines("16-1-202", TO_HANDLING), lines("16-1-203", TO_HANDLING)) for line in pair]
    entries += [line for pair in zip(urges("16-1-202", URGES), urges("16-1-203", URGES)) for line in pair]
    result = banli("replay", write(tmp_path / "atomic.jsonl", entries), "--atomic", "--json")
    assert result.json() == {"applied": 2 * (len(TO_HANDLING) + URGES), "atomic": True}, result.stderr
    expected = shown(banli, "16-1-201")
    for ref in ("16-1-202", "16-1-203"):
        found = shown(banli, ref)
        assert found["trace"][:len(expected["trace"])] == expected["trace"]
        assert found["state"] == "handling"
        assert (found["deadline"], found["fields"]) == (expected["deadline"], expected["fields"])
        assert found["version"] == expected["version"] + URGES - 10 == len(found["trace"])
    verified = banli("audit", "verify", "--json")
    assert verified.exit_code == 0 and verified.json()["ok"]


def test_a_bad_last_line_of_a_long_atomic_replay_leaves_nothing(banli, tmp_path):
    add(banli, "16-1-211")
    walk(banli, "16-1-211", TO_HANDLING)
    before = [t["event"] for t in banli("audit", "log", "16-1-211", "--json").json()]
    entries = urges("16-1-211", URGES) + [{"ref": "16-1-211", "event": "approve", "as": "npc"}]  # not in handling
    script = write(tmp_path / "events.jsonl", entries)
    result = banli("replay", script, "--atomic")
    assert result.exit_code == 5
    assert f"{script}:{URGES + 1}:" in result.stderr and "nothing was applied" in result.stderr
    assert [t["event"] for t in banli("audit", "log", "16-1-211", "--json").json()] == before
    assert banli("item", "show", "16-1-211", "--json").json()["version"] == len(before)
    assert banli("audit", "verify", "--json").json()["ok"]
