"""People's words for what banli keeps by id: a unit or a person may be given by its name
(县教育局, 邵振华) as well as its id (jyj, ld-1), and a date as people write it (2026/6/4,
2026.6.4, 2026年6月4日; Excel writes 2026/1/10 9:30 into a CSV on a Chinese Windows) as well
as 2026-06-04. What is stored is always the id and ISO text."""

from __future__ import annotations

import re

from banli.errors import InvalidInput
from banli.i18n import N_, _

_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_CLOCK = re.compile(r"T?\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?")  # 9:30, or 9：30 typed in Chinese
_REFUSALS = {  # kind → (a name several share, a name nobody has)
    "unit": (N_("'{key}': {count} units are called {name} ({ids}); give the id of the one you mean"),
             N_("'{key}': no unit '{name}' in the organisation file (by id or by name); see 'banli org show' for units")),
    "person": (N_("'{key}': {count} persons are called {name} ({ids}); give the id of the one you mean"),
               N_("'{key}': no person '{name}' in the organisation file (by id or by name); "
                  "see 'banli org show' for people")),
}


def iso_text(text: str) -> str:
    """`text` with a date written as people write it (2026/6/4, 2026年6月4日, a time after it
    or not) turned into ISO (2026-06-04, 2026-06-04T09:30); anything else as it was."""
    stripped = text.strip()
    day = _DAY.match(stripped)
    if day is None:
        return stripped
    year, month, dom = day.groups()
    iso = f"{year}-{int(month):02d}-{int(dom):02d}"
    rest = stripped[day.end():]
    if not rest:
        return iso
    clock = _CLOCK.fullmatch(rest)
    if clock is None:
        return iso + rest  # an offset or seconds in ISO form: left for the ISO parser to judge
    hour, minute, second = clock.groups()
    return f"{iso}T{int(hour):02d}:{minute}" + (f":{second}" if second else "")


def unit_ids(org, given: list[str], key: str) -> list[str]:
    """The ids of `given` units, each an id or a unit's name; `org`: what `Tx.org_names` gives."""
    return [_one(org.units, name, key, "unit") for name in given]


def person_id(org, given: str, key: str) -> str:
    """The id of the person `given` by id or by name (a name two people share is refused)."""
    return _one(org.people, given, key, "person")


def _one(names: dict[str, str], given: str, key: str, kind: str) -> str:
    if given in names:
        return given
    found = [ident for ident, name in names.items() if name == given]
    if len(found) == 1:
        return found[0]
    shared, unknown = _REFUSALS[kind]
    if found:
        raise InvalidInput(_(shared).format(key=key, count=len(found), name=given, ids=", ".join(sorted(found))))
    raise InvalidInput(_(unknown).format(key=key, name=given))
