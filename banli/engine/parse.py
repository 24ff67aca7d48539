"""Step 2 of the definition pipeline: located dicts → a frozen `Definition`, every error collected.

The parser never stops at the first problem: it records each one with its position and
carries on, so a user fixing a file sees all that is wrong in one run (SPEC §7).
"""

from __future__ import annotations

import re
from collections import deque
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from banli.engine import registry
from banli.engine.durations import Duration, parse_duration
from banli.engine.load import Located, LocatedList, Position, load_file, load_text
from banli.engine.model import (
    ENTER, FIELD_TYPES, GLOBAL_ROLES, ITEM_ROLES, SYSTEM,
    Branch, Call, Campaign, DataSpec, Definition, Event, Field, Label, Reminder, Rule,
    ScoringRule, Selector, State,
)
from banli.errors import DefinitionErrors, Problem

TOP_KEYS = ("id", "version", "title", "timezone", "calendar", "settings", "fields", "states",
            "events", "campaigns", "scoring")
FIELD_KEYS = ("type", "label", "choices", "required")
STATE_KEYS = ("label", "initial", "final", "deadline", "reminders")
EVENT_KEYS = ("label", "from", "to", "internal", "roles", "data", "within", "guards", "effects")
DATA_KEYS = ("type", "label", "choices", "required")
RULE_KEYS = ("after", "from")
REMINDER_KEYS = ("before", "overdue", "notify", "fire")
BRANCH_KEYS = ("when", "to")
CAMPAIGN_KEYS = ("label", "select", "fire", "due", "schedule", "reminders", "result", "outcome")
SELECT_KEYS = ("state", "when")
SCORING_KEYS = ("event", "points", "on_time", "when", "label")
LABEL_KEYS = ("zh", "en")
RESERVED_EVENTS = ("created", "migrated", "deadline_recomputed")
ALL_ROLES = GLOBAL_ROLES + ITEM_ROLES + (SYSTEM,)
_ID = re.compile(r"^[a-z0-9-]+$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def parse_file(path: str) -> tuple[Definition, str]:
    """Load and parse a definition file; returns the definition and its text."""
    document, text = load_file(path)
    return parse(document, str(path)), text


def parse_text(text: str, file: str = "<definition>") -> Definition:
    return parse(load_text(text, file), file)


def parse(document: Located, file: str = "<definition>") -> Definition:
    """Parse a loaded definition; raises `DefinitionErrors` listing every problem."""
    parser = _Parser(document, file)
    definition = parser.definition()
    if parser.problems:
        parser.problems.sort(key=lambda p: (p.line, p.column))
        raise DefinitionErrors(parser.problems)
    return definition


class _Parser:
    def __init__(self, document: Located, file: str) -> None:
        self.doc = document
        self.file = file
        self.problems: list[Problem] = []
        self.settings: dict[str, object] = {}
        self.fields: dict[str, Field] = {}
        self.state_names: set[str] = set()
        self.event_names: set[str] = set()
        # checks that need every state and event parsed first: (position, kind, name, where)
        self.deferred: list[tuple[Position, str, str, str]] = []

    # -- helpers -------------------------------------------------------------------------

    def error(self, position: Position, message: str) -> None:
        self.problems.append(Problem(self.file, position[0], position[1], message))

    def mapping(self, value: object, position: Position, where: str) -> Located | None:
        if value is None:
            empty = Located()
            empty.position, empty.key_positions, empty.value_positions = position, {}, {}
            return empty
        if not isinstance(value, Located):
            self.error(position, f"{where} must be a mapping, not {_kind(value)}")
            return None
        return value

    def sequence(self, value: object, position: Position, where: str) -> LocatedList:
        if value is None:
            return LocatedList()
        if isinstance(value, LocatedList):
            return value
        single = LocatedList([value])
        single.position, single.item_positions = position, [position]
        return single

    def known_keys(self, mapping: Located, allowed: tuple[str, ...], where: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.error(mapping.key_at(key), f"unknown key '{key}' in {where}; allowed: {', '.join(allowed)}")

    def resolve(self, mapping: Located, key: str) -> object:
        """The value at `key`, with a `$setting` reference replaced by the setting's value."""
        value = mapping.get(key)
        if isinstance(value, str) and value.startswith("$"):
            name = value[1:]
            if name not in self.settings:
                defined = ", ".join(sorted(self.settings)) or "none"
                self.error(mapping.value_at(key), f"{value} is not defined in settings (defined: {defined})")
                return None
            return self.settings[name]
        return value

    def duration(self, mapping: Located, key: str, where: str) -> Duration | None:
        value = self.resolve(mapping, key)
        if value is None:
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.error(mapping.value_at(key), f"{where}: {exc}")
            return None

    def boolean(self, mapping: Located, key: str, where: str) -> bool:
        value = mapping.get(key, False)
        if not isinstance(value, bool):
            self.error(mapping.value_at(key), f"{where}.{key} must be true or false, not {value!r}")
            return False
        return value

    def label(self, mapping: Located, key: str, default: str, where: str) -> Label:
        value = mapping.get(key)
        if value is None:
            return Label(zh=default, en=default)
        if isinstance(value, Located):
            self.known_keys(value, LABEL_KEYS, f"{where}.{key}")
            zh, en = value.get("zh"), value.get("en")
            return Label(zh=str(zh or en or default), en=str(en or zh or default))
        if isinstance(value, (str, int)):
            return Label(zh=str(value), en=str(value))
        self.error(mapping.value_at(key), f"{where}.{key} must be text or {{zh: …, en: …}}")
        return Label(zh=default, en=default)

    def roles(self, mapping: Located, key: str, where: str, allow_system: bool = True) -> tuple[str, ...]:
        values = self.sequence(mapping.get(key), mapping.value_at(key), where)
        allowed = ALL_ROLES if allow_system else GLOBAL_ROLES + ITEM_ROLES
        result = []
        for index, role in enumerate(values):
            if role not in allowed:
                self.error(values.at(index), f"unknown role '{role}' in {where}; roles are: {', '.join(allowed)}")
            else:
                result.append(role)
        return tuple(result)

    def when(self, mapping: Located, key: str, where: str) -> tuple[tuple[str, tuple[object, ...]], ...]:
        when = self.mapping(mapping.get(key), mapping.value_at(key), f"{where}.when")
        if when is None:
            return ()
        conditions = []
        for name, value in when.items():
            values = tuple(value) if isinstance(value, list) else (value,)
            spec = self.fields.get(name)
            if spec is None:
                known = ", ".join(self.fields) or "none"
                self.error(when.key_at(name), f"'when' names unknown field '{name}' in {where}; fields: {known}")
                continue
            if spec.type == "choice":
                values = tuple(str(choice) for choice in values)  # choices and item values are text
                for choice in values:
                    if choice not in spec.choices:
                        self.error(when.value_at(name),
                                   f"'{choice}' is not a choice of field '{name}' in {where}; choices: {', '.join(spec.choices)}")
            conditions.append((name, values))
        return tuple(conditions)

    def calls(self, mapping: Located, key: str, known: dict, kind: str, where: str) -> tuple[Call, ...]:
        values = self.sequence(mapping.get(key), mapping.value_at(key), where)
        result = []
        for index, entry in enumerate(values):
            params: dict = {}
            if isinstance(entry, Located) and len(entry) == 1:
                name, raw = next(iter(entry.items()))
                params = dict(raw) if isinstance(raw, dict) else {}
                if raw is not None and not isinstance(raw, dict):
                    self.error(values.at(index), f"parameters of {kind} '{name}' must be a mapping")
            elif isinstance(entry, str):
                name = entry
            else:
                self.error(values.at(index), f"a {kind} is a name or {{name: {{parameters}}}}, not {_kind(entry)}")
                continue
            if name not in known:
                self.error(values.at(index), f"unknown {kind} '{name}' in {where}; known: {', '.join(sorted(known))}")
                continue
            for key, value in params.items():  # `$setting` in parameters too
                if isinstance(value, str) and value.startswith("$"):
                    if value[1:] not in self.settings:
                        self.error(values.at(index), f"{value} is not defined in settings ({kind} '{name}' in {where})")
                    params[key] = self.settings.get(value[1:])
            result.append(Call(name=name, params=tuple(sorted(params.items()))))
        return tuple(result)

    def rule(self, mapping: Located, key: str, where: str) -> Rule | None:
        rule = self.mapping(mapping.get(key), mapping.value_at(key), f"{where}.{key}")
        if rule is None:
            return None
        self.known_keys(rule, RULE_KEYS, f"{where}.{key}")
        if "after" not in rule:
            self.error(rule.position, f"{where}.{key} needs 'after' (a duration such as '3 months')")
        start = rule.get("from", ENTER)
        if start not in (ENTER, "created"):
            self.deferred.append((rule.value_at("from"), "event", str(start), f"{where}.{key}.from"))
        after = self.duration(rule, "after", f"{where}.{key}.after") if "after" in rule else None
        return Rule(after=after, start=str(start)) if after else None

    def reminders(self, mapping: Located, key: str, where: str, state: str | None = None) -> tuple[Reminder, ...]:
        values = self.sequence(mapping.get(key), mapping.value_at(key), where)
        result = []
        for index, raw in enumerate(values):
            here = f"{where}.{key}[{index}]"
            entry = self.mapping(raw, values.at(index), here)
            if entry is None:
                continue
            self.known_keys(entry, REMINDER_KEYS, here)
            kinds = [kind for kind in ("before", "overdue") if kind in entry]
            if len(kinds) != 1:
                self.error(entry.position, f"{here} needs exactly one of 'before' or 'overdue'")
                continue
            if "notify" not in entry and "fire" not in entry:
                self.error(entry.position, f"{here} needs 'notify' (roles), 'fire' (an event) or both")
            offset = self.duration(entry, kinds[0], f"{here}.{kinds[0]}")
            fire = entry.get("fire")
            if fire is not None:
                self.deferred.append((entry.value_at("fire"), "system-event", str(fire), f"{here}.fire"))
                if state is not None:
                    self.deferred.append((entry.value_at("fire"), f"from:{state}", str(fire), f"{here}.fire"))
            notify = self.roles(entry, "notify", f"{here}.notify", allow_system=False) if "notify" in entry else ()
            if offset:
                result.append(Reminder(kind=kinds[0], offset=offset, notify=notify, fire=fire))
        return tuple(result)

    # -- sections ------------------------------------------------------------------------

    def definition(self) -> Definition:
        doc = self.doc
        self.known_keys(doc, TOP_KEYS, "the definition")
        for required in ("id", "states", "events"):
            if required not in doc:
                self.error(doc.position, f"the definition needs '{required}'")
        workflow_id = str(doc.get("id", ""))
        if "id" in doc and not _ID.match(workflow_id):
            self.error(doc.value_at("id"), f"id '{workflow_id}' must be lower-case letters, digits and '-'")
        version = doc.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 1):
            self.error(doc.value_at("version"), f"version must be a whole number from 1, not {version!r}")
            version = None
        timezone = str(doc.get("timezone", "Asia/Shanghai"))
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.error(doc.value_at("timezone"), f"unknown time zone '{timezone}' (e.g. Asia/Shanghai)")
        calendar = doc.get("calendar", "cn")
        if calendar not in ("cn", "plain"):
            self.error(doc.value_at("calendar"), f"calendar must be 'cn' or 'plain', not {calendar!r}")
        self.parse_settings()
        self.parse_fields()
        states = self.parse_states()
        events = self.parse_events(states)
        campaigns = self.parse_campaigns()
        scoring = self.parse_scoring()
        self.check_deferred(events)
        self.check_reachable(states, events)
        return Definition(
            id=workflow_id, version=version,
            title=self.label(doc, "title", workflow_id, "the definition"),
            timezone=timezone, calendar=str(calendar),
            settings=tuple(self.settings.items()), fields=self.fields, states=states, events=events,
            campaigns=campaigns, scoring=scoring,
        )

    def parse_settings(self) -> None:
        settings = self.mapping(self.doc.get("settings"), self.doc.value_at("settings"), "settings")
        for name, value in (settings or {}).items():
            if isinstance(value, (Located, LocatedList)):
                self.error(settings.value_at(name), f"setting '{name}' must be a single value (a duration, number or text)")
                continue
            self.settings[str(name)] = value

    def parse_fields(self) -> None:
        fields = self.mapping(self.doc.get("fields"), self.doc.value_at("fields"), "fields")
        for name, raw in (fields or {}).items():
            where = f"field '{name}'"
            if not _NAME.match(str(name)):
                self.error(fields.key_at(name), f"{where}: names are lower-case letters, digits and '_'")
            spec = self.mapping(raw, fields.value_at(name), where)
            if spec is None:
                continue
            self.known_keys(spec, FIELD_KEYS, where)
            kind = spec.get("type", "text")
            if kind not in FIELD_TYPES:
                self.error(spec.value_at("type"), f"{where}: unknown type '{kind}'; types: {', '.join(FIELD_TYPES)}")
                kind = "text"
            choices = spec.get("choices")
            if kind == "choice" and not (isinstance(choices, list) and choices):
                self.error(spec.position, f"{where}: a choice field needs 'choices' (a non-empty list)")
                choices = []
            elif kind != "choice" and choices is not None:
                self.error(spec.key_at("choices"), f"{where}: only a choice field takes 'choices'")
                choices = []
            self.fields[str(name)] = Field(
                name=str(name), type=kind, label=self.label(spec, "label", str(name), where),
                choices=tuple(str(choice) for choice in choices or ()),
                required=self.boolean(spec, "required", where),
            )

    def parse_states(self) -> dict[str, State]:
        states_raw = self.mapping(self.doc.get("states"), self.doc.value_at("states"), "states") or Located()
        self.state_names = {str(name) for name in states_raw}
        states: dict[str, State] = {}
        for name, raw in states_raw.items():
            where = f"state '{name}'"
            if not _NAME.match(str(name)):
                self.error(states_raw.key_at(name), f"{where}: names are lower-case letters, digits and '_'")
            spec = self.mapping(raw, states_raw.value_at(name), where)
            if spec is None:
                continue
            self.known_keys(spec, STATE_KEYS, where)
            states[str(name)] = State(
                name=str(name), label=self.label(spec, "label", str(name), where),
                initial=self.boolean(spec, "initial", where), final=self.boolean(spec, "final", where),
                deadline=self.rule(spec, "deadline", where) if "deadline" in spec else None,
                reminders=self.reminders(spec, "reminders", where, state=str(name)),
            )
        initial = [name for name, state in states.items() if state.initial]
        if states_raw and not initial:
            self.error(states_raw.position, "no initial state: mark one state 'initial: true'")
        for extra in initial[1:]:
            self.error(states_raw.key_at(extra), f"state '{extra}' is a second initial state; only one may be")
        return states

    def parse_events(self, states: dict[str, State]) -> dict[str, Event]:
        events_raw = self.mapping(self.doc.get("events"), self.doc.value_at("events"), "events") or Located()
        self.event_names = {str(name) for name in events_raw}
        events: dict[str, Event] = {}
        for name, raw in events_raw.items():
            where = f"event '{name}'"
            if not _NAME.match(str(name)):
                self.error(events_raw.key_at(name), f"{where}: names are lower-case letters, digits and '_'")
            if name in RESERVED_EVENTS:
                self.error(events_raw.key_at(name), f"{where}: '{name}' is reserved for banli's own trace; choose another name")
            spec = self.mapping(raw, events_raw.value_at(name), where)
            if spec is None:
                continue
            self.known_keys(spec, EVENT_KEYS, where)
            event = self.parse_event(str(name), spec, states, where)
            if event:
                events[str(name)] = event
        return events

    def parse_event(self, name: str, spec: Located, states: dict[str, State], where: str) -> Event | None:
        internal = self.boolean(spec, "internal", where)
        sources = self.parse_sources(spec, states, where)
        branches: tuple[Branch, ...] = ()
        if internal and "to" in spec:
            self.error(spec.key_at("to"), f"{where} is internal (no state change) and cannot have 'to'")
        elif not internal:
            if "to" not in spec:
                self.error(spec.position, f"{where} needs 'to' (a state or branches), or 'internal: true'")
            else:
                branches = self.parse_branches(spec, where)
                for source in sources:
                    if source in states and states[source].final:
                        self.error(spec.value_at("from"),
                                   f"{where} leaves final state '{source}'; a final state is never left (make the event internal)")
        if "roles" not in spec:
            self.error(spec.position, f"{where} needs 'roles': who may fire it")
        data = self.parse_data(spec, where)
        return Event(
            name=name, label=self.label(spec, "label", name, where), sources=sources, branches=branches,
            internal=internal, roles=self.roles(spec, "roles", f"{where}.roles"), data=data,
            within=self.rule(spec, "within", where) if "within" in spec else None,
            guards=self.calls(spec, "guards", registry.guards(), "guard", where),
            effects=self.calls(spec, "effects", registry.effects(), "effect", where),
        )

    def parse_sources(self, spec: Located, states: dict[str, State], where: str) -> tuple[str, ...]:
        if "from" not in spec:
            self.error(spec.position, f"{where} needs 'from': a state, a list of states or '*'")
            return ()
        if spec["from"] == "*":
            return tuple(name for name, state in states.items() if not state.final)
        values = self.sequence(spec["from"], spec.value_at("from"), where)
        sources = []
        for index, source in enumerate(values):
            if not isinstance(source, str) or source not in self.state_names:
                self.error(values.at(index), f"{where}: unknown state '{source}' in 'from'; states: {', '.join(states)}")
            else:
                sources.append(str(source))
        return tuple(sources)

    def parse_branches(self, spec: Located, where: str) -> tuple[Branch, ...]:
        target = spec["to"]
        if not isinstance(target, LocatedList):
            if not isinstance(target, str) or target not in self.state_names:
                self.error(spec.value_at("to"), f"{where}: unknown state '{target}' in 'to'; states: {', '.join(sorted(self.state_names))}")
                return ()
            return (Branch(to=str(target)),)
        branches = []
        for index, raw in enumerate(target):
            here = f"{where} branch {index + 1}"
            entry = self.mapping(raw, target.at(index), here)
            if entry is None:
                continue
            self.known_keys(entry, BRANCH_KEYS, here)
            last = index == len(target) - 1
            if last and "when" in entry:
                self.error(target.at(index), f"{where}: the last branch has a 'when'; end with a fallback branch without 'when'")
            elif not last and "when" not in entry:
                self.error(target.at(index), f"{here} has no 'when' but is not last: the branches after it could never be taken")
            to = entry.get("to")
            if not isinstance(to, str) or to not in self.state_names:
                self.error(entry.value_at("to") if "to" in entry else entry.position,
                           f"{here}: unknown state '{to}' in 'to'; states: {', '.join(sorted(self.state_names))}")
                continue
            branches.append(Branch(to=str(to), when=self.when(entry, "when", here) if "when" in entry else ()))
        if not target:
            self.error(spec.value_at("to"), f"{where}: 'to' is an empty list of branches")
        return tuple(branches)

    def parse_data(self, spec: Located, where: str) -> tuple[DataSpec, ...]:
        raw_data = spec.get("data")
        if isinstance(raw_data, LocatedList):  # data: [a, b] means optional keys
            keys = Located({str(key): None for key in raw_data})
            keys.position, keys.key_positions = raw_data.position, dict(zip(map(str, raw_data), raw_data.item_positions))
            keys.value_positions = dict(keys.key_positions)
            raw_data = keys
        data = self.mapping(raw_data, spec.value_at("data"), f"{where}.data") or {}
        result = []
        for key, raw in data.items():
            here = f"{where}.data.{key}"
            options = self.mapping(raw, data.value_at(key), here)
            if options is None:
                continue
            self.known_keys(options, DATA_KEYS, here)
            required = self.boolean(options, "required", here)
            field = self.fields.get(str(key))
            if field is not None:
                if "type" in options and options["type"] != field.type:
                    self.error(options.value_at("type"), f"{here}: '{key}' is a field of type {field.type}; drop 'type' here")
                result.append(DataSpec(key=str(key), type=field.type, required=required, choices=field.choices, is_field=True))
                continue
            kind = options.get("type", "text")
            if kind not in FIELD_TYPES:
                self.error(options.value_at("type"), f"{here}: unknown type '{kind}'; types: {', '.join(FIELD_TYPES)}")
                kind = "text"
            choices = options.get("choices")
            if kind == "choice" and not (isinstance(choices, list) and choices):
                self.error(options.position, f"{here}: a choice needs 'choices' (a non-empty list)")
                choices = []
            elif kind != "choice" and choices is not None:
                self.error(options.key_at("choices"), f"{here}: only a choice takes 'choices'")
                choices = []
            result.append(DataSpec(key=str(key), type=kind, required=required, choices=tuple(map(str, choices or ()))))
        return tuple(result)

    def parse_campaigns(self) -> dict[str, Campaign]:
        raw = self.mapping(self.doc.get("campaigns"), self.doc.value_at("campaigns"), "campaigns") or {}
        campaigns = {}
        for name, value in raw.items():
            where = f"campaign '{name}'"
            spec = self.mapping(value, raw.value_at(name), where)
            if spec is None:
                continue
            self.known_keys(spec, CAMPAIGN_KEYS, where)
            selectors = []
            select = self.sequence(spec.get("select"), spec.value_at("select"), where)
            if not select:
                self.error(spec.position, f"{where} needs 'select': [{{state: …, when: …}}]")
            for index, entry_raw in enumerate(select):
                entry = self.mapping(entry_raw, select.at(index), f"{where}.select")
                if entry is None:
                    continue
                self.known_keys(entry, SELECT_KEYS, f"{where}.select")
                if not isinstance(entry.get("state"), str) or entry["state"] not in self.state_names:
                    self.error(entry.value_at("state"), f"{where}.select: unknown state '{entry.get('state')}'")
                    continue
                selectors.append(Selector(state=str(entry["state"]), when=self.when(entry, "when", f"{where}.select")))
            if "fire" not in spec:
                self.error(spec.position, f"{where} needs 'fire': the event fired on each selected item")
            else:
                self.deferred.append((spec.value_at("fire"), "system-event", str(spec["fire"]), f"{where}.fire"))
            if "result" in spec:
                self.deferred.append((spec.value_at("result"), "event", str(spec["result"]), f"{where}.result"))
            outcome = spec.get("outcome")
            if outcome is not None and outcome not in self.fields:
                self.error(spec.value_at("outcome"), f"{where}.outcome: unknown field '{outcome}'; "
                                                     f"fields: {', '.join(self.fields) or 'none'}")
            if ("result" in spec) != ("outcome" in spec):
                self.error(spec.position, f"{where}: 'result' (the event recording an outcome) and 'outcome' "
                                          "(the field holding it) go together")
            schedule = spec.get("schedule")
            if schedule is not None:
                self.check_cron(spec.value_at("schedule"), str(schedule), where)
            if spec.get("reminders") and "due" not in spec:
                self.error(spec.key_at("reminders"), f"{where}: reminders need 'due' (the task's due date)")
            campaigns[str(name)] = Campaign(
                name=str(name), label=self.label(spec, "label", str(name), where), select=tuple(selectors),
                fire=str(spec.get("fire", "")),
                due=self.duration(spec, "due", f"{where}.due") if "due" in spec else None,
                schedule=str(schedule) if schedule is not None else None,
                reminders=self.reminders(spec, "reminders", where),
                result=str(spec["result"]) if "result" in spec else None,
                outcome=str(outcome) if outcome is not None else None,
            )
        return campaigns

    def check_cron(self, position: Position, text: str, where: str) -> None:
        """A campaign's `schedule` is a crontab line (minute hour day month weekday)."""
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(text)
        except ValueError as exc:
            self.error(position, f"{where}.schedule: '{text}' is not a crontab line "
                                 f"(minute hour day month weekday, e.g. '0 9 19 9 *'): {exc}")

    def parse_scoring(self) -> tuple[ScoringRule, ...]:
        raw = self.sequence(self.doc.get("scoring"), self.doc.value_at("scoring"), "scoring")
        rules = []
        for index, value in enumerate(raw):
            where = f"scoring rule {index + 1}"
            spec = self.mapping(value, raw.at(index), where)
            if spec is None:
                continue
            self.known_keys(spec, SCORING_KEYS, where)
            points = spec.get("points")
            if not isinstance(points, int) or isinstance(points, bool):
                self.error(spec.value_at("points") if "points" in spec else spec.position,
                           f"{where} needs 'points', a whole number (negative for a deduction)")
                points = 0
            on_time = spec.get("on_time")
            if on_time is not None and not isinstance(on_time, bool):
                self.error(spec.value_at("on_time"), f"{where}.on_time must be true or false")
                on_time = None
            self.deferred.append((spec.value_at("event") if "event" in spec else spec.position, "event",
                                  str(spec.get("event", "")), where))
            rules.append(ScoringRule(event=str(spec.get("event", "")), points=points, on_time=on_time,
                                     when=self.when(spec, "when", where), label=str(spec.get("label", ""))))
        return tuple(rules)

    # -- whole-definition checks ----------------------------------------------------------

    def check_deferred(self, events: dict[str, Event]) -> None:
        for position, kind, name, where in self.deferred:
            if name not in self.event_names:
                self.error(position, f"{where}: unknown event '{name}'; events: {', '.join(sorted(self.event_names))}")
            elif kind == "system-event" and name in events and SYSTEM not in events[name].roles:
                self.error(position, f"{where}: event '{name}' is fired by the system, so its roles must include 'system'")
            elif kind.startswith("from:") and name in events and kind[5:] not in events[name].sources:
                self.error(position, f"{where}: event '{name}' is not possible in state '{kind[5:]}', "
                                     "so this reminder could never fire it; add the state to its 'from'")

    def check_reachable(self, states: dict[str, State], events: dict[str, Event]) -> None:
        initial = [name for name, state in states.items() if state.initial]
        if not initial:
            return
        seen, queue = {initial[0]}, deque(initial[:1])
        while queue:
            state = queue.popleft()
            for event in events.values():
                if state in event.sources:
                    for branch in event.branches:
                        if branch.to not in seen:
                            seen.add(branch.to)
                            queue.append(branch.to)
        states_raw = self.doc.get("states")
        for name in states:
            if name not in seen:
                self.error(states_raw.key_at(name), f"state '{name}' is unreachable from the initial state '{initial[0]}'")


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"
