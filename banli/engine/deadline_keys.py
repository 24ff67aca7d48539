"""Readers of the deadline keys (SPEC §7): the definition's `office_hours`, a deadline's `after`
taken from a field (`{field, table, default}`), a deadline `until` a date field, and an event's
`clock` (pause, resume), with
the checks that need every event parsed. Like every reader, they record positioned problems
in the parser's `Context` and carry on."""

from __future__ import annotations

from banli.engine.clock import PAUSE, RESUME
from banli.engine.due_dates import OnDate
from banli.engine.durations import Duration, Lookup, parse_duration
from banli.engine.keys import AFTER
from banli.engine.load import Located
from banli.engine.model import Event, State
from banli.engine.readers import Context, duration, kind_of, known_keys, mapping, sequence, show
from banli.engine.workhours import check_periods, parse_period
from banli.i18n import _


def office_hours(ctx: Context, doc: Located) -> tuple[tuple[int, int], ...]:
    """`office_hours: ["08:30-12:00", "14:30-18:00"]`: periods of a day, ordered, not overlapping."""
    if "office_hours" not in doc:
        return ()
    values = sequence(doc.get("office_hours"), doc.value_at("office_hours"))
    if not values:
        ctx.error(doc.value_at("office_hours"), _("office_hours is empty: list the periods of a workday, "
                                                  "e.g. ['08:30-12:00', '14:30-18:00']"))
    periods = []
    for index, value in enumerate(values):
        try:
            if not isinstance(value, str):
                raise ValueError(_("is {kind}, not a period 'HH:MM-HH:MM' such as '08:30-12:00'").format(
                    kind=kind_of(value)))
            periods.append(parse_period(value))
        except ValueError as exc:
            ctx.error(values.at(index), _("{where}: {problem}").format(where=f"office_hours[{index}]", problem=exc))
    problem = check_periods(periods) if len(periods) == len(values) else None
    if problem:
        ctx.error(doc.value_at("office_hours"), _("{where}: {problem}").format(where="office_hours", problem=problem))
    ctx.office_hours = tuple(periods) or ((0, 0),)  # given, if broken: durations in workhours need not say so too
    return tuple(periods)


def after(ctx: Context, spec: Located, here: str, *, from_field: bool, initial: bool) -> Duration | Lookup | None:
    """A rule's `after`: a duration, or (`from_field`: in a state's deadline) `{field, table, default}`."""
    value = spec.get("after")
    if not isinstance(value, Located):
        return duration(ctx, spec, "after", f"{here}.after")
    where = f"{here}.after"
    if not from_field:
        ctx.error(spec.value_at("after"), _("{where} is a duration such as '5 workdays'; only a state's deadline "
                                            "may take its duration from a field").format(where=where))
        return None
    if initial:
        ctx.error(spec.value_at("after"), _("{where}: the initial state's deadline cannot be taken from a field (an "
                                            "item starts there as it is registered or imported); give it a "
                                            "duration").format(where=where))
    known_keys(ctx, value, AFTER, where)
    name = value.get("field")
    field = ctx.fields.get(name) if isinstance(name, str) else None
    if "field" not in value:
        ctx.error(value.position, _("{where} needs 'field': the field whose value gives the duration").format(
            where=where))
    elif field is None:
        ctx.error(value.value_at("field"), _("{where}.field: unknown field '{field}'; fields: {fields}").format(
            where=where, field=show(name), fields=show(", ".join(ctx.fields) or _("none"), 200)))
    default = duration(ctx, value, "default", f"{where}.default") if "default" in value else None
    table = _table(ctx, value, field, default, where) if "table" in value else ()
    if field is not None and "table" not in value:
        if field.type == "choice":
            odd = [choice for choice in field.choices if not _is_duration(choice)]
            if odd:
                ctx.error(value.value_at("field"), _("{where}: choice(s) {choices} of field '{field}' are not "
                                                     "durations; give a 'table' of a duration for each choice").format(
                    where=where, choices=show("、".join(odd), 100), field=name))
        elif field.type != "text":
            ctx.error(value.value_at("field"), _("{where}: field '{field}' is of type {type}; a deadline is taken "
                                                 "from a text field holding a duration, or a choice field with a "
                                                 "'table'").format(where=where, field=name, type=field.type))
    return Lookup(field=str(name), table=table, default=default) if field is not None else None


def until(ctx: Context, spec: Located, here: str, *, in_deadline: bool, initial: bool) -> OnDate | None:
    """A state's `deadline: {until: FIELD}`: the end of the day a date field holds. (Not `on`:
    YAML 1.1 tools, editors among them, read that key as true.)"""
    name, where = spec.get("until"), f"{here}.until"
    if not in_deadline:
        ctx.error(spec.key_at("until"), _("{where}: only a state's deadline may fall on the day a field holds; "
                                          "an event's window is {{after: DURATION, from: EVENT | enter}}").format(
            where=where))
        return None
    for other in ("after", "from"):
        if other in spec:
            ctx.error(spec.key_at(other), _("{where}: 'until' names the deadline's day itself; drop '{key}' "
                                            "(or drop 'until' and count a duration)").format(where=here, key=other))
    if initial:
        ctx.error(spec.key_at("until"), _("{where}: the initial state's deadline cannot be taken from a field (an "
                                          "item starts there as it is registered or imported); give it a "
                                          "duration").format(where=where))
    field = ctx.fields.get(name) if isinstance(name, str) else None
    if field is None:
        dated = [key for key, known in ctx.fields.items() if known.type == "date"]
        ctx.error(spec.value_at("until"), _("{where}: unknown field '{field}'; date fields: {fields}").format(
            where=where, field=show(name), fields=show(", ".join(dated) or _("none"), 200)))
        return None
    if field.type != "date":
        ctx.error(spec.value_at("until"), _("{where}: field '{field}' is of type {type}; the deadline falls on the "
                                            "day a date field holds (type: date)").format(
            where=where, field=name, type=field.type))
        return None
    return OnDate(field=str(name))


def _table(ctx: Context, value: Located, field, default: Duration | None, where: str) -> tuple:
    """`table: {紧急: 4 hours, 一般: 5 workdays}`: a duration for each of a choice field's choices."""
    raw = mapping(ctx, value.get("table"), value.value_at("table"), f"{where}.table")
    if field is not None and field.type != "choice":
        ctx.error(value.key_at("table"), _("{where}: a table is keyed by a choice field's choices; field "
                                           "'{field}' is of type {type} (drop 'table' if it holds a duration)").format(
            where=where, field=field.name, type=field.type))
        field = None
    entries = []
    for key in raw or {}:
        if field is not None and str(key) not in field.choices:
            ctx.error(raw.key_at(key), _("{where}.table: '{value}' is not a choice of field '{field}'; "
                                         "choices: {choices}").format(where=where, value=show(key), field=field.name,
                                                                      choices=show(", ".join(field.choices), 200)))
        found = duration(ctx, raw, key, f"{where}.table.{show(key)}")
        if found is not None:
            entries.append((str(key), found))
    if field is not None and default is None:
        missing = [choice for choice in field.choices if choice not in {str(key) for key in raw or {}}]
        if missing:
            ctx.error(value.value_at("table"), _("{where}.table has no entry for {choices}: give each choice a "
                                                 "duration, or a 'default'").format(
                where=where, choices=show("、".join(missing), 100)))
    return tuple(entries)


def _is_duration(text: str) -> bool:
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True


def clock(ctx: Context, spec: Located, where: str) -> str | None:
    """An event's `clock: pause | resume`; such an event is internal (the item keeps its state)."""
    if "clock" not in spec:
        return None
    value = spec.get("clock")
    if value not in (PAUSE, RESUME):
        ctx.error(spec.value_at("clock"), _("{where}.clock must be '{pause}' or '{resume}', not '{value}'").format(
            where=where, pause=PAUSE, resume=RESUME, value=show(value)))
        return None
    if spec.get("internal") is not True:
        ctx.error(spec.key_at("clock"), _("{where}: an event that pauses or resumes the clock keeps the item in its "
                                          "state; add 'internal: true'").format(where=where))
    return str(value)


def check_clocks(ctx: Context, doc: Located, states: dict[str, State], events: dict[str, Event]) -> None:
    """A pause is possible only where a deadline runs, and something resumes it there; a resume
    only where something pauses."""
    raw = doc.get("events")
    paused: dict[str, list[str]] = {}
    for event in events.values():
        if event.clock == PAUSE:
            for source in event.sources:
                paused.setdefault(source, []).append(event.name)
    resumed = {source for event in events.values() if event.clock == RESUME for source in event.sources}
    for event in events.values():
        if event.clock is None or not isinstance(raw, Located) or not isinstance(raw.get(event.name), Located):
            continue
        spec, where = raw[event.name], _("event '{name}'").format(name=event.name)
        if event.clock == PAUSE:
            bare = [source for source in event.sources if source in states and states[source].deadline is None]
            if bare:
                ctx.error(spec.value_at("from"), _("{where} pauses the clock, but state(s) {states} have no "
                                                   "deadline to pause; list only states with a deadline in "
                                                   "'from'").format(where=where, states=", ".join(bare)))
            stuck = [source for source in event.sources if source not in resumed]
            if stuck and not bare:
                ctx.error(spec.value_at("clock"), _("{where} pauses the clock in {states}, but no event resumes it "
                                                    "there; add an event with 'clock: resume' from there").format(
                    where=where, states=", ".join(stuck)))
        else:
            orphan = [source for source in event.sources if source not in paused]
            if orphan:
                ctx.error(spec.value_at("clock") if not paused else spec.value_at("from"),
                          _("{where} resumes the clock in {states}, where no event pauses it; add an event with "
                            "'clock: pause' from there, or drop the state from 'from'").format(
                              where=where, states=", ".join(orphan)))
