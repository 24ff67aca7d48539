"""The sections of a definition, one function each: settings, fields, states and events with
the deadlines, reminders, branches and data inside them (SPEC §7)."""

from __future__ import annotations

from banli.engine import deadline_keys, field_roles, notices, registry, repeat_keys
from banli.engine.keys import BRANCH, DATA, EVENT, FIELD, REMINDER, RULE, STATE, Section
from banli.engine.limits import text_problem
from banli.engine.load import Located, LocatedList
from banli.engine.model import (
    ENTER, FIELD_TYPES, Branch, Choices, DataSpec, Event, Field, Reminder, ReminderKind, Rule, State, setters,
)
from banli.engine.params import calls
from banli.engine.readers import (
    MAX_NAME, SCALARS, Context, DeferredKind, boolean, duration, kind_of, known_keys, label, mapping, name, roles,
    sequence, show, when,
)
from banli.i18n import _

RESERVED_EVENTS = ("created", "migrated", "deadline_recomputed")  # names banli's own trace rows use
_REMINDER_KINDS = tuple(kind.value for kind in ReminderKind)


def settings(ctx: Context, doc: Located) -> None:
    raw = mapping(ctx, doc.get("settings"), doc.value_at("settings"), "settings")
    for setting, value in (raw or {}).items():
        if isinstance(value, (Located, LocatedList)) or value is None:
            ctx.error(raw.value_at(setting), _("setting '{setting}' must be a single value "
                                               "(a duration, number or text), not {kind}").format(
                setting=show(setting), kind=kind_of(value)))
            continue
        ctx.settings[str(setting)] = value


def _type_and_choices(ctx: Context, spec: Located, section: Section, where: str, what: str) -> tuple[str, Choices]:
    """A field's or data key's type, and its choices if it is a choice (`what`, translated, names it in messages)."""
    kind = spec.get("type", section["type"].default)
    if kind not in FIELD_TYPES:
        ctx.error(spec.value_at("type"), _("{where}: unknown type '{type}'; types: {types}").format(
            where=where, type=show(kind), types=", ".join(FIELD_TYPES)))
        kind = section["type"].default
    choices = spec.get("choices")
    if kind == "choice" and isinstance(choices, Located) and choices:
        return kind, _labelled_choices(ctx, choices, where)
    if kind == "choice" and not (isinstance(choices, list) and choices):
        ctx.error(spec.position, _("{where}: a {what} needs 'choices' (a non-empty list, or a mapping of values "
                                   "to their labels)").format(where=where, what=what))
        choices = []
    elif kind != "choice" and choices is not None:
        ctx.error(spec.key_at("choices"), _("{where}: only a {what} takes 'choices'").format(where=where, what=what))
        choices = []
    return kind, Choices(_choices(ctx, choices or LocatedList(), where))


def _labelled_choices(ctx: Context, choices: Located, where: str) -> Choices:
    """`{face_to_face: 面对面, phone: 电话}`: values with the names people give them, each
    label once and none the same as another choice's value."""
    keys = LocatedList(choices)
    keys.position, keys.item_positions = choices.position, [choices.key_at(key) for key in choices]
    values = _choices(ctx, keys, where)
    labels: dict[str, str] = {}
    for value in values:
        text = choices[value]
        position = choices.value_at(value)
        facts = {"where": where, "choice": show(value)}
        problem = (_("{where}: the label of choice '{choice}' is not text")
                   if not isinstance(text, SCALARS) or isinstance(text, bool)
                   else _("{where}: the label of choice '{choice}' is empty") if not str(text).strip()
                   else _("{where}: the label of choice '{choice}' {problem}") if text_problem(str(text))
                   else _("{where}: the label of choice '{choice}' names another choice too; give each choice "
                          "its own label") if str(text) in labels.values() or (str(text) in values and str(text) != value)
                   else None)
        if problem:
            ctx.error(position, problem.format(**facts, problem=text_problem(str(text))))
            continue
        labels[value] = str(text)
    return Choices(values, labels)


def _choices(ctx: Context, choices: LocatedList, where: str) -> tuple[str, ...]:
    """A choice's values: text (a number is its text), each once, none empty."""
    result: list[str] = []
    for index, choice in enumerate(choices):
        text = str(choice) if isinstance(choice, SCALARS) else show(choice)
        problem = (_("{where}: choice {number} ('{choice}') is {kind}; a choice is text") if not isinstance(choice, SCALARS)
                   else _("{where}: choice {number} ('{choice}') is empty") if not text.strip()
                   else _("{where}: choice {number} ('{choice}') repeats choice {first}; list each choice once")
                   if text in result
                   else _("{where}: choice {number} ('{choice}') {problem}") if text_problem(text) else None)
        if problem:
            ctx.error(choices.at(index), problem.format(
                where=where, number=index + 1, choice=show(text), kind=kind_of(choice), problem=text_problem(text),
                first=result.index(text) + 1 if text in result else 0))
        else:
            result.append(text)
    return tuple(result)


def fields(ctx: Context, doc: Located) -> None:
    raw = mapping(ctx, doc.get("fields"), doc.value_at("fields"), "fields")
    for key, value in (raw or {}).items():
        field_name = name(ctx, raw, key, "field")
        where = _("field '{name}'").format(name=show(field_name))
        spec = mapping(ctx, value, raw.value_at(key), where)
        if spec is None:
            continue
        known_keys(ctx, spec, FIELD, where)
        kind, choices = _type_and_choices(ctx, spec, FIELD, where, _("choice field"))
        required, outcome = boolean(ctx, spec, "required", where), boolean(ctx, spec, "outcome", where)
        if required and outcome:
            ctx.error(spec.value_at("outcome"), _("{where}: an outcome is set by events, never at registration, "
                                                  "so it cannot be required; drop 'required' or 'outcome'").format(where=where))
        ctx.fields[field_name] = Field(
            name=field_name, type=kind, label=label(ctx, spec, "label", field_name, where), choices=choices,
            required=required, outcome=outcome, role=field_roles.read(ctx, spec, field_name, kind, raw.key_at(key), where),
        )


def rule(ctx: Context, entry: Located, key: str, where: str) -> Rule | None:
    """A state's `deadline` or an event's `within`: `{after: DURATION, from: EVENT | enter}`."""
    here = f"{where}.{key}"
    spec = mapping(ctx, entry.get(key), entry.value_at(key), here)
    if spec is None:
        return None
    known_keys(ctx, spec, RULE, here)
    if "until" in spec:  # the day a date field holds
        day = deadline_keys.until(ctx, spec, here, in_deadline=key == "deadline", initial=entry.get("initial") is True)
        return Rule(after=day, start=ENTER) if day is not None else None
    if "after" not in spec:
        ctx.error(spec.position, _("{where} needs 'after' (a duration such as '3 months')").format(where=here))
    start = spec.get("from", RULE["from"].default)
    if start not in (ENTER, "created"):
        ctx.defer(spec.value_at("from"), DeferredKind.EVENT, start, f"{here}.from")
    after = deadline_keys.after(ctx, spec, here, from_field=key == "deadline",
                                initial=entry.get("initial") is True) if "after" in spec else None
    return Rule(after=after, start=str(start)) if after is not None else None


def reminders(ctx: Context, entry: Located, key: str, where: str, state: str | None = None) -> tuple[Reminder, ...]:
    """A state's or campaign's reminders; in a state, an event they fire must be possible there."""
    values = sequence(entry.get(key), entry.value_at(key))
    result = []
    for index, raw in enumerate(values):
        here = f"{where}.{key}[{index}]"
        spec = mapping(ctx, raw, values.at(index), here)
        if spec is None:
            continue
        known_keys(ctx, spec, REMINDER, here)
        kinds = [kind for kind in _REMINDER_KINDS if kind in spec]
        if len(kinds) != 1:
            ctx.error(spec.position, _("{where} needs exactly one of 'before' or 'overdue'").format(where=here))
            continue
        if not spec.get("notify") and "fire" not in spec:
            ctx.error(spec.position, _("{where} needs 'notify' (roles), 'fire' (an event) or both").format(where=here))
        offset = duration(ctx, spec, kinds[0], f"{here}.{kinds[0]}")
        fire = spec.get("fire")
        if fire is not None:
            ctx.defer(spec.value_at("fire"), DeferredKind.SYSTEM_EVENT, fire, f"{here}.fire")
            if state is not None:
                ctx.defer(spec.value_at("fire"), DeferredKind.EVENT_IN_STATE, fire, f"{here}.fire", state=state)
        notify = roles(ctx, spec, "notify", f"{here}.notify", allow_system=False) if spec.get("notify") else ()
        every, times = repeat_keys.repetition(ctx, spec, here)
        message = notices.reminder_message(ctx, spec, f"{here}.message") if "message" in spec else None
        if message is not None and not notify:
            ctx.error(spec.value_at("message"), _("{where}.message: a message needs people to tell; add 'notify'").format(
                where=here))
        if offset is not None:
            result.append(Reminder(kind=ReminderKind(kinds[0]), offset=offset, notify=notify, fire=fire,
                                   every=every, times=times, message=message))
    return tuple(result)


def states(ctx: Context, doc: Located) -> dict[str, State]:
    given = mapping(ctx, doc.get("states"), doc.value_at("states"), "states")
    raw = given or Located()
    ctx.state_names = {str(name) for name in raw}  # events and campaigns name states
    result: dict[str, State] = {}
    for key, value in raw.items():
        state = name(ctx, raw, key, "state")
        where = _("state '{name}'").format(name=show(state))
        spec = mapping(ctx, value, raw.value_at(key), where)
        if spec is None:
            continue
        known_keys(ctx, spec, STATE, where)
        result[state] = State(
            name=state, label=label(ctx, spec, "label", state, where),
            initial=boolean(ctx, spec, "initial", where), final=boolean(ctx, spec, "final", where),
            deadline=rule(ctx, spec, "deadline", where) if "deadline" in spec else None,
            reminders=reminders(ctx, spec, "reminders", where, state=state),
        )
        longest = f"{state}:{len(result[state].reminders) - 1}"  # how the store keeps a reminder done
        if result[state].reminders and MAX_NAME >= len(state) and len(longest) > MAX_NAME:
            ctx.error(raw.key_at(key), _("{where}: with {count} reminder(s) the name may have at most {limit} "
                                         "characters").format(where=where, count=len(result[state].reminders),
                                                              limit=MAX_NAME - len(longest) + len(state)))
    initial = [state for state, spec in result.items() if spec.initial]
    if not initial and given is not None and "states" in doc:  # absent: the definition says it needs them
        ctx.error(given.position, _("no initial state: mark one state 'initial: true'"))
    for extra in initial[1:]:
        ctx.error(raw.key_at(extra), _("state '{state}' is a second initial state; only one may be").format(state=extra))
    return result


def events(ctx: Context, doc: Located, states: dict[str, State]) -> dict[str, Event]:
    raw = mapping(ctx, doc.get("events"), doc.value_at("events"), "events") or Located()
    ctx.event_names = {str(name) for name in raw}  # the deferred checks look names up here
    result: dict[str, Event] = {}
    for key, value in raw.items():
        event_name = name(ctx, raw, key, "event")
        where = _("event '{name}'").format(name=show(event_name))
        if event_name in RESERVED_EVENTS:
            ctx.error(raw.key_at(key), _("{where}: '{event}' is reserved for banli's own trace; choose another name").format(
                where=where, event=event_name))
        spec = mapping(ctx, value, raw.value_at(key), where)
        if spec is None:
            continue
        known_keys(ctx, spec, EVENT, where)
        result[event_name] = event(ctx, event_name, spec, states, where)
    _outcomes_set(ctx, doc, result)
    return result


def _outcomes_set(ctx: Context, doc: Located, events: dict[str, Event]) -> None:
    """An outcome field no event sets could never be given a value: a slip in the definition."""
    raw = doc.get("fields")
    for field_name, spec in ctx.fields.items():
        if spec.outcome and not setters(events.values(), field_name) and isinstance(raw, Located):
            ctx.error(raw.key_at(field_name), _("field '{field}' is an outcome, but no event sets it (in its "
                                                "data or with set_fields): it could never have a value").format(
                field=show(field_name)))


def event(ctx: Context, name: str, spec: Located, states: dict[str, State], where: str) -> Event:
    internal, reopen = boolean(ctx, spec, "internal", where), boolean(ctx, spec, "reopen", where)
    event_sources = sources(ctx, spec, states, where)
    event_data = data(ctx, spec, where)  # a branch's expression may name the event-only keys
    event_branches: tuple[Branch, ...] = ()
    if internal and "to" in spec:
        ctx.error(spec.key_at("to"), _("{where} is internal (no state change) and cannot have 'to'").format(where=where))
    elif not internal:
        if "to" not in spec:
            ctx.error(spec.position, _("{where} needs 'to' (a state or branches), or 'internal: true'").format(where=where))
        else:
            event_branches = branches(ctx, spec, where, event_data)
            for source in event_sources:
                if source in states and states[source].final and not reopen:
                    ctx.error(spec.value_at("from"), _("{where} leaves final state '{state}'; a final state is never "
                                                       "left (make the event internal, or mark it 'reopen: true')").format(
                        where=where, state=source))
    if reopen and (internal or not any(states[s].final for s in event_sources if s in states)):
        ctx.error(spec.value_at("reopen"), _("{where}: 'reopen: true' is for an event that leaves a final state "
                                             "(not internal, a final state in its 'from'); drop it").format(where=where))
    if "roles" not in spec:
        ctx.error(spec.position, _("{where} needs 'roles': who may fire it").format(where=where))
    return Event(
        name=name, label=label(ctx, spec, "label", name, where), sources=event_sources, branches=event_branches,
        internal=internal, roles=roles(ctx, spec, "roles", f"{where}.roles"), data=event_data,
        within=rule(ctx, spec, "within", where) if "within" in spec else None,
        guards=calls(ctx, spec, "guards", registry.guards(), "guard", where),
        effects=calls(ctx, spec, "effects", registry.effects(), "effect", where),
        clock=deadline_keys.clock(ctx, spec, where),
        notify=notices.read(ctx, spec, where, event_data), reopen=reopen,
    )


def sources(ctx: Context, spec: Located, states: dict[str, State], where: str) -> tuple[str, ...]:
    """An event's `from`: a state, a list of states, or '*' for every state that is not final."""
    if "from" not in spec:
        ctx.error(spec.position, _("{where} needs 'from': a state, a list of states or '*'").format(where=where))
        return ()
    if spec["from"] == "*":
        return tuple(name for name, state in states.items() if not state.final)
    values = sequence(spec["from"], spec.value_at("from"))
    result = []
    for index, source in enumerate(values):
        if not isinstance(source, str) or source not in ctx.state_names:
            ctx.error(values.at(index), _("{where}: unknown state '{state}' in 'from'; states: {states}").format(
                where=where, state=show(source), states=show(", ".join(states), 200)))
        else:
            result.append(str(source))
    return tuple(result)


def branches(ctx: Context, spec: Located, where: str, event_data: tuple[DataSpec, ...] = ()) -> tuple[Branch, ...]:
    """An event's `to`: one state, or branches tried in order that end with one without `when`
    (a mapping of fields, or an expression that may also name the event's own data keys)."""
    target = spec["to"]
    known = show(", ".join(sorted(ctx.state_names)), 200)
    if not isinstance(target, LocatedList):
        if not isinstance(target, str) or target not in ctx.state_names:
            ctx.error(spec.value_at("to"), _("{where}: unknown state '{state}' in 'to'; states: {states}").format(
                where=where, state=show(target), states=known))
            return ()
        return (Branch(to=str(target)),)
    result = []
    for index, raw in enumerate(target):
        here = _("{where} branch {number}").format(where=where, number=index + 1)
        entry = mapping(ctx, raw, target.at(index), here)
        if entry is None:
            continue
        known_keys(ctx, entry, BRANCH, here)
        last = index == len(target) - 1
        if last and "when" in entry:
            ctx.error(target.at(index), _("{where}: the last branch has a 'when'; end with a fallback branch "
                                          "without 'when'").format(where=where))
        elif not last and "when" not in entry:
            ctx.error(target.at(index), _("{where} has no 'when' but is not last: the branches after it could never "
                                          "be taken").format(where=here))
        to = entry.get("to")
        if not isinstance(to, str) or to not in ctx.state_names:
            ctx.error(entry.value_at("to") if "to" in entry else entry.position,
                      _("{where}: unknown state '{state}' in 'to'; states: {states}").format(
                          where=here, state=show(to), states=known))
            continue
        result.append(Branch(to=str(to), when=when(ctx, entry, "when", here, event_data) if "when" in entry else ()))
    if not target:
        ctx.error(spec.value_at("to"), _("{where}: 'to' is an empty list of branches").format(where=where))
    return tuple(result)


def _as_mapping(ctx: Context, keys: LocatedList, where: str) -> Located:
    """`data: [a, b]` is short for `data: {a: {}, b: {}}`: optional keys."""
    result = Located()
    result.position, result.key_positions, result.value_positions = keys.position, {}, {}
    for index, key in enumerate(keys):
        if not isinstance(key, str) or key in result:
            ctx.error(keys.at(index), (_("{where}.data: {key} is listed twice") if isinstance(key, str) else
                                       _("{where}.data: {key} is {kind}, not a key's name")).format(
                where=where, key=show(key), kind=kind_of(key)))
            continue
        result[key] = None
        result.key_positions[key] = result.value_positions[key] = keys.at(index)
    return result


def data(ctx: Context, spec: Located, where: str) -> tuple[DataSpec, ...]:
    """An event's `data`: keys naming a field take its type; others are event-only and typed here."""
    raw = spec.get("data")
    if isinstance(raw, LocatedList):
        raw = _as_mapping(ctx, raw, where)
    keys = mapping(ctx, raw, spec.value_at("data"), f"{where}.data") or {}
    result = []
    for key, value in keys.items():
        here = f"{where}.data.{show(key)}"
        options = mapping(ctx, value, keys.value_at(key), here)
        if options is None:
            continue
        known_keys(ctx, options, DATA, here)
        required = boolean(ctx, options, "required", here)
        field = ctx.fields.get(str(key))
        if field is not None:
            if "type" in options and options["type"] != field.type:
                ctx.error(options.value_at("type"), _("{where}: '{key}' is a field of type {type}; drop 'type' "
                                                      "here").format(where=here, key=key, type=field.type))
            if "choices" in options:
                ctx.error(options.key_at("choices"), _("{where}: '{key}' is a field: its choices are the field's; "
                                                       "drop 'choices' here").format(where=here, key=key))
            result.append(DataSpec(key=str(key), type=field.type, required=required, choices=field.choices, is_field=True))
            continue
        kind, choices = _type_and_choices(ctx, options, DATA, here, _("choice"))
        named = label(ctx, options, "label", str(key), here) if "label" in options else None
        result.append(DataSpec(key=str(key), type=kind, required=required, choices=choices, label=named))
    return tuple(result)
