"""The organisation file (SPEC §8): units, people with roles, deputies, and optionally the
issuer of its reports (`issuer: {name: 西平县人民政府, short: 西平县}`); checked with pydantic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator, model_validator

from banli.engine import limits
from banli.engine.model import GLOBAL_ROLES
from banli.files import read_yaml_model


def _checked(problem):
    """A pydantic check from a `limits` rule: the database refuses what the rule refuses."""
    def check(value: str) -> str:
        reason = problem(value)
        if reason:
            raise ValueError(reason)
        return value
    return AfterValidator(check)


Id = Annotated[str, _checked(limits.id_problem)]
Name = Annotated[str, _checked(limits.name_problem)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitSpec(_Strict):
    id: Id
    name: Name
    government: bool = True


class PersonSpec(_Strict):
    id: Id
    name: Name
    roles: list[str] = []
    unit: str | None = None
    deputy: Name | None = None
    email: str | None = None

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        unknown = [role for role in roles if role not in GLOBAL_ROLES]
        if unknown:
            raise ValueError(f"unknown role {unknown[0]!r}; roles are: {', '.join(GLOBAL_ROLES)}")
        return roles


class IssuerSpec(_Strict):
    """Who signs the organisation's reports: `name` in the title and the signature, `short`
    (the county's name) where the text speaks of the county."""

    name: str
    short: str | None = None

    @field_validator("name", "short")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or not value.isprintable()):
            raise ValueError("the issuer's name must be printable text, e.g. 西平县人民政府")
        return value.strip() if value is not None else None


class OrgFile(_Strict):
    issuer: IssuerSpec | None = None
    units: list[UnitSpec] = []
    people: list[PersonSpec] = []
    deputies: list[Name] = []

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
