"""What changed between two versions of a definition (`banli workflow diff`): each setting,
field, state, event and campaign compared by what it says — a condition guard by its
condition and message, an event's notices by their recipients and text, an effect by its
parameters — so that no change that alters behaviour is shown as no change."""

from __future__ import annotations

from banli.engine.expressions import Expression
from banli.engine.model import Call, Definition

CONDITION = "condition"  # the registry name of a guard written as {when: …, because: …}


def _value(value) -> str:
    """A parameter's value as a definition writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return str(value)


def when_text(when) -> str:
    """A `when`: an expression's own text, or a mapping's `name=value|value` pairs."""
    if isinstance(when, Expression):
        return when.source
    return ", ".join(f"{name}={'|'.join(_value(value) for value in values)}" for name, values in when)


def call_text(call: Call) -> str:
    """A guard or effect: its name and parameters; a condition guard as `when … because …`."""
    params = dict(call.params)
    if call.name == CONDITION:
        because = params.get("because")
        return f"when {when_text(params.get('when', ()))}" + (f" because {because}" if because else "")
    if not params:
        return call.name
    shown = ", ".join(f"{key}: {when_text(value) if key == 'when' else _value(value)}" for key, value in params.items())
    return f"{call.name} {{{shown}}}"


def _reminder(reminder) -> str:
    repeat = "" if not reminder.every else f" every {reminder.every}" + (
        f" times {reminder.times}" if reminder.times else "")
    return (f"{reminder.kind} {reminder.offset}: notify {','.join(reminder.notify) or '-'} "
            f"fire {reminder.fire or '-'}{repeat}")


def _notice(notice) -> str:
    return f"to {','.join(notice.to)}" + (f": {notice.message}" if notice.message else "")


def _state(spec) -> dict:
    return {"label": str(spec.label), "initial": spec.initial, "final": spec.final,
            "deadline": f"{spec.deadline.after} from {spec.deadline.start}" if spec.deadline else None,
            "reminders": [_reminder(r) for r in spec.reminders]}


def _event(spec) -> dict:
    return {"label": str(spec.label), "from": sorted(spec.sources), "internal": spec.internal,
            "to": [b.to + (f" when {when_text(b.when)}" if b.when else "") for b in spec.branches],
            "roles": list(spec.roles), "data": [f"{d.key}:{d.type}{'*' if d.required else ''}" for d in spec.data],
            "within": f"{spec.within.after} from {spec.within.start}" if spec.within else None,
            "guards": [call_text(c) for c in spec.guards], "effects": [call_text(c) for c in spec.effects],
            "clock": spec.clock, "notify": [_notice(n) for n in spec.notify]}


def _field(spec) -> dict:
    return {"type": spec.type, "label": str(spec.label), "choices": list(spec.choices), "required": spec.required,
            "outcome": spec.outcome}


def _campaign(spec) -> dict:
    return {"label": str(spec.label),
            "select": [s.state + (f" when {when_text(s.when)}" if s.when else "") for s in spec.select],
            "fire": spec.fire, "due": str(spec.due) if spec.due else None, "schedule": spec.schedule,
            "reminders": [_reminder(r) for r in spec.reminders], "result": spec.result, "outcome": spec.outcome}


def _rule(rule) -> str:
    on_time = "" if rule.on_time is None else f" on_time {_value(rule.on_time)}"
    when = f" when {when_text(rule.when)}" if rule.when else ""
    return f"{rule.event}{on_time}{when}: {rule.points:+d}" + (f" ({rule.label})" if rule.label else "")


def _whole(definition: Definition) -> dict:
    hours = [f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
             for start, end in definition.office_hours]
    return {"title": str(definition.title), "timezone": definition.timezone, "calendar": definition.calendar,
            "office_hours": hours}


def diff(old: Definition, new: Definition) -> list[dict]:
    """A list of {"section", "name", "change": added|removed|changed, "details": {key: [old, new]}}."""
    changes = []
    sections = (
        ("definition", {old.id: _whole(old)}, {old.id: _whole(new)}),
        ("setting", {k: {"value": str(v)} for k, v in old.settings}, {k: {"value": str(v)} for k, v in new.settings}),
        ("field", {k: _field(v) for k, v in old.fields.items()}, {k: _field(v) for k, v in new.fields.items()}),
        ("state", {k: _state(v) for k, v in old.states.items()}, {k: _state(v) for k, v in new.states.items()}),
        ("event", {k: _event(v) for k, v in old.events.items()}, {k: _event(v) for k, v in new.events.items()}),
        ("campaign", {k: _campaign(v) for k, v in old.campaigns.items()},
         {k: _campaign(v) for k, v in new.campaigns.items()}),
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
    old_rules, new_rules = [_rule(rule) for rule in old.scoring], [_rule(rule) for rule in new.scoring]
    if old_rules != new_rules:
        changes.append({"section": "scoring", "name": "rules", "change": "changed",
                        "details": {"rules": [old_rules, new_rules]}})
    return changes
