"""The parser's working state and the readers of single values that every section shares.

A reader never raises: it records a positioned problem in the `Context` and returns what it
could make of the value, so that parsing carries on and every problem is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from banli.engine.durations import Duration, parse_duration
from banli.engine.keys import LABEL, Section
from banli.engine.load import Located, LocatedList, Position
from banli.engine.model import GLOBAL_ROLES, ITEM_ROLES, SYSTEM, Call, Field, Label
from banli.errors import Problem

ALL_ROLES = GLOBAL_ROLES + ITEM_ROLES + (SYSTEM,)
Conditions = tuple[tuple[str, tuple[object, ...]], ...]


class DeferredKind(str, Enum):
    """What a reference to an event must satisfy once every event is parsed."""

    EVENT = "event"  # the event exists
    SYSTEM_EVENT = "system-event"  # … and the system may fire it
    EVENT_IN_STATE = "event-in-state"  # … and it is possible in `Deferred.state`


@dataclass(frozen=True, kw_only=True)
class Deferred:
    """A reference to an event, checked after the events section (it may come later in the file)."""

    position: Position
    kind: DeferredKind
    name: str
    where: str
    state: str | None = None  # for EVENT_IN_STATE


@dataclass(kw_only=True)
class Context:
    """The problems found so far and what later sections need of earlier ones."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)
    fields: dict[str, Field] = field(default_factory=dict)
    state_names: set[str] = field(default_factory=set)
    event_names: set[str] = field(default_factory=set)
    deferred: list[Deferred] = field(default_factory=list)

    def error(self, position: Position, message: str) -> None:
        self.problems.append(Problem(self.file, position[0], position[1], message))

    def defer(self, position: Position, kind: DeferredKind, name: object, where: str, state: str | None = None) -> None:
        self.deferred.append(Deferred(position=position, kind=kind, name=str(name), where=where, state=state))


def kind_of(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


def mapping(ctx: Context, value: object, position: Position, where: str) -> Located | None:
    """`value` as a mapping (an absent one is empty), or None after recording why not."""
    if value is None:
        empty = Located()
        empty.position, empty.key_positions, empty.value_positions = position, {}, {}
        return empty
    if not isinstance(value, Located):
        ctx.error(position, f"{where} must be a mapping, not {kind_of(value)}")
        return None
    return value


def sequence(value: object, position: Position) -> LocatedList:
    """`value` as a list: an absent one is empty, a single value is a list of one."""
    if value is None:
        return LocatedList()
    if isinstance(value, LocatedList):
        return value
    single = LocatedList([value])
    single.position, single.item_positions = position, [position]
    return single


def known_keys(ctx: Context, entry: Located, section: Section, where: str) -> None:
    for key in entry:
        if key not in section:
            ctx.error(entry.key_at(key), f"unknown key '{key}' in {where}; allowed: {section.allowed()}")


def resolve(ctx: Context, entry: Located, key: str) -> object:
    """The value at `key`, with a `$setting` reference replaced by the setting's value."""
    value = entry.get(key)
    if isinstance(value, str) and value.startswith("$"):
        name = value[1:]
        if name not in ctx.settings:
            defined = ", ".join(sorted(ctx.settings)) or "none"
            ctx.error(entry.value_at(key), f"{value} is not defined in settings (defined: {defined})")
            return None
        return ctx.settings[name]
    return value


def duration(ctx: Context, entry: Located, key: str, where: str) -> Duration | None:
    value = resolve(ctx, entry, key)
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        ctx.error(entry.value_at(key), f"{where}: {exc}")
        return None


def boolean(ctx: Context, entry: Located, key: str, where: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        ctx.error(entry.value_at(key), f"{where}.{key} must be true or false, not {value!r}")
        return False
    return value


def label(ctx: Context, entry: Located, key: str, default: str, where: str) -> Label:
    """Text, or `{zh: …, en: …}` where a missing language takes the other's text."""
    value = entry.get(key)
    if value is None:
        return Label(zh=default, en=default)
    if isinstance(value, Located):
        known_keys(ctx, value, LABEL, f"{where}.{key}")
        zh, en = value.get("zh"), value.get("en")
        return Label(zh=str(zh or en or default), en=str(en or zh or default))
    if isinstance(value, (str, int)):
        return Label(zh=str(value), en=str(value))
    ctx.error(entry.value_at(key), f"{where}.{key} must be text or {{zh: …, en: …}}")
    return Label(zh=default, en=default)


def roles(ctx: Context, entry: Located, key: str, where: str, allow_system: bool = True) -> tuple[str, ...]:
    values = sequence(entry.get(key), entry.value_at(key))
    allowed = ALL_ROLES if allow_system else GLOBAL_ROLES + ITEM_ROLES
    result = []
    for index, role in enumerate(values):
        if role not in allowed:
            ctx.error(values.at(index), f"unknown role '{role}' in {where}; roles are: {', '.join(allowed)}")
        else:
            result.append(role)
    return tuple(result)


def when(ctx: Context, entry: Located, key: str, where: str) -> Conditions:
    """`{field: value or [values]}`: the fields must be known, a choice's values its choices."""
    conditions_raw = mapping(ctx, entry.get(key), entry.value_at(key), f"{where}.when")
    if conditions_raw is None:
        return ()
    conditions = []
    for name, value in conditions_raw.items():
        values = tuple(value) if isinstance(value, list) else (value,)
        spec = ctx.fields.get(name)
        if spec is None:
            known = ", ".join(ctx.fields) or "none"
            ctx.error(conditions_raw.key_at(name), f"'when' names unknown field '{name}' in {where}; fields: {known}")
            continue
        if spec.type == "choice":
            values = tuple(str(choice) for choice in values)  # choices and item values are text
            for choice in values:
                if choice not in spec.choices:
                    ctx.error(conditions_raw.value_at(name),
                              f"'{choice}' is not a choice of field '{name}' in {where}; choices: {', '.join(spec.choices)}")
        conditions.append((name, values))
    return tuple(conditions)


def calls(ctx: Context, entry: Located, key: str, known: dict, kind: str, where: str) -> tuple[Call, ...]:
    """Guards or effects: each a registry name, or `{name: {parameters}}`."""
    values = sequence(entry.get(key), entry.value_at(key))
    result = []
    for index, raw in enumerate(values):
        params: dict = {}
        if isinstance(raw, Located) and len(raw) == 1:
            name, raw_params = next(iter(raw.items()))
            params = dict(raw_params) if isinstance(raw_params, dict) else {}
            if raw_params is not None and not isinstance(raw_params, dict):
                ctx.error(values.at(index), f"parameters of {kind} '{name}' must be a mapping")
        elif isinstance(raw, str):
            name = raw
        else:
            ctx.error(values.at(index), f"a {kind} is a name or {{name: {{parameters}}}}, not {kind_of(raw)}")
            continue
        if name not in known:
            ctx.error(values.at(index), f"unknown {kind} '{name}' in {where}; known: {', '.join(sorted(known))}")
            continue
        for param, value in params.items():  # parameters may name settings too
            if isinstance(value, str) and value.startswith("$"):
                if value[1:] not in ctx.settings:
                    ctx.error(values.at(index), f"{value} is not defined in settings ({kind} '{name}' in {where})")
                params[param] = ctx.settings.get(value[1:])
        result.append(Call(name=name, params=tuple(sorted(params.items()))))
    return tuple(result)
