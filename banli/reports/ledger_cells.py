"""The cells of one ledger row, column by column as the definition's `ledger:` says
(banli/engine/ledger_spec.py): built-in values, the item's fields, what its events say.

A cell is text, a whole number, a date, or None for blank: unit and person ids are shown
as their names, lists joined with 、 (, in English), yes/no as 是/否, dates as dates.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from banli.engine.ledger_spec import LedgerColumn, LedgerSpec, default, matches
from banli.i18n import N_, _

JOIN = N_(", ")  # a list's values in one cell: 、 in Chinese
YES_NO = {True: N_("yes"), False: N_("no")}


def spec_of(definition) -> LedgerSpec:
    """The definition's ledger, or the default one of its fields and events."""
    return definition.ledger or default(definition.fields, definition.events)


_CENTRED_VALUES = ("state", "deadline", "replied_on", "overdue_days", "promise")
_CENTRED_TYPES = ("choice", "date", "int", "bool")


def centred(spec: LedgerSpec, definition) -> tuple[bool, ...]:
    """Per column, whether its values are short (dates, counts, states, choices) and read
    better centred under their headers; names and text stay left."""
    fields = definition.fields
    return tuple(column.value in _CENTRED_VALUES if column.value is not None
                 else (column.field in fields and fields[column.field].type in _CENTRED_TYPES)
                 if column.field is not None else column.show != "data" for column in spec.columns)


def shows_people(spec: LedgerSpec, definition) -> bool:
    """Whether a column shows a person field (its names are then read for the ledger)."""
    fields = definition.fields
    return any(column.field in fields and fields[column.field].type == "person" for column in spec.columns)


def cells(spec: LedgerSpec, builtins: dict, item, names: dict[str, str], people: dict[str, str]) -> tuple:
    """The row's values under `spec.headers`. `builtins`: the row's built-in values by name;
    `item`: the replayed item (fields, events, workflow); `names`: unit id → name; `people`:
    person id → name."""
    fields, zone = item.fields, item.workflow.zone
    types = _types(item.workflow.definition)
    occurrences: dict[str, list] | None = None
    values = []
    for column in spec.columns:
        if column.value is not None:
            values.append(builtins[column.value])
        elif column.field is not None:
            kind = types.get(column.field, "text")
            values.append(field_cell(fields.get(column.field), kind, people if kind == "person" else names))
        else:
            if occurrences is None:
                occurrences = {}
                for event in item.events:
                    occurrences.setdefault(event.event, []).append(event)
            values.append(_event_cell(column, occurrences.get(column.event, ()), zone, types, names))
    return tuple(values)


@lru_cache(maxsize=64)  # a definition is hashed by identity: one per version, compiled once
def _types(definition) -> dict[str, str]:
    return {name: field.type for name, field in definition.fields.items()}


def field_cell(value, kind: str, names: dict[str, str]):
    """A field's value as a cell: "" for an empty text, None for an empty date or number."""
    if value is None or value == "" or value == []:
        return None if kind in ("int", "date") else ""
    if kind in ("unit", "person"):  # `names`: of units, or of people
        return names.get(str(value), str(value))
    if kind == "units" or isinstance(value, list):
        return _(JOIN).join(names.get(str(one), str(one)) if kind == "units" else str(one) for one in value)
    if kind == "bool" and isinstance(value, bool):
        return _(YES_NO[value])
    if kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    if kind == "int" and isinstance(value, int):
        return value
    return str(value)


def _event_cell(column: LedgerColumn, events, zone, types: dict[str, str], names: dict[str, str]):
    if column.when:
        events = [event for event in events if matches(event.data, column.when)]
    if column.show == "count":
        if column.part is None:
            return len(events)
        part = sum(matches(event.data, column.part.when) for event in events)
        return _("{count} ({label} {part})").format(count=len(events), label=column.part.label, part=part)
    if not events:
        return "" if column.show == "data" else None
    chosen = events[0] if column.show == "date" else events[-1]
    if column.show == "data":
        return field_cell(chosen.data.get(column.key), types.get(column.key, "text"), names)
    return datetime.fromisoformat(chosen.occurred_at).astimezone(zone).date()
