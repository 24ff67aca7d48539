"""The definition language's vocabulary as data: every kind of mapping (SPEC §7) and the keys it allows.

The parser rejects any other key with this list, and the reference of the language is
generated from the same tables, so a key is added here once and both follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from banli.engine.model import ENTER, FIELD_TYPES
from banli.engine.times import DEFAULT_ZONE_NAME


@dataclass(frozen=True, kw_only=True)
class KeySpec:
    """One key of a mapping: what it takes, whether it must be there, and its value if absent."""

    name: str
    type: str  # in words, for people: "a duration", "a state, a list of states or '*'"
    required: bool = False
    default: object = None  # what the parser uses when the key is absent; None: nothing
    description: str = ""


@dataclass(frozen=True, kw_only=True, eq=False)
class Section:
    """One kind of mapping in a definition, e.g. a state or a reminder."""

    path: str  # where it stands in a file, e.g. "states.NAME.reminders[]"
    summary: str
    keys: dict[str, KeySpec]

    def __getitem__(self, key: str) -> KeySpec:
        return self.keys[key]

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def allowed(self) -> str:
        return ", ".join(self.keys)

    def required(self) -> tuple[str, ...]:
        return tuple(name for name, spec in self.keys.items() if spec.required)


def _section(path: str, summary: str, *keys: KeySpec) -> Section:
    return Section(path=path, summary=summary, keys={spec.name: spec for spec in keys})


_LABEL_TYPE = "one line of text (at most 200 characters), or {zh: …, en: …}"
_WHEN_TYPE = ("a mapping of field names to a value or a list of values, or an expression "
              "(text such as \"rating == 'unsatisfied' and count('rate') >= 2\")")
_TYPE_TYPE = " | ".join(FIELD_TYPES)

TOP = _section(
    "", "the definition: one workflow",
    KeySpec(name="id", type="lower-case letters, digits and '-' (at most 64)", required=True,
            description="the workflow's name, used on the command line and in item references"),
    KeySpec(name="version", type="a whole number from 1 to 2147483647",
            description="the version to register as; if absent, the next free one"),
    KeySpec(name="title", type=_LABEL_TYPE, description="the workflow's title (default: its id)"),
    KeySpec(name="timezone", type="an IANA time zone name", default=DEFAULT_ZONE_NAME,
            description="the zone deadlines and business days are reckoned in"),
    KeySpec(name="calendar", type="cn | plain", default="cn",
            description="'cn' follows statutory holidays and adjusted workdays; 'plain' is Monday to Friday"),
    KeySpec(name="office_hours", type="a list of periods 'HH:MM-HH:MM', in the order of the day",
            description="a workday's office hours: what durations in workhours count"),
    KeySpec(name="settings", type="a mapping of names to single values",
            description="values the rest of the definition refers to as `$name`"),
    KeySpec(name="fields", type="a mapping of field names to fields", description="the item's typed fields"),
    KeySpec(name="states", type="a mapping of state names to states", required=True,
            description="the states an item can be in; exactly one is initial"),
    KeySpec(name="events", type="a mapping of event names to events", required=True,
            description="what may happen to an item, and who may make it happen"),
    KeySpec(name="campaigns", type="a mapping of campaign names to campaigns",
            description="events fired by the system on every item a selection matches"),
    KeySpec(name="scoring", type="a list of scoring rules", description="per-unit points for events"),
    KeySpec(name="ledger", type="{columns: […], reply: EVENT}",
            description="the ledger's (台账's) columns and its reply event (default: ref, title, deputies, "
                        "the fields in order, state, deadline, reply date, days overdue)"),
)

LABEL = _section(
    "…label", "a label in two languages",
    KeySpec(name="zh", type="text", description="the Chinese text (default: the English one)"),
    KeySpec(name="en", type="text", description="the English text (default: the Chinese one)"),
)

FIELD = _section(
    "fields.NAME", "a typed field of the item",
    KeySpec(name="type", type=_TYPE_TYPE, default="text", description="what the field holds"),
    KeySpec(name="label", type=_LABEL_TYPE, description="its name for people (default: the field's name)"),
    KeySpec(name="choices", type="a non-empty list of text, each once, or a mapping of each value to its label",
            description="the values a choice may take; only for, and required by, type choice"),
    KeySpec(name="required", type="true | false", default=False, description="an item must have a value"),
    KeySpec(name="outcome", type="true | false", default=False,
            description="it records an outcome of the handling (a rating, a result class): only the events "
                        "that set it may, never a registration, so that reports count what events established"),
    KeySpec(name="role", type="true | false", default=False,
            description="only for a person field: the person it names holds the item-relative role of the "
                        "field's name, which events' roles and notify (and reminders) may name"),
)

STATE = _section(
    "states.NAME", "a state an item can be in",
    KeySpec(name="label", type=_LABEL_TYPE, description="its name for people (default: the state's name)"),
    KeySpec(name="initial", type="true | false", default=False, description="items start here; exactly one state"),
    KeySpec(name="final", type="true | false", default=False,
            description="never left; internal events may still be recorded on it"),
    KeySpec(name="deadline", type="{after: DURATION, from: EVENT | enter} or {until: FIELD}",
            description="when the item is due while in this state"),
    KeySpec(name="reminders", type="a list of reminders",
            description="notifications or system events before or after the deadline"),
)

RULE = _section(
    "…deadline, …within", "a point in time after an event or after entering the state",
    KeySpec(name="after", type="a duration; in a state's deadline also {field: FIELD, table: …, default: …}",
            description="how long after the start (required, unless a state's deadline runs 'until' a date field)"),
    KeySpec(name="from", type="an event | enter", default=ENTER,
            description="the start: the event's latest occurrence, or entering the state"),
    KeySpec(name="until", type="a date field",
            description="only in a state's deadline, instead of 'after' and 'from': the deadline is the end of "
                        "the day the field holds, in the workflow's zone (none while the field is empty)"),
)

AFTER = _section(
    "states.NAME.deadline.after", "a deadline's duration taken from the item's field when the state is entered",
    KeySpec(name="field", type="a field (text holding a duration, or a choice)", required=True,
            description="the field whose value gives the duration"),
    KeySpec(name="table", type="a mapping of the field's choices to durations",
            description="the duration for each choice (a choice field); without it the value is the duration"),
    KeySpec(name="default", type="a duration",
            description="when the field is empty or its choice has no entry (else: no deadline)"),
)

REMINDER = _section(
    "states.NAME.reminders[], campaigns.NAME.reminders[]", "something done around a deadline",
    KeySpec(name="before", type="a duration", description="this long before the deadline (one of before, overdue)"),
    KeySpec(name="overdue", type="a duration", description="this long after the deadline (one of before, overdue)"),
    KeySpec(name="notify", type="a role or a list of roles", description="who is told (notify, fire or both)"),
    KeySpec(name="fire", type="an event", description="the event the system fires (its roles include system)"),
    KeySpec(name="every", type="a duration",
            description="said again this long after each time, until 'times' or the state's exit (a 'before' "
                        "reminder: until the deadline)"),
    KeySpec(name="message", type="text with {name} placeholders: fields, ref, title, state, deadline",
            description="what the people notified read (default: the sweep's words for a handling deadline)"),
    KeySpec(name="times", type="a whole number, 1 to 50",
            description="how many times in all, the first included (more than 1 needs 'every'; default: 1, "
                        "or up to 50 with 'every')"),
)

EVENT = _section(
    "events.NAME", "something that may happen to an item",
    KeySpec(name="label", type=_LABEL_TYPE, description="its name for people (default: the event's name)"),
    KeySpec(name="from", type="a state, a list of states or '*'", required=True,
            description="the states it is possible in; '*' is every state that is not final"),
    KeySpec(name="to", type="a state, or a list of branches {when: …, to: STATE}",
            description="the next state; required unless the event is internal"),
    KeySpec(name="internal", type="true | false", default=False,
            description="recorded without a change of state"),
    KeySpec(name="roles", type="a role or a list of roles", required=True,
            description="who may fire it (at least one): global roles, item-relative roles or system"),
    KeySpec(name="data", type="a mapping of keys to data options, or a list of keys",
            description="what the event records: item fields, or event-only keys"),
    KeySpec(name="within", type="{after: DURATION, from: EVENT | enter}",
            description="the event is allowed only until this point"),
    KeySpec(name="guards", type="a list of names, {name: {parameters}} or {when: …, because: …}",
            description="checks that must pass: from the guard registry, or conditions written here"),
    KeySpec(name="effects", type="a list of names or {name: {parameters}}",
            description="actions from the effect registry, run with the event"),
    KeySpec(name="clock", type="pause | resume",
            description="stops or restarts the clock of the state's deadline (an internal event)"),
    KeySpec(name="notify", type="recipients (roles, lead_unit, co_unit, own_deputy, field:NAME), "
                                "{to: …, message: …} or a list of those mappings",
            description="who is told when the event happens, in its transaction"),
    KeySpec(name="reopen", type="true | false", default=False,
            description="it may leave a final state (its 'from' names one): a campaign's outcome reopens a "
                        "closed item"),
)

NOTICE = _section(
    "events.NAME.notify", "a notification sent when the event happens",
    KeySpec(name="to", type="a recipient or a list of recipients (a role, lead_unit, co_unit, own_deputy "
                            "or field:NAME of a person, unit or units field)", required=True,
            description="who is told, each person once"),
    KeySpec(name="message", type="text with {name} placeholders: fields, the event's data keys, ref, title, "
                                 "event, state, actor, at",
            description="what they are told (default: the event and the state it led to)"),
)

GUARD = _section(
    "events.NAME.guards[]", "a guard written as a condition, judged before the event (exit 5 when it fails)",
    KeySpec(name="when", type=_WHEN_TYPE, required=True,
            description="what the item, as it stands before the event, must match; count() does not count "
                        "the event being fired"),
    KeySpec(name="because", type="one line of text (at most 200 characters)",
            description="what the user is told when it fails (default: the condition)"),
)

DATA = _section(
    "events.NAME.data.KEY", "one key of an event's data",
    KeySpec(name="type", type=_TYPE_TYPE, default="text",
            description="for an event-only key; a field's key takes the field's type"),
    KeySpec(name="label", type=_LABEL_TYPE, description="its name for people"),
    KeySpec(name="choices", type="a non-empty list of text, or a mapping of each value to its label",
            description="the values an event-only choice may take (a label is taken for its value)"),
    KeySpec(name="required", type="true | false", default=False, description="the event needs a value"),
)

BRANCH = _section(
    "events.NAME.to[]", "one branch of an event's target; tried in order, the first match wins",
    KeySpec(name="when", type=_WHEN_TYPE,
            description="the item's fields after the event's data (an expression also sees the event's own "
                        "data keys, and count() counts the event itself); absent only on the last branch"),
    KeySpec(name="to", type="a state", required=True, description="the next state"),
)

CAMPAIGN = _section(
    "campaigns.NAME", "an event fired by the system on every item a selection matches",
    KeySpec(name="label", type=_LABEL_TYPE, description="its name for people (default: the campaign's name)"),
    KeySpec(name="select", type="a list of {state: STATE, when: …, kind: …, outcomes: […]}", required=True,
            description="which items take part"),
    KeySpec(name="fire", type="an event", required=True,
            description="the event fired on each selected item (its roles include system)"),
    KeySpec(name="due", type="a duration", description="when each item's task is due; needed by reminders"),
    KeySpec(name="schedule", type="a crontab line (minute hour day month weekday)",
            description="when the campaign starts by itself"),
    KeySpec(name="reminders", type="a list of reminders", description="around each task's due date"),
    KeySpec(name="result", type="an event", description="the event that records an item's outcome (with outcome)"),
    KeySpec(name="outcome", type="a field", description="the field holding the outcome (with result)"),
    KeySpec(name="then", type="a mapping of outcomes (choices of the outcome field) to events",
            description="the event the system fires on the item, in the same transaction, when the result "
                        "event records that outcome (e.g. one that reopens it)"),
)

SELECT = _section(
    "campaigns.NAME.select[]", "a selection of items",
    KeySpec(name="state", type="a state", required=True, description="items in this state"),
    KeySpec(name="when", type=_WHEN_TYPE, description="whose fields match"),
    KeySpec(name="kind", type="one line of text (at most 64 characters)",
            description="the kind of item it selects (不满意, B类); the first selection an item matches gives "
                        "its kind, recorded in the data 'kind' of the campaign's event"),
    KeySpec(name="outcomes", type="a list of outcomes (choices of the outcome field)",
            description="the outcomes an item of this kind may be given (with kind); others are refused"),
)

SCORING = _section(
    "scoring[]", "points for a unit when an event happens",
    KeySpec(name="event", type="an event", required=True, description="the event that scores"),
    KeySpec(name="points", type="a whole number", required=True, description="negative for a deduction"),
    KeySpec(name="on_time", type="true | false",
            description="only when the event happened (true) or did not (false) by the deadline in force"),
    KeySpec(name="when", type=_WHEN_TYPE, description="only when the item's fields match (an expression "
                                                       "here may not use count())"),
    KeySpec(name="label", type="text", default="",
            description="the rule's name in reports (default: made of its event and conditions)"),
)

LEDGER = _section(
    "ledger", "the ledger (台账): its columns, in order, and the event that is the reply",
    KeySpec(name="columns", type="a list of columns",
            description="the columns of the 台账 sheet and CSV, in order (default: ref, title, deputies, the "
                        "fields in order, state, deadline, reply date, days overdue)"),
    KeySpec(name="reply", type="an event",
            description="the event that answers the item: its rounds give the deadline, the reply date and the "
                        "days overdue (default: the event named reply, if there is one)"),
)

LEDGER_COLUMN = _section(
    "ledger.columns[]", "one column of the ledger: a built-in value, a field, or an event's occurrences",
    KeySpec(name="label", type=_LABEL_TYPE,
            description="the column's header (default: the value's, the field's or the event's name)"),
    KeySpec(name="value", type="ref | title | deputies | state | deadline | replied_on | overdue_days | promise",
            description="a built-in value of the row (one of value, field, event)"),
    KeySpec(name="field", type="a field",
            description="the item's field: units as their names, lists joined with 、, yes/no as 是/否"),
    KeySpec(name="event", type="an event", description="what the event's occurrences say (with show)"),
    KeySpec(name="show", type="date | last | count | data:KEY", default="date",
            description="of an event: the day of its first or last occurrence, how many times, or a data key "
                        "of its last occurrence"),
    KeySpec(name="when", type="a mapping of the event's data keys to a value or a list of values",
            description="of an event: only the occurrences whose data match"),
    KeySpec(name="part", type="{label: …, when: …}",
            description="of a count: the occurrences that also match 'when', shown after it, e.g. 2（面商1）"),
)

LEDGER_PART = _section(
    "ledger.columns[].part", "the part of a count shown after it",
    KeySpec(name="label", type=_LABEL_TYPE, required=True, description="its name, e.g. 面商"),
    KeySpec(name="when", type="a mapping of the event's data keys to a value or a list of values", required=True,
            description="the occurrences it counts"),
)

SECTIONS: tuple[Section, ...] = (TOP, FIELD, STATE, RULE, AFTER, REMINDER, EVENT, NOTICE, GUARD, DATA, BRANCH,
                                 CAMPAIGN, SELECT, SCORING, LEDGER, LEDGER_COLUMN, LEDGER_PART, LABEL)
