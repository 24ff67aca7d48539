"""Fields that record an outcome of the handling (`outcome: true` in the definition: a rating,
a result class): only the events that set them may, so a registration or an import that gives
one is refused, naming those events."""

from __future__ import annotations

from banli.engine.model import Definition
from banli.errors import InvalidInput


def given_at_registration(definition: Definition, name: str, leave_out: str) -> str | None:
    """Why field `name` cannot be given when an item is registered, or None if it may be;
    `leave_out` says what to drop ("the column", "--field rating")."""
    spec = definition.fields.get(name)
    if spec is None or not spec.outcome:
        return None
    events = definition.setters(name)
    named = ", ".join(f"{event.name} ({event.label})" for event in events)
    return f"'{name}' is set by the event{'s' if len(events) > 1 else ''} {named}; leave {leave_out} out"


def refuse_outcomes(definition: Definition, fields: dict, ref: str) -> None:
    """Raise InvalidInput if the fields registering item `ref` give an outcome."""
    for name in fields:
        refused = given_at_registration(definition, name, f"--field {name}")
        if refused:
            raise InvalidInput(f"item {ref}: {refused}", ref=ref)
