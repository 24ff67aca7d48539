"""What changed between two versions of a definition (`banli workflow diff`)."""

from __future__ import annotations

from banli.engine.model import Definition


def _state(spec) -> dict:
    return {"label": str(spec.label), "initial": spec.initial, "final": spec.final,
            "deadline": f"{spec.deadline.after} from {spec.deadline.start}" if spec.deadline else None,
            "reminders": [f"{r.kind} {r.offset}: notify {','.join(r.notify)} fire {r.fire or '-'}" for r in spec.reminders]}


def _event(spec) -> dict:
    return {"label": str(spec.label), "from": sorted(spec.sources), "internal": spec.internal,
            "to": [f"{b.to}" + (f" when {dict((k, list(v)) for k, v in b.when)}" if b.when else "") for b in spec.branches],
            "roles": list(spec.roles), "data": [f"{d.key}:{d.type}{'*' if d.required else ''}" for d in spec.data],
            "within": f"{spec.within.after} from {spec.within.start}" if spec.within else None,
            "guards": [c.name for c in spec.guards], "effects": [c.name for c in spec.effects]}


def _field(spec) -> dict:
    return {"type": spec.type, "label": str(spec.label), "choices": list(spec.choices), "required": spec.required}


def diff(old: Definition, new: Definition) -> list[dict]:
    """A list of {"section", "name", "change": added|removed|changed, "details": {key: [old, new]}}."""
    changes = []
    sections = (
        ("setting", {k: {"value": str(v)} for k, v in old.settings}, {k: {"value": str(v)} for k, v in new.settings}),
        ("field", {k: _field(v) for k, v in old.fields.items()}, {k: _field(v) for k, v in new.fields.items()}),
        ("state", {k: _state(v) for k, v in old.states.items()}, {k: _state(v) for k, v in new.states.items()}),
        ("event", {k: _event(v) for k, v in old.events.items()}, {k: _event(v) for k, v in new.events.items()}),
        ("campaign", {k: {"select": repr(v.select), "fire": v.fire} for k, v in old.campaigns.items()},
         {k: {"select": repr(v.select), "fire": v.fire} for k, v in new.campaigns.items()}),
    )
    for section, before, after in sections:
        for name in before:
            if name not in after:
                changes.append({"section": section, "name": name, "change": "removed", "details": {}})
        for name, spec in after.items():
            if name not in before:
                changes.append({"section": section, "name": name, "change": "added", "details": {}})
            elif spec != before[name]:
                details = {key: [before[name].get(key), value] for key, value in spec.items()
                           if before[name].get(key) != value}
                changes.append({"section": section, "name": name, "change": "changed", "details": details})
    if [repr(rule) for rule in old.scoring] != [repr(rule) for rule in new.scoring]:
        changes.append({"section": "scoring", "name": "rules", "change": "changed",
                        "details": {"count": [len(old.scoring), len(new.scoring)]}})
    return changes
