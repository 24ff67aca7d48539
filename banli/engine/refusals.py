"""Wording shared by the runtime's and the import's refusals: the roles an event needs, and a
deputy name the organisation file does not know (with the names it may have meant)."""

from __future__ import annotations

import difflib

from banli.i18n import _, either


def roles_text(roles: tuple[str, ...]) -> str:
    """"the role a or b", as a refusal names what an event needs."""
    return _("the role {roles}").format(roles=either(roles)) if roles else _("a role nobody holds")


def close_names(name: str, known: list[str]) -> list[str]:
    """Up to three of `known` that look like `name` (a typo, a character left out)."""
    return difflib.get_close_matches(name, known, n=3, cutoff=0.3)


def unknown_deputy(name: str, close: list[str]) -> str:
    """The refusal of deputy `name`, suggesting the `close` names if there are any."""
    if close:
        return _("unknown deputy '{name}' (did you mean {close}?); deputies come from the organisation file "
                 "('banli org load')").format(name=name, close="、".join(close))
    return _("unknown deputy '{name}'; deputies come from the organisation file ('banli org load')").format(name=name)


def unknown_deputy_message(name: str, known: list[str]) -> str:
    """The refusal of deputy `name`, the deputies of the organisation being `known`."""
    return unknown_deputy(name, close_names(name, known))
