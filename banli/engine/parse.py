"""Step 2 of the definition pipeline: located dicts → a frozen `Definition`, every error collected.

The parser never stops at the first problem: it records each one with its position and
carries on, so a user fixing a file sees all that is wrong in one run (SPEC §7). It reads
in stages: the top level, then each section in the order later ones need them (settings,
fields, states, events, campaigns, scoring), then the checks that need every event parsed.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Callable
from zoneinfo import ZoneInfo

from banli.engine import campaign_keys, deadline_keys, ledger_spec, sections
from banli.engine.calendar import CN, PLAIN
from banli.engine.keys import CAMPAIGN, SCORING, SELECT, TOP
from banli.engine.load import Located, Position, load_file, load_text
from banli.engine.model import SYSTEM, Campaign, Definition, Event, ScoringRule, Selector, State
from banli.engine.readers import (
    MAX_NAME, Context, DeferredKind, duration, kind_of, known_keys, label, mapping, name, sequence, show, when,
)
from banli.engine.times import DEFAULT_ZONE_NAME
from banli.errors import DefinitionErrors
from banli.i18n import N_, _

_ID = re.compile(r"^[a-z0-9-]+$")
MAX_VERSION = 2**31 - 1  # the store's version column is a 32-bit INTEGER on PostgreSQL
# What a campaign's outcome field may be: a value short enough for the column that keeps it.
_OUTCOME_TYPES = ("choice", "bool", "date", "unit", "person")
_NO_COUNT = N_("a scoring rule's points are judged on the fields of each event alone")


def parse_file(path: str) -> tuple[Definition, str]:
    """Load and parse a definition file; returns the definition and its text."""
    document, text = load_file(path)
    return parse(document, str(path)), text


def parse_text(text: str, file: str = "<definition>") -> Definition:
    return parse(load_text(text, file), file)


def parse(document: Located, file: str = "<definition>",
          workflow_exists: Callable[[str], bool] | None = None) -> Definition:
    """Parse a loaded definition; raises `DefinitionErrors` listing every problem. With
    `workflow_exists`, a workflow another one names (`spawn_children`) must exist."""
    ctx = Context(file=file, workflow_exists=workflow_exists)
    definition = _definition(ctx, document)
    if ctx.problems:
        ctx.problems.sort(key=lambda p: (p.line, p.column))  # stable: same place, found order
        raise DefinitionErrors(ctx.problems)
    return definition


def _definition(ctx: Context, doc: Located) -> Definition:
    the_definition = _("the definition")
    known_keys(ctx, doc, TOP, the_definition)
    for required in TOP.required():
        if required not in doc:
            ctx.error(doc.position, _("the definition needs '{key}'").format(key=required))
    workflow_id = str(doc.get("id", ""))
    if "id" in doc and not _ID.match(workflow_id):
        ctx.error(doc.value_at("id"), _("id '{id}' must be lower-case letters, digits and '-'").format(
            id=show(workflow_id)))
    elif len(workflow_id) > MAX_NAME:
        ctx.error(doc.value_at("id"), _("id '{id}' has {length} characters; an id has at most {limit}").format(
            id=show(workflow_id), length=len(workflow_id), limit=MAX_NAME))
    version = doc.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)
                                or not 1 <= version <= MAX_VERSION):
        ctx.error(doc.value_at("version"), _("version must be a whole number from 1 to {limit}, not {kind}").format(
            limit=MAX_VERSION, kind=kind_of(version)))
        version = None
    timezone = doc.get("timezone", TOP["timezone"].default)
    try:
        ZoneInfo(timezone)
    except (LookupError, ValueError, TypeError, OSError):  # not found (a KeyError), not a name, not text, a folder
        ctx.error(doc.value_at("timezone"), _("unknown time zone '{zone}' (e.g. {example})").format(
            zone=show(timezone), example=DEFAULT_ZONE_NAME))
        timezone = DEFAULT_ZONE_NAME
    calendar = doc.get("calendar", TOP["calendar"].default)
    if calendar not in (CN, PLAIN):
        ctx.error(doc.value_at("calendar"), _("calendar must be '{cn}' or '{plain}', not {kind}").format(
            cn=CN, plain=PLAIN, kind=kind_of(calendar)))
    office_hours = deadline_keys.office_hours(ctx, doc)
    sections.settings(ctx, doc)
    sections.fields(ctx, doc)
    states = sections.states(ctx, doc)
    events = sections.events(ctx, doc, states)
    campaigns = _campaigns(ctx, doc, events)
    scoring = _scoring(ctx, doc)
    ledger = ledger_spec.read(ctx, doc, events)
    _check_deferred(ctx, events)
    deadline_keys.check_clocks(ctx, doc, states, events)
    _check_reachable(ctx, doc, states, events)
    return Definition(
        id=workflow_id, version=version, title=label(ctx, doc, "title", workflow_id, the_definition),
        timezone=timezone, calendar=str(calendar), office_hours=office_hours,
        settings=tuple(ctx.settings.items()), fields=ctx.fields, states=states, events=events,
        campaigns=campaigns, scoring=scoring, ledger=ledger,
    )


def _campaigns(ctx: Context, doc: Located, events: dict[str, Event]) -> dict[str, Campaign]:
    raw = mapping(ctx, doc.get("campaigns"), doc.value_at("campaigns"), "campaigns") or {}
    result = {}
    for key, value in raw.items():
        campaign = name(ctx, raw, key, "campaign", pattern=None)  # named on the command line: any one-line text
        where = _("campaign '{name}'").format(name=show(campaign))
        spec = mapping(ctx, value, raw.value_at(key), where)
        if spec is None:
            continue
        known_keys(ctx, spec, CAMPAIGN, where)
        result[campaign] = _campaign(ctx, campaign, spec, where, events)
    return result


def _campaign(ctx: Context, name: str, spec: Located, where: str, events: dict[str, Event]) -> Campaign:
    selectors = _selectors(ctx, spec, where)
    then = campaign_keys.then(ctx, spec, where, campaign_keys.choices(ctx, spec))
    campaign_keys.check(ctx, spec, where, selectors, spec.get("result"), then, events)
    if "fire" not in spec:
        ctx.error(spec.position, _("{where} needs 'fire': the event fired on each selected item").format(where=where))
    else:
        ctx.defer(spec.value_at("fire"), DeferredKind.SYSTEM_EVENT, spec["fire"], f"{where}.fire")
    if "result" in spec:
        ctx.defer(spec.value_at("result"), DeferredKind.EVENT, spec["result"], f"{where}.result")
    outcome = spec.get("outcome")
    if outcome is not None:
        _check_outcome(ctx, spec, outcome, where)
    if ("result" in spec) != ("outcome" in spec):
        ctx.error(spec.position, _("{where}: 'result' (the event recording an outcome) and 'outcome' "
                                   "(the field holding it) go together").format(where=where))
    schedule = spec.get("schedule")
    if schedule is not None:
        _check_cron(ctx, spec.value_at("schedule"), str(schedule), where)
    if spec.get("reminders") and "due" not in spec:
        ctx.error(spec.key_at("reminders"), _("{where}: reminders need 'due' (the task's due date)").format(where=where))
    return Campaign(
        name=name, label=label(ctx, spec, "label", name, where), select=selectors,
        fire=str(spec.get("fire", "")),
        due=duration(ctx, spec, "due", f"{where}.due") if "due" in spec else None,
        schedule=str(schedule) if schedule is not None else None,
        reminders=sections.reminders(ctx, spec, "reminders", where),
        result=str(spec["result"]) if "result" in spec else None,
        outcome=str(outcome) if outcome is not None else None, then=then,
    )


def _check_outcome(ctx: Context, spec: Located, outcome: object, where: str) -> None:
    """A campaign's outcome field exists, and its values fit the column the store keeps them in."""
    field = ctx.fields.get(outcome) if isinstance(outcome, str) else None
    if field is None:
        ctx.error(spec.value_at("outcome"), _("{where}.outcome: unknown field '{field}'; fields: {fields}").format(
            where=where, field=show(outcome), fields=show(", ".join(ctx.fields) or _("none"), 200)))
    elif field.type not in _OUTCOME_TYPES:
        ctx.error(spec.value_at("outcome"), _("{where}.outcome: field '{field}' is of type {type}; an outcome is a "
                                              "field of type {types}").format(
            where=where, field=outcome, type=field.type, types=", ".join(_OUTCOME_TYPES)))
    elif any(len(choice) > MAX_NAME for choice in field.choices):
        ctx.error(spec.value_at("outcome"), _("{where}.outcome: the choices of field '{field}' are kept as a "
                                              "campaign's outcome, which has at most {limit} characters").format(
            where=where, field=outcome, limit=MAX_NAME))


def _selectors(ctx: Context, spec: Located, where: str) -> tuple[Selector, ...]:
    here = f"{where}.select"
    select = sequence(spec.get("select"), spec.value_at("select"))
    if not select:
        ctx.error(spec.position, _("{where} needs 'select': [{{state: …, when: …}}]").format(where=where))
    result = []
    allowed = campaign_keys.choices(ctx, spec)
    for index, raw in enumerate(select):
        entry = mapping(ctx, raw, select.at(index), here)
        if entry is None:
            continue
        known_keys(ctx, entry, SELECT, here)
        if not isinstance(entry.get("state"), str) or entry["state"] not in ctx.state_names:
            ctx.error(entry.value_at("state"), _("{where}: unknown state '{state}'").format(
                where=here, state=show(entry.get("state"))))
            continue
        kind, outcomes = campaign_keys.selection(ctx, entry, here, allowed)
        result.append(Selector(state=str(entry["state"]), when=when(ctx, entry, "when", here), kind=kind,
                               outcomes=outcomes))
    return tuple(result)


def _check_cron(ctx: Context, position: Position, text: str, where: str) -> None:
    """A campaign's `schedule` is a crontab line (minute hour day month weekday)."""
    from apscheduler.triggers.cron import CronTrigger  # only definitions with a schedule pay for the import

    try:
        CronTrigger.from_crontab(text)
    except (ValueError, TypeError, LookupError, OverflowError) as exc:
        ctx.error(position, _("{where}.schedule: '{schedule}' is not a crontab line "
                              "(minute hour day month weekday, e.g. '0 9 19 9 *'): {reason}").format(
            where=where, schedule=show(text), reason=show(str(exc), 120)))


def _scoring(ctx: Context, doc: Located) -> tuple[ScoringRule, ...]:
    raw = sequence(doc.get("scoring"), doc.value_at("scoring"))
    result = []
    for index, value in enumerate(raw):
        where = _("scoring rule {number}").format(number=index + 1)
        spec = mapping(ctx, value, raw.at(index), where)
        if spec is None:
            continue
        known_keys(ctx, spec, SCORING, where)
        points = spec.get("points")
        if not isinstance(points, int) or isinstance(points, bool):
            ctx.error(spec.value_at("points") if "points" in spec else spec.position,
                      _("{where} needs 'points', a whole number (negative for a deduction)").format(where=where))
            points = 0
        on_time = spec.get("on_time")
        if on_time is not None and not isinstance(on_time, bool):
            ctx.error(spec.value_at("on_time"), _("{where}.on_time must be true or false").format(where=where))
            on_time = None
        event = str(spec.get("event", ""))
        ctx.defer(spec.value_at("event") if "event" in spec else spec.position, DeferredKind.EVENT, event, where)
        result.append(ScoringRule(event=event, points=points, on_time=on_time, when=when(ctx, spec, "when", where, no_count=_(_NO_COUNT)),
                                  label=label(ctx, spec, "label", SCORING["label"].default, where).zh))
    return tuple(result)


_GIVEN = ("campaign", "kind")  # what a campaign passes to the event it fires


def _check_deferred(ctx: Context, events: dict[str, Event]) -> None:
    """References to events, checked once every event is parsed (a state names events defined after it)."""
    for ref in ctx.deferred:
        if ref.name not in ctx.event_names:
            ctx.error(ref.position, _("{where}: unknown event '{event}'; events: {events}").format(
                where=ref.where, event=show(ref.name), events=show(", ".join(sorted(ctx.event_names)), 200)))
        elif ref.name not in events:
            continue  # defined, but so broken that it was not kept: its own problems say why
        elif ref.kind is DeferredKind.SYSTEM_EVENT and SYSTEM not in events[ref.name].roles:
            ctx.error(ref.position, _("{where}: event '{event}' is fired by the system, so its roles must include "
                                      "'system'").format(where=ref.where, event=ref.name))
        elif ref.kind is DeferredKind.SYSTEM_EVENT and (
                needed := [spec.key for spec in events[ref.name].data if spec.required and spec.key not in _GIVEN]):
            ctx.error(ref.position, _("{where}: event '{event}' is fired by the system, which gives it no data, "
                                      "but it requires {keys}; make them optional").format(
                where=ref.where, event=ref.name, keys=", ".join(needed)))
        elif ref.kind is DeferredKind.EVENT_IN_STATE and ref.state not in events[ref.name].sources:
            ctx.error(ref.position, _("{where}: event '{event}' is not possible in state '{state}', "
                                      "so this reminder could never fire it; add the state to its 'from'").format(
                where=ref.where, event=ref.name, state=ref.state))


def _check_reachable(ctx: Context, doc: Located, states: dict[str, State], events: dict[str, Event]) -> None:
    """Every state must be reachable from the initial one through the events' branches."""
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
    states_raw = doc.get("states")
    for name in states:
        if name not in seen:
            ctx.error(states_raw.key_at(name), _("state '{state}' is unreachable from the initial state '{initial}'").format(
                state=name, initial=initial[0]))
