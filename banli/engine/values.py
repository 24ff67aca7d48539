"""Typing of field and data values: what a user typed (`--data k=v`, a JSON file, a
spreadsheet cell) becomes the value a field of that type holds, or a clear error."""

from __future__ import annotations

import re
from datetime import date

from banli.engine import links
from banli.engine.limits import shown
from banli.engine.times import check_year
from banli.errors import InvalidInput

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
        raise InvalidInput(f"'{key}' must be true or false (是/否), not {value!r}")
    if kind == "date":
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise InvalidInput(f"'{key}' must be a date like 2023-05-10, not {value!r}") from None
        check_year(day.year, f"'{key}' {day.isoformat()}")
        return day.isoformat()
    if kind == "choice":
        text = str(value).strip()
        if text not in choices:
            raise InvalidInput(f"'{key}' must be one of {', '.join(choices)}; got {text!r}")
        return text
    if kind == "unit":
        unit = str(value).strip()
        _check_units(tx, [unit], key)
        return unit
    if kind == "units":
        units = value if isinstance(value, list) else [part for part in _LIST_SPLIT.split(str(value))]
        units = [str(unit).strip() for unit in units if str(unit).strip()]
        _check_units(tx, units, key)
        return units
    if kind == "person":
        person = str(value).strip()
        if not tx.person_exists(person):
            raise InvalidInput(f"'{key}': no person '{person}' in the organisation file; see 'banli org show'")
        return person
    if kind == "items":
        return links.refs(tx, value, key)
    raise InvalidInput(f"'{key}' has an unknown type {kind}")


def _whole_number(value: object, key: str) -> int:
    """`value` as an int of at most 64 bits, what a database integer holds; the digits are
    counted before int(), which refuses more than 4,300 of them with an error of its own."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not _INT.fullmatch(text):
        raise InvalidInput(f"'{key}' must be a whole number, not {shown(str(value))!r}")
    if len(text) > 25 or not INT_MIN <= int(text) <= INT_MAX:
        raise InvalidInput(f"'{key}' {shown(text)} is too large: a whole number is at most {INT_MAX:,} "
                           "either side of 0")
    return int(text)


def _check_units(tx, units: list[str], key: str) -> None:
    missing = tx.missing_units(units)
    if missing:
        raise InvalidInput(f"'{key}': no unit '{missing[0]}' in the organisation file; see 'banli org show' for unit ids")
