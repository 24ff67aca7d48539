"""The parser's working state and the readers of single values that every section shares.

A reader never raises: it records a positioned problem in the `Context` and returns what it
could make of the value, so that parsing carries on and every problem is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import re
from typing import Callable

from banli.engine.durations import Duration, parse_duration
from banli.engine.expressions import Expression, ExpressionError, compile_expression
from banli.engine.kinds import kind_of_field
from banli.engine.keys import LABEL, Section
from banli.engine.limits import MAX_ID, shown, text_problem
from banli.engine.load import Located, LocatedList, Position
from banli.engine.model import GLOBAL_ROLES, ITEM_ROLES, SYSTEM, DataSpec, Field, Label
from banli.engine.workhours import OfficeHours
from banli.errors import Problem
from banli.i18n import N_, _

ALL_ROLES = GLOBAL_ROLES + ITEM_ROLES + (SYSTEM,)
Conditions = tuple[tuple[str, tuple[object, ...]], ...]
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")  # fields, states, events
MAX_NAME = MAX_ID  # the store keeps state and event names (and the workflow's id) in columns this wide
MAX_LABEL = 200  # a label names a thing in a table or a heading: more is a slip (no column limits it)
SCALARS = (str, int, float)  # bool is an int: `true` is a value too
# What `name` calls the thing a key names, in messages (translated where shown).
WHATS = {"field": N_("field"), "state": N_("state"), "event": N_("event"), "campaign": N_("campaign")}


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
    office_hours: tuple[tuple[int, int], ...] = ()  # read first: durations in workhours need them
    # whether a workflow another one names (`spawn_children`) exists; None: not checked (no store)
    workflow_exists: Callable[[str], bool] | None = None

    def error(self, position: Position, message: str) -> None:
        self.problems.append(Problem(self.file, position[0], position[1], message))

    def defer(self, position: Position, kind: DeferredKind, name: object, where: str, state: str | None = None) -> None:
        self.deferred.append(Deferred(position=position, kind=kind, name=str(name), where=where, state=state))


def show(value: object, width: int = 40) -> str:
    """A value as a message quotes it: text as it is, anything else as YAML would read it
    back; one line, cut at `width` characters."""
    return shown(value if isinstance(value, str) else repr(value), width)


def kind_of(value: object) -> str:
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a mapping")
    if value is None:
        return _("nothing (null)")
    return f"{type(value).__name__} {show(value)}"


def name(ctx: Context, raw: Located, key: object, what: str, pattern: re.Pattern | None = NAME) -> str:
    """A key naming a field, state, event or campaign: `pattern` (lower-case letters, digits and
    '_' by default) and at most `MAX_NAME` characters; returns it as text."""
    text = str(key)
    thing = _(WHATS[what]) if what in WHATS else what
    if len(text) > MAX_NAME:
        ctx.error(raw.key_at(key), _("{thing} '{name}': a name has at most {limit} characters, not {length}").format(
            thing=thing, name=show(text), limit=MAX_NAME, length=len(text)))
    elif pattern is not None and not pattern.match(text):
        ctx.error(raw.key_at(key), _("{thing} '{name}': names are lower-case letters, digits and '_'").format(
            thing=thing, name=show(text)))
    elif pattern is None and not text.strip():
        ctx.error(raw.key_at(key), _("a {thing} needs a name, not empty text").format(thing=thing))
    elif pattern is None and text_problem(text):
        ctx.error(raw.key_at(key), _("{thing} '{name}': the name {problem}").format(
            thing=thing, name=show(text), problem=text_problem(text)))
    return text


def mapping(ctx: Context, value: object, position: Position, where: str) -> Located | None:
    """`value` as a mapping (an absent one is empty), or None after recording why not."""
    if value is None:
        empty = Located()
        empty.position, empty.key_positions, empty.value_positions = position, {}, {}
        return empty
    if not isinstance(value, Located):
        ctx.error(position, _("{where} must be a mapping, not {kind}").format(where=where, kind=kind_of(value)))
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
            ctx.error(entry.key_at(key), _("unknown key '{key}' in {where}; allowed: {allowed}").format(
                key=show(key), where=where, allowed=section.allowed()))


def resolve(ctx: Context, entry: Located, key: str) -> object:
    """The value at `key`, with a `$setting` reference replaced by the setting's value."""
    value = entry.get(key)
    if isinstance(value, str) and value.startswith("$"):
        setting = value[1:]
        if setting not in ctx.settings:
            defined = ", ".join(sorted(ctx.settings)) or _("none")
            ctx.error(entry.value_at(key), _("{value} is not defined in settings (defined: {defined})").format(
                value=show(value), defined=show(defined, 200)))
            return None
        return ctx.settings[setting]
    return value


def duration(ctx: Context, entry: Located, key: str, where: str) -> Duration | None:
    value = resolve(ctx, entry, key)
    if value is None:
        return None
    try:
        parsed = parse_duration(value)
    except ValueError as exc:
        ctx.error(entry.value_at(key), _("{where}: {problem}").format(where=where, problem=exc))
        return None
    if parsed.unit == "workhours" and not ctx.office_hours:
        ctx.error(entry.value_at(key), _("{where}: '{duration}' counts office time, but the definition has no "
                                         "office_hours; add e.g. office_hours: ['08:30-12:00', '14:30-18:00']").format(
            where=where, duration=parsed))
    elif parsed.unit == "workhours" and parsed.amount > OfficeHours(ctx.office_hours).cap:
        ctx.error(entry.value_at(key), _("{where}: a duration of {duration} is too long: at most {cap} workhours "
                                         "(ten years of office days)").format(
            where=where, duration=parsed, cap=f"{OfficeHours(ctx.office_hours).cap:,}"))
    return parsed


def boolean(ctx: Context, entry: Located, key: str, where: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        ctx.error(entry.value_at(key), _("{where}.{key} must be true or false, not {kind}").format(
            where=where, key=key, kind=kind_of(value)))
        return False
    return value


def label(ctx: Context, entry: Located, key: str, default: str, where: str) -> Label:
    """Text, or `{zh: …, en: …}` where a missing language takes the other's text."""
    value = entry.get(key)
    if value is None:
        return Label(zh=default, en=default)
    if isinstance(value, Located):
        known_keys(ctx, value, LABEL, f"{where}.{key}")
        zh = _label_text(ctx, value, "zh", f"{where}.{key}")
        en = _label_text(ctx, value, "en", f"{where}.{key}")
        return Label(zh=zh or en or default, en=en or zh or default)
    text = _label_text(ctx, entry, key, where)
    return Label(zh=text, en=text) if text else Label(zh=default, en=default)


def _label_text(ctx: Context, entry: Located, key: str, where: str) -> str | None:
    """One language's text of a label: one line of at most `MAX_LABEL` characters."""
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, SCALARS):
        ctx.error(entry.value_at(key), _("{where}.{key} must be text or {{zh: …, en: …}}, not {kind}").format(
            where=where, key=key, kind=kind_of(value)))
        return None
    text = str(value)
    problem = text_problem(text)
    if problem:
        ctx.error(entry.value_at(key), _("{where}.{key} {problem}").format(where=where, key=key, problem=problem))
    elif len(text) > MAX_LABEL:
        ctx.error(entry.value_at(key), _("{where}.{key} is {length} characters long; a label has at most {limit}").format(
            where=where, key=key, length=len(text), limit=MAX_LABEL))
    return text


def roles(ctx: Context, entry: Located, key: str, where: str, allow_system: bool = True) -> tuple[str, ...]:
    """A role or a list of roles, at least one."""
    values = sequence(entry.get(key), entry.value_at(key))
    allowed = (ALL_ROLES if allow_system else GLOBAL_ROLES + ITEM_ROLES) + tuple(
        name for name, spec in ctx.fields.items() if spec.role)  # the roles person fields hold (field_roles)
    if key in entry and not values:  # absent: the caller says what it needs
        ctx.error(entry.value_at(key), _("{where} is empty: name at least one role ({roles})").format(
            where=where, roles=", ".join(allowed)))
    result = []
    for index, role in enumerate(values):
        if role not in allowed:
            ctx.error(values.at(index), _("unknown role '{role}' in {where}; roles are: {roles}").format(
                role=show(role), where=where, roles=", ".join(allowed)))
        else:
            result.append(role)
    return tuple(result)


def when(ctx: Context, entry: Located, key: str, where: str, data: tuple[DataSpec, ...] = (),
         no_count: str | None = None) -> Conditions | Expression:
    """`{field: value or [values]}`: the fields must be known, a choice's values its choices. Or
    an expression (text), type-checked against the fields and the event-only `data` keys in
    scope; with `no_count` (the reason), count() is refused where nothing counts the trace."""
    if isinstance(entry.get(key), str):
        return expression(ctx, entry, key, where, data, no_count)
    conditions_raw = mapping(ctx, entry.get(key), entry.value_at(key), f"{where}.when")
    if conditions_raw is None:
        return ()
    conditions = []
    for field_name, value in conditions_raw.items():
        values = tuple(value) if isinstance(value, list) else (value,)
        spec = ctx.fields.get(field_name)
        if spec is None:
            known = ", ".join(ctx.fields) or _("none")
            ctx.error(conditions_raw.key_at(field_name),
                      _("'when' names unknown field '{field}' in {where}; fields: {fields}").format(
                          field=show(field_name), where=where, fields=show(known, 200)))
            continue
        odd = next((one for one in values if one is not None and not isinstance(one, SCALARS)), None)
        if odd is not None:
            ctx.error(conditions_raw.value_at(field_name), _("'when' in {where}: '{field}' is matched against a value "
                                                             "or a list of values, not {kind}").format(
                where=where, field=field_name, kind=kind_of(odd)))
            continue
        if spec.type == "choice":
            values = tuple(str(choice) for choice in values)  # choices and item values are text
            for choice in values:
                if choice not in spec.choices:
                    ctx.error(conditions_raw.value_at(field_name),
                              _("'{value}' is not a choice of field '{field}' in {where}; choices: {choices}").format(
                                  value=show(choice), field=field_name, where=where,
                                  choices=show(", ".join(spec.choices), 200)))
        conditions.append((field_name, values))
    return tuple(conditions)


def expression(ctx: Context, entry: Located, key: str, where: str, data: tuple[DataSpec, ...] = (),
               no_count: str | None = None) -> Expression | Conditions:
    """A condition written as text, checked and compiled once (`banli.engine.expressions`)."""
    names = {name: kind_of_field(spec.type, spec.choices) for name, spec in ctx.fields.items()}
    names.update((spec.key, kind_of_field(spec.type, spec.choices)) for spec in data if not spec.is_field)
    try:
        return compile_expression(entry.get(key), names, ctx.event_names, no_count=no_count)
    except ExpressionError as exc:
        ctx.error(entry.value_at(key), _("'{key}' in {where}: {problem}").format(key=key, where=where, problem=exc))
        return ()
