"""Who an item's roles are: its assignments (the lead unit, then each co-unit), and the
item-relative roles (`lead_unit`, `co_unit`, `own_deputy`, and those person fields declare,
`banli.engine.field_roles`) as held by someone acting on the
item and as the people a message to those roles reaches. The one place that says so: the
runtime, the sweep, bulk registration and the stores ask here."""

from __future__ import annotations

from typing import Callable

from banli.engine.field_roles import holder
from banli.engine.model import GLOBAL_ROLES
from banli.engine.people import People
from banli.engine.records import Actor, Person

UNIT_ROLES = ("lead_unit", "co_unit")  # held by the staff (role `unit`) of the units an item names


def assignments(lead: str | None, co_units: list[str]) -> list[tuple[str, str]]:
    """(unit, "lead" or "co") of an item's assignment rows: the lead first, then each co-unit
    other than the lead."""
    return ([(lead, "lead")] if lead else []) + [(unit, "co") for unit in co_units if unit != lead]


def units_in_role(role: str, fields: dict) -> list[str]:
    """The units whose staff hold `role` (`lead_unit` or `co_unit`) on an item with `fields`."""
    if role == "lead_unit":
        return [fields["lead_unit"]] if fields.get("lead_unit") else []
    return list(fields.get("co_units") or [])


def holds_role(actor: Actor, roles: tuple[str, ...], fields: dict, deputies: Callable[[], list[str]]) -> bool:
    """Whether `actor` holds one of `roles` on an item with `fields` and the deputies
    `deputies()` gives (asked only when `own_deputy` is among the roles)."""
    if actor.roles & set(roles):
        return True
    if actor.unit and "unit" in actor.roles and any(
            actor.unit in units_in_role(role, fields) for role in roles if role in UNIT_ROLES):
        return True
    if any(actor.id == holder(role, fields) for role in roles):  # a role a person field declares
        return True
    return "own_deputy" in roles and bool(actor.deputy) and actor.deputy in deputies()


def reached(people: People, roles: tuple[str, ...], fields: dict, deputies: Callable[[], list[str]]) -> list[Person]:
    """Everyone a message to `roles` on the item reaches, once each, in the order found."""
    found = []
    for role in roles:
        if role in UNIT_ROLES:
            found += people.with_role(role, units=units_in_role(role, fields))
        elif role == "own_deputy":
            found += people.with_role(role, deputies=deputies())
        elif role in GLOBAL_ROLES:
            found += people.with_role(role)
        elif held_by := holder(role, fields):  # a role a person field declares
            found += [person for person in people.everyone if person.id == held_by]
    return list({person.id: person for person in found}.values())
