"""The items the argument and sequence properties work on: one just registered, one in
handling with a co-unit task, and the built-in npc-suggestion workflow's events."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent.parent
NPC = yaml.safe_load((ROOT / "banli/workflows/npc-suggestion.yaml").read_text(encoding="utf-8"))
TASK = yaml.safe_load((ROOT / "banli/workflows/unit-task.yaml").read_text(encoding="utf-8"))
EVENTS = sorted(set(NPC["events"]) | set(TASK["events"]))
PEOPLE = ["wang", "reg", "npc", "li", "zhao", "sun", "zhang", "lisi", "audit"]
UNITS = ["zjj", "czj", "jyj", "rd-xgw"]

NEW, HANDLING = "16-1-001", "16-1-002"
REFS = [NEW, HANDLING, f"{HANDLING}/czj", f"{HANDLING}/jyj", "16-1-999", f"{NEW}/czj"]


def _add(ref: str) -> tuple:
    return ("reg", ["item", "add", "--workflow", "npc-suggestion", "--ref", ref, "--title", "关于加强物业管理的建议",
                    "--deputy", "张三", "--deputy", "李四", "--field", "category=城市建设", "--field", "session=十六届一次",
                    "--at", "2026-01-10T09:00"])


def _fire(user: str, ref: str, event: str, at: str, **data) -> tuple:
    return (user, ["fire", ref, event, "--at", at] + [f"--data={k}={v}" for k, v in data.items()])


SETUP = [
    _add(NEW),
    _add(HANDLING),
    _fire("reg", HANDLING, "sort", "2026-01-20T09:00", category="城市建设"),
    _fire("reg", HANDLING, "review", "2026-01-21T09:00"),
    _fire("reg", HANDLING, "audit", "2026-01-22T09:00"),
    _fire("npc", HANDLING, "approve", "2026-01-23T09:00"),
    _fire("wang", HANDLING, "assign", "2026-02-01T09:00", lead_unit="zjj", co_units="czj", mode="会办"),
    _fire("li", HANDLING, "sign_for", "2026-02-02T09:00", leader="王局长", handler="李科长"),
]


def data_keys(event: str) -> list[str]:
    """The data keys either workflow's `event` takes."""
    keys = set()
    for definition in (NPC, TASK):
        keys |= set((definition["events"].get(event) or {}).get("data") or {})
    return sorted(keys)


def _spec(key: str) -> dict:
    """The field `key`, or the typed event-only key `key` (contact's `method`), if any."""
    for definition in (NPC, TASK):
        if key in definition["fields"]:
            return definition["fields"][key]
        for event in definition["events"].values():
            spec = (event.get("data") or {}).get(key)
            if isinstance(spec, dict) and "type" in spec:
                return spec
    return {}


def field_values(key: str) -> list[str]:
    """Values that fit the field or event-only key `key`, as `--data` text."""
    kind = _spec(key).get("type", "text")
    if kind == "choice":
        return [str(choice) for choice in _spec(key)["choices"]]
    if kind in ("unit", "units", "bool"):
        return {"unit": UNITS, "units": ["czj", "czj,jyj", "jyj", ""], "bool": ["true", "false"]}[kind]
    if key == "extend_by":
        return ["1 months", "10 workdays", "4 months", "1 days"]
    if key == "text":
        return ["张三、李四代表：您好！关于物业管理的建议，答复如下。", "同意"]
    return ["王局长", "李科长", "说明"]
