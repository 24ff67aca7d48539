"""The organisation file (SPEC §8): units, people with roles, deputies; checked with pydantic."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from banli.engine.model import GLOBAL_ROLES
from banli.files import read_yaml_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitSpec(_Strict):
    id: str
    name: str
    government: bool = True


class PersonSpec(_Strict):
    id: str
    name: str
    roles: list[str] = []
    unit: str | None = None
    deputy: str | None = None
    email: str | None = None

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        unknown = [role for role in roles if role not in GLOBAL_ROLES]
        if unknown:
            raise ValueError(f"unknown role {unknown[0]!r}; roles are: {', '.join(GLOBAL_ROLES)}")
        return roles


class OrgFile(_Strict):
    units: list[UnitSpec] = []
    people: list[PersonSpec] = []
    deputies: list[str] = []

    @model_validator(mode="after")
    def _references(self) -> "OrgFile":
        unit_ids = {unit.id for unit in self.units}
        for person in self.people:
            if person.unit and person.unit not in unit_ids:
                raise ValueError(f"person {person.id!r} belongs to unit {person.unit!r}, which the file does not list")
            if "unit" in person.roles and not person.unit:
                raise ValueError(f"person {person.id!r} has the role unit but no 'unit'")
            if "deputy" in person.roles and not person.deputy:
                raise ValueError(f"person {person.id!r} has the role deputy but no 'deputy' (the deputy's name)")
        return self

    def all_deputies(self) -> list[str]:
        names = list(self.deputies) + [p.deputy for p in self.people if p.deputy]
        return list(dict.fromkeys(names))


def read_org(path: str | Path) -> OrgFile:
    """Read and check an organisation file; one clear InvalidInput on any problem."""
    return read_yaml_model(path, OrgFile, "organisation file")
