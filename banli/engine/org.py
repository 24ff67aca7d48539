"""The organisation file (SPEC §8): units, people with roles, deputies, and optionally the
issuer of its reports (`issuer: {name: 西平县人民政府, short: 西平县}`); each record checked
with pydantic, the file as a whole (ids unique, units that exist) here, and every problem
named with its line (`read_org`)."""

from __future__ import annotations

from email.errors import MessageError
from email.headerregistry import Address
from pathlib import Path
from typing import Annotated, Callable, ClassVar, Iterator, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator, model_validator

from banli.engine import limits
from banli.engine.model import GLOBAL_ROLES, SYSTEM
from banli.engine.org_file import Checker, dotted, read_mapping
from banli.i18n import N_, _

# The widths the org file is held to, so that SQLite and PostgreSQL take the same files. Ids
# are columns of limits.MAX_ID; a deputy's name is a primary key, and a PostgreSQL index
# holds at most 2,704 bytes: 200 characters (800 bytes in UTF-8) is far from both that and
# any real name of a person or a unit.
MAX_ID = limits.MAX_ID
MAX_NAME = 200
MAX_EMAIL = 254  # RFC 5321's limit of a forward path, less its angle brackets
# A unit list (`--data co_units=a,b`, an import cell) is split at these; '/' joins an item's
# ref and a unit's id into the ref of the unit's child item.
_UNIT_ID_RESERVED = ",，、;；/"


def id_problem(text: str) -> str | None:
    """What is wrong with `text` as the id of a unit or a person, or None."""
    if not text.strip():
        return _("the id is empty; every unit and person needs one, such as zjj or wang")
    if text != text.strip():
        return _("the id {id} begins or ends with a space; remove it").format(id=repr(text))
    surrogate = limits.not_text(text)
    if surrogate:
        return _("the id contains {what}, which is not a character; remove it").format(what=surrogate)
    return limits.id_problem(text)


def name_problem(text: str) -> str | None:
    """What is wrong with `text` as a name (of a unit, a person, a deputy), or None."""
    if not text.strip():
        return _("the name is empty; write the name, such as 县住建局 or 张三")
    if len(text) > MAX_NAME:
        return _("the name {name} is {length} characters long; a name has at most {most}").format(
            name=limits.shown(text), length=len(text), most=MAX_NAME)
    surrogate = limits.not_text(text)
    if surrogate:
        return _("the name contains {what}, which is not a character; remove it").format(what=surrogate)
    return limits.name_problem(text)


def email_problem(address: str) -> str | None:
    """What is wrong with `address` as a person's e-mail address, or None: one plain address
    (`li@zjj.xiping.gov.cn`: no name, no angle brackets, no comment, no second address), as
    the standard library's RFC 5322 parser reads it, to a domain with a dot."""
    if len(address) > MAX_EMAIL:
        return _("the e-mail address is {length} characters long; an address has at most {most}").format(
            length=len(address), most=MAX_EMAIL)
    example, shown = _("write one address such as li@zjj.xiping.gov.cn"), limits.shown(address)
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, MessageError):
        return _("'{address}' is not an e-mail address; {example}").format(address=shown, example=example)
    if parsed.addr_spec != address or not parsed.username:
        return _("'{address}' is not one plain e-mail address; {example}").format(address=shown, example=example)
    domain = parsed.domain
    if not domain.startswith("[") and ("." not in domain or any(
            not label or label.startswith("-") or label.endswith("-") for label in domain.split("."))):
        return _("'{address}' has no valid domain after the '@'; {example}").format(address=shown, example=example)
    return None


def _checked(problem: Callable[[str], str | None]):
    """A pydantic check from a rule above: the database refuses nothing the rule lets pass."""
    def check(value: str) -> str:
        reason = problem(value)
        if reason:
            raise ValueError(reason)
        return value
    return AfterValidator(check)


Id = Annotated[str, _checked(id_problem)]
Name = Annotated[str, _checked(name_problem)]
Email = Annotated[str, _checked(email_problem)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitSpec(_Strict):
    noun: ClassVar[str] = N_("a unit")
    example: ClassVar[str] = "{id: zjj, name: 县住建局, government: true}"

    id: Id
    name: Name
    government: bool = True

    @field_validator("id")
    @classmethod
    def _listable(cls, value: str) -> str:
        reserved = [mark for mark in _UNIT_ID_RESERVED if mark in value]
        if reserved:
            raise ValueError(_("the unit id {id} contains {mark}; lists of units are split at "
                               "， , 、 ; ； and '/' names a unit's child item, so a unit id has none of them").format(
                id=repr(value), mark=repr(reserved[0])))
        return value


class PersonSpec(_Strict):
    noun: ClassVar[str] = N_("a person")
    example: ClassVar[str] = "{id: li, name: 李华, roles: [unit], unit: zjj}"

    id: Id
    name: Name
    roles: list[str] = []
    unit: Optional[str] = None
    deputy: Optional[Name] = None
    email: Optional[Email] = None

    @field_validator("id")
    @classmethod
    def _not_system(cls, value: str) -> str:
        if value == SYSTEM:
            raise ValueError(_("the id '{system}' is reserved for banli's scheduler, which acts as '{system}'; "
                               "choose another id").format(system=SYSTEM))
        return value

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        unknown = [role for role in roles if role not in GLOBAL_ROLES]
        if unknown:
            raise ValueError(_("unknown role {role}; roles are: {roles}").format(
                role=repr(unknown[0]), roles=", ".join(GLOBAL_ROLES)))
        return roles


class IssuerSpec(_Strict):
    """Who signs the organisation's reports: `name` in the title and the signature, `short`
    (the county's name) where the text speaks of the county."""

    noun: ClassVar[str] = N_("the issuer")
    example: ClassVar[str] = "{name: 西平县人民政府, short: 西平县}"

    name: str
    short: Optional[str] = None

    @field_validator("name", "short")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or not value.isprintable()):
            raise ValueError(_("the issuer's name must be printable text, e.g. 西平县人民政府"))
        if value is not None and len(value) > MAX_NAME:
            raise ValueError(_("the issuer's name is {length} characters long; a name has at most {most}").format(
                length=len(value), most=MAX_NAME))
        return value.strip() if value is not None else None


class OrgFile(_Strict):
    noun: ClassVar[str] = N_("an organisation file")

    issuer: Optional[IssuerSpec] = None
    units: list[UnitSpec] = []
    people: list[PersonSpec] = []
    deputies: list[Name] = []

    @model_validator(mode="after")
    def _references(self) -> "OrgFile":
        for where, message in org_problems(self.units, self.people):
            raise ValueError(f"{dotted(where)}: {message}")
        return self

    def all_deputies(self) -> list[str]:
        names = list(self.deputies) + [p.deputy for p in self.people if p.deputy]
        return list(dict.fromkeys(names))


def org_problems(units: list[UnitSpec | None], people: list[PersonSpec | None],
                 place: Callable[[tuple], str] = dotted) -> Iterator[tuple[tuple, str]]:
    """What is wrong between the records of a file, as (where, message): an id listed twice, a
    person of a unit the file does not list, a unit or deputy role without its unit or name.
    A record that failed its own checks is None; it keeps its place. `place` names where
    the first of a repeated id stands."""
    first_unit: dict[str, int] = {}
    for index, unit in enumerate(units):
        if unit is not None and unit.id in first_unit:
            yield ("units", index, "id"), _("the unit id {id} is listed twice (first at {first}); list each unit once") \
                .format(id=repr(unit.id), first=place(("units", first_unit[unit.id], "id")))
        elif unit is not None:
            first_unit[unit.id] = index
    first_person: dict[str, int] = {}
    every_unit_read = None not in units
    for index, person in enumerate(people):
        if person is None:
            continue
        if person.id in first_person:
            yield ("people", index, "id"), _("the person id {id} is listed twice (first at {first}); "
                                             "list each person once").format(
                id=repr(person.id), first=place(("people", first_person[person.id], "id")))
        else:
            first_person[person.id] = index
        if person.unit is not None and every_unit_read and person.unit not in first_unit:
            yield ("people", index, "unit"), _("person {person} belongs to unit {unit}, which the file does not "
                                               "list under units; add it or correct the id").format(
                person=repr(person.id), unit=repr(limits.shown(person.unit)))
        if "unit" in person.roles and not person.unit:
            yield ("people", index, "roles"), _("person {person} has the role unit but no 'unit'; "
                                                "add the id of their unit, such as unit: zjj").format(person=repr(person.id))
        if "deputy" in person.roles and not person.deputy:
            yield ("people", index, "roles"), _("person {person} has the role deputy but no 'deputy'; "
                                                "add the deputy's name, such as deputy: 张三").format(person=repr(person.id))


def read_org(path: str | Path) -> OrgFile:
    """Read and check an organisation file. Every problem is a `Problem` at its line and
    column, all of them in one DefinitionErrors (exit 3), and then nothing is returned."""
    document = read_mapping(path)
    check = Checker(document, str(path))
    for key in document:
        if key not in OrgFile.model_fields:
            check.add((key,), _("unknown key {key}; {noun} has the keys {keys}").format(
                key=repr(key), noun=_(OrgFile.noun), keys=", ".join(OrgFile.model_fields)), key=True)
    issuer = check.record(IssuerSpec, ("issuer",), document["issuer"]) if document.get("issuer") is not None else None
    sections = {}
    for section, model, expected in (
            ("units", UnitSpec, N_("a list of unit records is expected here, such as [{example}]")),
            ("people", PersonSpec, N_("a list of person records is expected here, such as [{example}]"))):
        raw = document.get(section) or []
        if not isinstance(raw, list):
            check.add((section,), _(expected).format(example=model.example))
            raw = []
        sections[section] = [check.record(model, (section, index), entry) for index, entry in enumerate(raw)]
    deputies = check.record(OrgFile, (), {"deputies": document.get("deputies") or []})
    for where, message in org_problems(sections["units"], sections["people"], place=check.line_of):
        check.add(where, message)
    check.fail_if_any()
    return OrgFile(issuer=issuer, units=sections["units"], people=sections["people"], deputies=deputies.deputies)
