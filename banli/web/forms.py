"""Event forms made from the definition: each key of an event's `data` becomes an input of
its type (choice → select, units → multi-select, text → textarea, date → date, …), and a
posted form becomes the event's data again."""

from __future__ import annotations

from dataclasses import dataclass

from banli.engine.model import Choices, Event
from banli.i18n import _
from banli.web.render import key_label, value_label

LONG_TEXT = frozenset({"text", "reason", "comment", "note"})  # keys whose answers run to paragraphs


@dataclass(frozen=True, kw_only=True)
class Input:
    key: str
    label: str
    widget: str  # select | multiselect | textarea | date | number
    required: bool
    options: tuple[tuple[str, str], ...] = ()  # (value, label)
    rows: int = 2


@dataclass(frozen=True, kw_only=True)
class EventForm:
    event: str
    label: str
    inputs: tuple[Input, ...]


def event_form(workflow, event: Event, units: dict[str, str], people: dict[str, str]) -> EventForm:
    """The form of `event`; `units` and `people` (id → name) fill the selects of those types."""
    definition = workflow.definition
    inputs = []
    for spec in event.data:
        field = definition.fields.get(spec.key) if spec.is_field else None
        label = str(field.label) if field else str(spec.label) if spec.label else key_label(spec.key)
        inputs.append(_input(spec, label, units, people))
    return EventForm(event=event.name, label=str(event.label), inputs=tuple(inputs))


def _input(spec, label: str, units: dict[str, str], people: dict[str, str]) -> Input:
    common = {"key": spec.key, "label": label, "required": spec.required}
    if spec.type == "choice":
        named = spec.choices.labels if isinstance(spec.choices, Choices) else {}
        return Input(widget="select", options=tuple((c, named.get(c) or value_label(c) or c) for c in spec.choices),
                     **common)
    if spec.type == "bool":
        return Input(widget="select", options=(("true", _("Yes")), ("false", _("No"))), **common)
    if spec.type == "unit":
        return Input(widget="select", options=tuple(units.items()), **common)
    if spec.type == "units":
        return Input(widget="multiselect", options=tuple(units.items()), **common)
    if spec.type == "person":
        return Input(widget="select", options=tuple(people.items()), **common)
    if spec.type == "date":
        return Input(widget="date", **common)
    if spec.type == "int":
        return Input(widget="number", **common)
    return Input(widget="textarea", rows=6 if spec.key == "text" else 3 if spec.key in LONG_TEXT else 1, **common)


def posted_data(event: Event, form) -> dict:
    """The event's data from a posted form (a multi-dict): a multi-select gives a list; empty
    answers are left out, as the runtime asks for the required ones; other fields are ignored."""
    data: dict = {}
    for spec in event.data:
        if spec.type == "units":
            values = [value for value in form.getlist(spec.key) if str(value).strip()]
            if values:
                data[spec.key] = values
        else:
            value = form.get(spec.key)
            if isinstance(value, str) and value.strip():
                data[spec.key] = value
    return data
