"""Typing of field and data values: what a user typed (`--data k=v`, a JSON file, a
spreadsheet cell) becomes the value a field of that type holds, or a clear error."""

from __future__ import annotations

import re
from datetime import date

from banli.engine import links, naming
from banli.engine.limits import shown
from banli.engine.model import Choices
from banli.engine.times import check_year
from banli.errors import InvalidInput
from banli.i18n import _

_TRUE = {"true", "yes", "1", "是", "y"}
_FALSE = {"false", "no", "0", "否", "n"}
_LIST_SPLIT = re.compile(r"[,，、;；]")
_INT = re.compile(r"[+-]?\d+")
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def coerce(tx, kind: str, choices: tuple[str, ...], value: object, key: str) -> object:
    """`value` as a `kind` value; `tx` answers whether units and people exist."""
    if kind == "text":
        return str(value).strip()
    if kind == "int":
        return _whole_number(value, key)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise InvalidInput(_("'{key}' must be true or false (是/否), not {value}").format(key=key, value=repr(value)))
    if kind == "date":
        try:
            day = value if isinstance(value, date) else date.fromisoformat(naming.iso_text(str(value))[:10])
        except ValueError:
            raise InvalidInput(_("'{key}' must be a date like 2023-05-10 or 2023/5/10, not {value}").format(
                key=key, value=repr(value))) from None
        check_year(day.year, f"'{key}' {day.isoformat()}")
        return day.isoformat()
    if kind == "choice":
        text = str(value).strip()
        chosen = choices.value_of(text) if isinstance(choices, Choices) else text if text in choices else None
        if chosen is None:
            named = choices.labels if isinstance(choices, Choices) else {}
            listed = ", ".join(f"{choice} ({named[choice]})" if choice in named else choice for choice in choices)
            raise InvalidInput(_("'{key}' must be one of {choices}; got {value}").format(
                key=key, choices=listed, value=repr(text)))
        return chosen
    if kind == "unit":
        return _units(tx, [str(value).strip()], key)[0]
    if kind == "units":
        units = value if isinstance(value, list) else [part for part in _LIST_SPLIT.split(str(value))]
        return _units(tx, [str(unit).strip() for unit in units if str(unit).strip()], key)
    if kind == "person":
        person = str(value).strip()
        return person if tx.person_exists(person) else naming.person_id(tx.org_names(), person, key)
    if kind == "items":
        return links.refs(tx, value, key)
    raise InvalidInput(f"'{key}' has an unknown type {kind}")


def _whole_number(value: object, key: str) -> int:
    """`value` as an int of at most 64 bits, what a database integer holds; the digits are
    counted before int(), which refuses more than 4,300 of them with an error of its own."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not _INT.fullmatch(text):
        raise InvalidInput(_("'{key}' must be a whole number, not {value}").format(key=key, value=repr(shown(str(value)))))
    if len(text) > 25 or not INT_MIN <= int(text) <= INT_MAX:
        raise InvalidInput(_("'{key}' {value} is too large: a whole number is at most {maximum} either side of 0").format(
            key=key, value=shown(text), maximum=f"{INT_MAX:,}"))
    return int(text)


def _units(tx, units: list[str], key: str) -> list[str]:
    """The units' ids: given as ids (asked of `tx` as such), or else by their names."""
    return units if not tx.missing_units(units) else naming.unit_ids(tx.org_names(), units, key)
