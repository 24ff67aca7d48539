"""What a transaction answers about the organisation (units, deputies, people): each name
asked once per transaction, as a replay or an import names the same units again and again."""

from __future__ import annotations

from sqlalchemy import select

from banli.engine.records import OrgNames, Person
from banli.store.schema import deputy_t, person_t, unit_t

_PEOPLE = select(person_t).order_by(person_t.c.id)


def person_from_row(row) -> Person:
    return Person(id=row.id, name=row.name, email=row.email, roles=frozenset(filter(None, row.roles.split(","))),
                  unit=row.unit_id, deputy=row.deputy)


class OrgReader:
    """The `ports.Organisation` half of `Tx`, over its `_connection` and its `_org` memo
    (column → name → whether the organisation has it)."""

    _connection = None
    _org: dict

    def deputy_names(self) -> list[str]:
        return [name for (name,) in self._connection.execute(select(deputy_t.c.name))]

    def unknown_deputies(self, names: list[str]) -> list[str]:
        known = self._existing(deputy_t.c.name, names)
        return [name for name in names if name not in known]

    def missing_units(self, units: list[str]) -> list[str]:
        known = self._existing(unit_t.c.id, units)
        return [unit for unit in units if unit not in known]

    def unit_names(self, units: list[str]) -> list[str]:
        names = dict(self._connection.execute(select(unit_t.c.id, unit_t.c.name).where(unit_t.c.id.in_(units))).all())
        return [names.get(unit, unit) for unit in units]

    def person_exists(self, person: str) -> bool:
        return person in self._existing(person_t.c.id, [person])

    def people(self) -> list[Person]:
        return [person_from_row(row) for row in self._connection.execute(_PEOPLE)]

    def org_names(self) -> OrgNames:
        connection = self._connection
        return OrgNames(
            deputies=tuple(name for (name,) in connection.execute(select(deputy_t.c.name).order_by(deputy_t.c.name))),
            units=dict(connection.execute(select(unit_t.c.id, unit_t.c.name)).all()),
            people=dict(connection.execute(select(person_t.c.id, person_t.c.name)).all()),
        )

    def _existing(self, column, names: list[str]) -> set[str]:
        """Those of `names` the organisation's `column` holds, each asked once per transaction."""
        asked = self._org.setdefault(column, {})
        new = [name for name in dict.fromkeys(names) if name not in asked]
        if new:
            found = {value for (value,) in self._connection.execute(select(column).where(column.in_(new)))}
            asked.update((name, name in found) for name in new)
        return {name for name in names if asked[name]}
