"""Values as people read them: a unit or a person by name, a choice by its label, a flag as
是/否 (yes/no), a list joined with 、 (", "). Ids and raw values stay in `--json` and in the trace."""

from __future__ import annotations

from banli.engine.model import SYSTEM, Field
from banli.engine.records import OrgNames
from banli.i18n import N_, _

# the global roles (SPEC §3), by the names people call them
ROLE_NAMES = {"registrar": N_("Registrar"), "reviewer": N_("Reviewer"), "supervisor": N_("Supervision office"),
              "unit": N_("Handling unit"), "deputy": N_("Deputy"), "npc_office": N_("NPC liaison office"),
              "auditor": N_("Auditor"), "admin": N_("Administrator"), "leader": N_("County leader")}
# the trace's own events, which no definition names
ENGINE_EVENTS = {"created": N_("Registered"), "migrated": N_("Moved to a new workflow version"),
                 "deadline_recomputed": N_("Deadline recomputed")}


def field_text(field: Field | None, value: object, names: OrgNames) -> str:
    """The value of a field (or of an event's data key, `field` None when the definition does
    not type it) in words."""
    if value is None:
        return ""
    kind = field.type if field is not None else None
    if isinstance(value, list):
        one = Field(name=field.name, type="unit", label=field.label) if kind == "units" and field else field
        return _(", ").join(field_text(one, part, names) for part in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    text = str(value)
    if kind in ("unit", "units"):
        return names.units.get(text, text)
    if kind == "person":
        return person_text(text, names)
    if field is not None and hasattr(field.choices, "label"):
        return field.choices.label(text)
    return text


def role_names() -> dict[str, str]:
    """Role id → its name, in the language of the moment."""
    return {role: _(name) for role, name in ROLE_NAMES.items()}


def person_text(person: str | None, names: OrgNames) -> str:
    """A person (an actor of the trace) by name; the system as 系统 (the system)."""
    if not person:
        return ""
    if person == SYSTEM:
        return _("the system")
    return names.people.get(person, person)


def event_text(workflow, event: str) -> str:
    """An event of the trace by its label: the definition's, or the engine's own."""
    if event in ENGINE_EVENTS:
        return _(ENGINE_EVENTS[event])
    return workflow.label(event)
