"""Roles a definition declares on a person field (`role: true`): the person the field names
holds the role on that item only, as the one acting and as the one a notice or a reminder
to the role reaches; banli's own roles are never taken from a field of the same name."""

from __future__ import annotations

from banli.engine.people import People
from banli.engine.records import Actor, Person
from banli.engine.roles import holds_role, reached

ZHOU = Person(id="ld-zhou", name="周副县长", roles=frozenset({"leader"}))
WU = Person(id="ld-wu", name="吴副县长", roles=frozenset({"leader"}))
LI = Person(id="li", name="李华", roles=frozenset({"unit"}), unit="zjj")
PEOPLE = People([ZHOU, WU, LI])


def actor(person: Person) -> Actor:
    return Actor(id=person.id, name=person.name, roles=person.roles, unit=person.unit)


def no_deputies() -> list[str]:
    return []


def test_the_person_a_field_names_holds_its_role_on_that_item_only():
    key = {"lead_leader": "ld-zhou", "lead_unit": "zjj"}
    other = {"lead_leader": "ld-wu", "lead_unit": "zjj"}

    assert holds_role(actor(ZHOU), ("lead_leader",), key, no_deputies)
    assert not holds_role(actor(ZHOU), ("lead_leader",), other, no_deputies)
    assert not holds_role(actor(WU), ("lead_leader",), key, no_deputies)
    assert not holds_role(actor(ZHOU), ("lead_leader",), {}, no_deputies)  # no leader named yet
    assert holds_role(actor(LI), ("lead_leader", "lead_unit"), key, no_deputies)  # the unit, by its own role


def test_a_notice_to_the_role_reaches_the_person_the_field_names():
    fields = {"lead_leader": "ld-zhou", "lead_unit": "zjj"}

    assert [person.id for person in reached(PEOPLE, ("lead_leader", "lead_unit"), fields, no_deputies)] == ["ld-zhou", "li"]
    assert reached(PEOPLE, ("lead_leader",), {}, no_deputies) == []


def test_a_global_role_is_never_taken_from_a_field_of_its_name():
    fields = {"supervisor": "ld-zhou"}  # a person field so named cannot declare a role (the parser refuses it)

    assert not holds_role(actor(ZHOU), ("supervisor",), fields, no_deputies)
    assert reached(PEOPLE, ("supervisor",), fields, no_deputies) == []
