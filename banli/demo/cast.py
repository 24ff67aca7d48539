"""Who plays which part in the demo year, read from the organisation file: each unit's
leader and handler, the supervision office, the reviewers, the congress office, the county
leaders and the deputies' own accounts."""

from __future__ import annotations

from dataclasses import dataclass

from banli.engine.org import OrgFile


@dataclass(frozen=True, kw_only=True)
class Staff:
    """A unit's leader (signs replies, 责任领导) and handler (fires its events, 具体责任人)."""

    unit: str
    unit_name: str
    leader: str
    leader_name: str
    handler: str
    handler_name: str
    phone: str


@dataclass(frozen=True, kw_only=True)
class Cast:
    staff: dict[str, Staff]
    government: dict[str, bool]
    supervisors: tuple[str, ...]
    registrar: str
    reviewer: str
    npc_office: str
    deputies: tuple[str, ...]
    deputy_person: dict[str, str]  # deputy's name -> their person id
    leaders: tuple[str, ...] = ()  # county leaders (分管县领导), who lead key suggestions

    @classmethod
    def from_org(cls, org: OrgFile) -> Cast:
        names = {unit.id: unit.name for unit in org.units}
        members: dict[str, list] = {}
        for person in org.people:
            if "unit" in person.roles:
                members.setdefault(person.unit, []).append(person)
        staff = {}
        for index, (unit, people) in enumerate(members.items()):
            leader, handler = people[0], people[min(1, len(people) - 1)]
            staff[unit] = Staff(unit=unit, unit_name=names[unit], leader=leader.id, leader_name=leader.name,
                                handler=handler.id, handler_name=handler.name, phone=f"0396-62{31 + index:02d}{index * 37 % 100:02d}")

        def holders(role: str) -> list[str]:
            return [person.id for person in org.people if role in person.roles]

        deputy_person = {person.deputy: person.id for person in org.people if person.deputy}
        return cls(staff=staff, government={unit.id: unit.government for unit in org.units},
                   supervisors=tuple(holders("supervisor")), registrar=holders("registrar")[0], reviewer=holders("reviewer")[0],
                   npc_office=holders("npc_office")[0], deputies=tuple(deputy_person), deputy_person=deputy_person,
                   leaders=tuple(holders("leader")))

    def is_government(self, unit: str) -> bool:
        return self.government.get(unit, False)

    def government_units(self) -> list[str]:
        return [unit for unit in self.staff if self.is_government(unit)]
