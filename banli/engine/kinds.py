"""The kinds of value a condition's parts hold (`banli.engine.expressions`) — text, number,
bool, date, list, null — the kind of each field type, and how messages name them."""

from __future__ import annotations

from typing import NamedTuple

from banli.i18n import N_, _


class Kind(NamedTuple):
    """What a part of an expression holds: text, number, bool, date, list or null; a choice's
    values, a list's element kind."""

    name: str
    choices: tuple[str, ...] = ()
    element: str | None = None

    def __str__(self) -> str:
        if self.name == "list" and self.element:
            return _("a list of {kind}").format(kind=_(_ELEMENTS.get(self.element, self.element)))
        return _(_KINDS.get(self.name, self.name))


# How messages name each kind, translated where shown: "the condition is a number", "a list of text".
_KINDS = {"text": N_("a text"), "number": N_("a number"), "bool": N_("a bool"), "date": N_("a date"),
          "list": N_("a list"), "null": N_("null")}
_ELEMENTS = {"text": N_("text"), "number": N_("number"), "bool": N_("bool"), "date": N_("date")}


TEXT, NUMBER, BOOL, DATE, NULL = Kind("text"), Kind("number"), Kind("bool"), Kind("date"), Kind("null")
_FIELD_KINDS = {"unit": TEXT, "choice": TEXT, "text": TEXT, "person": TEXT, "int": NUMBER, "date": DATE,
                "bool": BOOL, "units": Kind("list", element="text"), "items": Kind("list", element="text")}


def kind_of_field(field_type: str, choices: tuple[str, ...] = ()) -> Kind:
    """The kind of a field or data key of type `field_type` (SPEC §7 field types)."""
    kind = _FIELD_KINDS.get(field_type, TEXT)
    return kind._replace(choices=tuple(choices)) if field_type == "choice" else kind
