"""The parsed form of a definition: frozen dataclasses, no YAML and no `transitions` in sight."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable

from banli.engine.due_dates import OnDate
from banli.engine.durations import Duration, Lookup
from banli.engine.times import DEFAULT_ZONE_NAME
from banli.i18n import ENGLISH, language

GLOBAL_ROLES = ("registrar", "reviewer", "supervisor", "unit", "deputy", "npc_office", "auditor", "admin", "leader")
ITEM_ROLES = ("lead_unit", "co_unit", "own_deputy")
REGISTERING_ROLES = frozenset({"registrar", "supervisor", "admin"})  # who may register items (SPEC §4)
SYSTEM = "system"
FIELD_TYPES = ("unit", "units", "choice", "text", "int", "date", "bool", "person", "items")
ENTER = "enter"


@dataclass(frozen=True, kw_only=True)
class Label:
    """A name a definition gives (a state, an event, a field): text, or {zh: …, en: …}; shown in
    the reader's language, the Chinese where the definition gives no English."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en if language() == ENGLISH else self.zh


class Choices(tuple):
    """A choice's values in their order, and the names for people some carry (`labels`, value →
    label: face_to_face → 面对面); a label is taken where its value is."""

    labels: dict[str, str]

    def __new__(cls, values: Iterable[str] = (), labels: dict[str, str] | None = None) -> "Choices":
        made = super().__new__(cls, values)
        made.labels = dict(labels or {})
        return made

    def label(self, value: object) -> str:
        return self.labels.get(str(value), str(value))

    def value_of(self, text: str) -> str | None:
        """The value `text` names: itself, or the value whose label it is; None if neither."""
        if text in self:
            return text
        return next((value for value, label in self.labels.items() if label == text), None)


@dataclass(frozen=True, kw_only=True)
class Field:
    name: str
    type: str
    label: Label
    choices: tuple[str, ...] = ()
    required: bool = False
    outcome: bool = False  # records an outcome of the handling: only events set it, never a registration
    role: bool = False  # a person field: whom it names holds the item-relative role of the field's name


@dataclass(frozen=True, kw_only=True)
class DataSpec:
    """One key of an event's `data`: a field of the item, or an event-only key."""

    key: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    is_field: bool = False
    label: Label | None = None  # an event-only key's name for people, if the definition gives one


@dataclass(frozen=True, kw_only=True)
class Rule:
    """`{after: DURATION, from: EVENT|enter}`: a deadline or a window; a deadline's `after` may
    be taken from a field (`Lookup`), or the deadline be the day a date field holds (`OnDate`,
    from `{until: FIELD}`)."""

    after: Duration | Lookup | OnDate
    start: str


class ReminderKind(str, Enum):
    """Which side of the deadline a reminder rule counts from; the YAML key that names it."""

    BEFORE = "before"
    OVERDUE = "overdue"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, kw_only=True)
class Reminder:
    """`before` or `overdue` a state's deadline: notify roles and/or fire an event."""

    kind: ReminderKind
    offset: Duration
    notify: tuple[str, ...] = ()
    fire: str | None = None
    every: Duration | None = None  # repeated this often after the first time
    times: int | None = None  # at most this many times in all (with `every`; else up to the state's exit)
    message: str | None = None  # what the people told read ({name} placeholders); None: the sweep's own words


@dataclass(frozen=True, kw_only=True)
class State:
    name: str
    label: Label
    initial: bool = False
    final: bool = False
    deadline: Rule | None = None
    reminders: tuple[Reminder, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Branch:
    to: str
    when: tuple[tuple[str, tuple[object, ...]], ...] = ()


@dataclass(frozen=True, kw_only=True)
class Call:
    """A guard or effect by registry name, with its parameters."""

    name: str
    params: tuple[tuple[str, object], ...] = ()

    def kwargs(self) -> dict:
        return dict(self.params)


@dataclass(frozen=True, kw_only=True)
class Event:
    name: str
    label: Label
    sources: tuple[str, ...]
    branches: tuple[Branch, ...] = ()  # empty for internal events
    internal: bool = False
    roles: tuple[str, ...] = ()
    data: tuple[DataSpec, ...] = ()
    within: Rule | None = None
    guards: tuple[Call, ...] = ()
    effects: tuple[Call, ...] = ()
    clock: str | None = None  # "pause" or "resume": stops or restarts the deadline's clock (banli.engine.clock)
    notify: tuple = ()  # banli.engine.notices.Notice: who is told when it happens
    reopen: bool = False  # it may leave a final state (a campaign's outcome reopens a closed item)

    def data_spec(self, key: str) -> DataSpec | None:
        return next((spec for spec in self.data if spec.key == key), None)


@dataclass(frozen=True, kw_only=True)
class Selector:
    state: str
    when: tuple[tuple[str, tuple[object, ...]], ...] = ()
    kind: str | None = None  # the kind of item it selects (不满意, B类), recorded when the campaign fires
    outcomes: tuple[str, ...] = ()  # the outcomes allowed for items of that kind; empty: any


@dataclass(frozen=True, kw_only=True)
class Campaign:
    name: str
    label: Label
    select: tuple[Selector, ...]
    fire: str
    due: Duration | None = None
    schedule: str | None = None
    reminders: tuple[Reminder, ...] = ()
    result: str | None = None  # the event that records an item's outcome …
    outcome: str | None = None  # … in this field
    then: tuple[tuple[str, str], ...] = ()  # (outcome, event): the event the system fires when it is recorded

    def allowed(self, kind: str) -> tuple[str, ...]:
        """The outcomes items of `kind` may have: those its selections list (empty: any)."""
        return tuple(dict.fromkeys(outcome for selector in self.select if selector.kind == kind
                                   for outcome in selector.outcomes))

    def follow_up(self, outcome: str) -> str | None:
        """The event fired when `outcome` is recorded, if any."""
        return dict(self.then).get(outcome)


@dataclass(frozen=True, kw_only=True)
class ScoringRule:
    event: str
    points: int
    on_time: bool | None = None
    when: tuple[tuple[str, tuple[object, ...]], ...] = ()
    label: str = ""


@dataclass(frozen=True, kw_only=True)
class Definition:
    id: str
    version: int | None
    title: Label
    timezone: str = DEFAULT_ZONE_NAME
    calendar: str = "cn"
    office_hours: tuple[tuple[int, int], ...] = ()  # minutes since midnight: what `workhours` count
    settings: tuple[tuple[str, object], ...] = ()
    fields: dict[str, Field] = field(default_factory=dict)
    states: dict[str, State] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    scoring: tuple[ScoringRule, ...] = ()
    ledger: object = None  # banli.engine.ledger_spec.LedgerSpec: the 台账's columns (the parser always sets one)

    @property
    def initial(self) -> str:
        return next(name for name, state in self.states.items() if state.initial)

    def setters(self, field_name: str) -> tuple[Event, ...]:
        return setters(self.events.values(), field_name)

    def __hash__(self) -> int:  # dict fields make the generated hash fail; identity is enough
        return id(self)


def setters(events: Iterable[Event], field_name: str) -> tuple[Event, ...]:
    """The events that set a field: through their data, or a `set_fields` effect."""
    return tuple(event for event in events if event.data_spec(field_name) is not None
                 or any(call.name == "set_fields" and field_name in call.kwargs() for call in event.effects))
