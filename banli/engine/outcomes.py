"""Fields that record an outcome of the handling (`outcome: true` in the definition: a rating,
a result class): only the events that set them may, so a registration or an import that gives
one is refused, naming those events."""

from __future__ import annotations

from banli.engine.model import Definition
from banli.errors import InvalidInput
from banli.i18n import _, ngettext


def given_at_registration(definition: Definition, name: str, option: str | None = None) -> str | None:
    """Why field `name` cannot be given when an item is registered, or None if it may be;
    `option` is what to drop ("--field rating"), the column of an import file when None."""
    spec = definition.fields.get(name)
    if spec is None or not spec.outcome:
        return None
    events = definition.setters(name)
    named = ", ".join(f"{event.name} ({event.label})" for event in events)
    count = max(len(events), 1)
    if option is None:
        return ngettext("'{name}' is set by the event {events}; leave the column out",
                        "'{name}' is set by the events {events}; leave the column out", count).format(name=name, events=named)
    return ngettext("'{name}' is set by the event {events}; leave {option} out",
                    "'{name}' is set by the events {events}; leave {option} out", count).format(
        name=name, events=named, option=option)


def refuse_outcomes(definition: Definition, fields: dict, ref: str) -> None:
    """Raise InvalidInput if the fields registering item `ref` give an outcome."""
    for name in fields:
        refused = given_at_registration(definition, name, f"--field {name}")
        if refused:
            raise InvalidInput(_("item {ref}: {problem}").format(ref=ref, problem=refused), ref=ref)
