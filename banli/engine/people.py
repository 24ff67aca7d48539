"""Whom a role reaches: everyone of the organisation indexed by role, unit and deputy, so that
a sweep resolves the roles of thousands of reminders without a query or a walk each."""

from __future__ import annotations

from banli.engine.records import Person


class People:
    """Everyone in the organisation (in the order of their ids), resolving the roles a message
    goes to; whoever a role resolves to comes in that order."""

    def __init__(self, everyone: list[Person]) -> None:
        self.everyone = everyone
        self._holders: dict[str, list[Person]] = {}  # role → its holders
        self._staff: dict[str, list[Person]] = {}  # unit → its people with the role `unit`
        self._deputies: dict[str, list[Person]] = {}  # deputy → the people acting as them
        for person in everyone:
            for role in person.roles:
                self._holders.setdefault(role, []).append(person)
            if "unit" in person.roles and person.unit:
                self._staff.setdefault(person.unit, []).append(person)
            if person.deputy:
                self._deputies.setdefault(person.deputy, []).append(person)
        self._order = {person.id: position for position, person in enumerate(everyone)}

    def with_role(self, role: str, *, units: list[str] = (), deputies: list[str] = ()) -> list[Person]:
        """A unit's staff (`lead_unit`, `co_unit`), an item's deputies (`own_deputy`), or every
        holder of a global role."""
        if role in ("lead_unit", "co_unit"):
            return self._in_order(self._staff, units)
        if role == "own_deputy":
            return self._in_order(self._deputies, deputies)
        return list(self._holders.get(role, ()))

    def _in_order(self, index: dict[str, list[Person]], keys) -> list[Person]:
        keys = set(keys)
        if len(keys) == 1:
            return list(index.get(next(iter(keys)), ()))
        found = [person for key in keys for person in index.get(key, ())]
        return sorted({person.id: person for person in found}.values(), key=lambda person: self._order[person.id])
