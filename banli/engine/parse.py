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

_ID = re.compile(r"^[a-z0-9-]+$")
MAX_VERSION = 2**31 - 1  # the store's version column is a 32-bit INTEGER on PostgreSQL
# What a campaign's outcome field may be: a value short enough for the column that keeps it.
_OUTCOME_TYPES = ("choice", "bool", "date", "unit", "person")
_NO_COUNT = "a scoring rule's points are judged on the fields of each event alone"


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
    known_keys(ctx, doc, TOP, "the definition")
    for required in TOP.required():
        if required not in doc:
            ctx.error(doc.position, f"the definition needs '{required}'")
    workflow_id = str(doc.get("id", ""))
    if "id" in doc and not _ID.match(workflow_id):
        ctx.error(doc.value_at("id"), f"id '{show(workflow_id)}' must be lower-case letters, digits and '-'")
    elif len(workflow_id) > MAX_NAME:
        ctx.error(doc.value_at("id"), f"id '{show(workflow_id)}' has {len(workflow_id)} characters; "
                                      f"an id has at most {MAX_NAME}")
    version = doc.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)
                                or not 1 <= version <= MAX_VERSION):
        ctx.error(doc.value_at("version"), f"version must be a whole number from 1 to {MAX_VERSION}, "
                                           f"not {kind_of(version)}")
        version = None
    timezone = doc.get("timezone", TOP["timezone"].default)
    try:
        ZoneInfo(timezone)
    except (LookupError, ValueError, TypeError, OSError):  # not found (a KeyError), not a name, not text, a folder
        ctx.error(doc.value_at("timezone"), f"unknown time zone '{show(timezone)}' (e.g. {DEFAULT_ZONE_NAME})")
        timezone = DEFAULT_ZONE_NAME
    calendar = doc.get("calendar", TOP["calendar"].default)
    if calendar not in (CN, PLAIN):
        ctx.error(doc.value_at("calendar"), f"calendar must be '{CN}' or '{PLAIN}', not {kind_of(calendar)}")
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
        id=workflow_id, version=version, title=label(ctx, doc, "title", workflow_id, "the definition"),
        timezone=timezone, calendar=str(calendar), office_hours=office_hours,
        settings=tuple(ctx.settings.items()), fields=ctx.fields, states=states, events=events,
        campaigns=campaigns, scoring=scoring, ledger=ledger,
    )


def _campaigns(ctx: Context, doc: Located, events: dict[str, Event]) -> dict[str, Campaign]:
    raw = mapping(ctx, doc.get("campaigns"), doc.value_at("campaigns"), "campaigns") or {}
    result = {}
    for key, value in raw.items():
        campaign = name(ctx, raw, key, "campaign", pattern=None)  # named on the command line: any one-line text
        where = f"campaign '{show(campaign)}'"
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
        ctx.error(spec.position, f"{where} needs 'fire': the event fired on each selected item")
    else:
        ctx.defer(spec.value_at("fire"), DeferredKind.SYSTEM_EVENT, spec["fire"], f"{where}.fire")
    if "result" in spec:
        ctx.defer(spec.value_at("result"), DeferredKind.EVENT, spec["result"], f"{where}.result")
    outcome = spec.get("outcome")
    if outcome is not None:
        _check_outcome(ctx, spec, outcome, where)
    if ("result" in spec) != ("outcome" in spec):
        ctx.error(spec.position, f"{where}: 'result' (the event recording an outcome) and 'outcome' "
                                 "(the field holding it) go together")
    schedule = spec.get("schedule")
    if schedule is not None:
        _check_cron(ctx, spec.value_at("schedule"), str(schedule), where)
    if spec.get("reminders") and "due" not in spec:
        ctx.error(spec.key_at("reminders"), f"{where}: reminders need 'due' (the task's due date)")
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
        ctx.error(spec.value_at("outcome"), f"{where}.outcome: unknown field '{show(outcome)}'; "
                                            f"fields: {show(', '.join(ctx.fields) or 'none', 200)}")
    elif field.type not in _OUTCOME_TYPES:
        ctx.error(spec.value_at("outcome"), f"{where}.outcome: field '{outcome}' is of type {field.type}; "
                                            f"an outcome is a field of type {', '.join(_OUTCOME_TYPES)}")
    elif any(len(choice) > MAX_NAME for choice in field.choices):
        ctx.error(spec.value_at("outcome"), f"{where}.outcome: the choices of field '{outcome}' are kept as a "
                                            f"campaign's outcome, which has at most {MAX_NAME} characters")


def _selectors(ctx: Context, spec: Located, where: str) -> tuple[Selector, ...]:
    here = f"{where}.select"
    select = sequence(spec.get("select"), spec.value_at("select"))
    if not select:
        ctx.error(spec.position, f"{where} needs 'select': [{{state: …, when: …}}]")
    result = []
    allowed = campaign_keys.choices(ctx, spec)
    for index, raw in enumerate(select):
        entry = mapping(ctx, raw, select.at(index), here)
        if entry is None:
            continue
        known_keys(ctx, entry, SELECT, here)
        if not isinstance(entry.get("state"), str) or entry["state"] not in ctx.state_names:
            ctx.error(entry.value_at("state"), f"{here}: unknown state '{show(entry.get('state'))}'")
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
        ctx.error(position, f"{where}.schedule: '{show(text)}' is not a crontab line "
                            f"(minute hour day month weekday, e.g. '0 9 19 9 *'): {show(str(exc), 120)}")


def _scoring(ctx: Context, doc: Located) -> tuple[ScoringRule, ...]:
    raw = sequence(doc.get("scoring"), doc.value_at("scoring"))
    result = []
    for index, value in enumerate(raw):
        where = f"scoring rule {index + 1}"
        spec = mapping(ctx, value, raw.at(index), where)
        if spec is None:
            continue
        known_keys(ctx, spec, SCORING, where)
        points = spec.get("points")
        if not isinstance(points, int) or isinstance(points, bool):
            ctx.error(spec.value_at("points") if "points" in spec else spec.position,
                      f"{where} needs 'points', a whole number (negative for a deduction)")
            points = 0
        on_time = spec.get("on_time")
        if on_time is not None and not isinstance(on_time, bool):
            ctx.error(spec.value_at("on_time"), f"{where}.on_time must be true or false")
            on_time = None
        event = str(spec.get("event", ""))
        ctx.defer(spec.value_at("event") if "event" in spec else spec.position, DeferredKind.EVENT, event, where)
        result.append(ScoringRule(event=event, points=points, on_time=on_time, when=when(ctx, spec, "when", where, no_count=_NO_COUNT),
                                  label=label(ctx, spec, "label", SCORING["label"].default, where).zh))
    return tuple(result)


_GIVEN = ("campaign", "kind")  # what a campaign passes to the event it fires


def _check_deferred(ctx: Context, events: dict[str, Event]) -> None:
    """References to events, checked once every event is parsed (a state names events defined after it)."""
    for ref in ctx.deferred:
        if ref.name not in ctx.event_names:
            ctx.error(ref.position, f"{ref.where}: unknown event '{show(ref.name)}'; "
                                    f"events: {show(', '.join(sorted(ctx.event_names)), 200)}")
        elif ref.name not in events:
            continue  # defined, but so broken that it was not kept: its own problems say why
        elif ref.kind is DeferredKind.SYSTEM_EVENT and SYSTEM not in events[ref.name].roles:
            ctx.error(ref.position, f"{ref.where}: event '{ref.name}' is fired by the system, so its roles must include 'system'")
        elif ref.kind is DeferredKind.SYSTEM_EVENT and (
                needed := [spec.key for spec in events[ref.name].data if spec.required and spec.key not in _GIVEN]):
            ctx.error(ref.position, f"{ref.where}: event '{ref.name}' is fired by the system, which gives it no data, "
                                    f"but it requires {', '.join(needed)}; make them optional")
        elif ref.kind is DeferredKind.EVENT_IN_STATE and ref.state not in events[ref.name].sources:
            ctx.error(ref.position, f"{ref.where}: event '{ref.name}' is not possible in state '{ref.state}', "
                                    "so this reminder could never fire it; add the state to its 'from'")


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
            ctx.error(states_raw.key_at(name), f"state '{name}' is unreachable from the initial state '{initial[0]}'")
