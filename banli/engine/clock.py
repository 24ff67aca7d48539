"""The clock of a state's deadline, stopped and restarted (挂起/恢复), and the deadline counted
again as the trace has moved it.

An internal event with `clock: pause` clears the item's deadline while it waits on something
outside the unit: it is not overdue and no reminder falls due; its deadline basis reads
`paused`. One with `clock: resume` sets the deadline again, later by the time paused. Both are
facts of the trace: the pause row carries `"@clock": {"paused": true, …}`, the resume row
`"@clock": {"resumed": true, "paused_at": …}`, and each its `@deadline` (was, due). Leaving
the state ends a pause as a resume would.

The span paused is counted in the unit of the state's deadline: the exact time for hours,
office time for workhours, the workdays from the day of the pause up to the day of the resume
(not counted) for workdays, and calendar days so for days, weeks and months — a pause within
one day moves a deadline counted in days by nothing.

A deadline counted again (a reply sent back to a state whose deadline runs from an earlier
event, a calendar year added, a migration) keeps every extension granted and every span paused
since its start, in the order the trace recorded them (`carried`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import lru_cache

from banli.engine.calendar import FALLBACK, Probe
from banli.engine.durations import Duration, Lookup, from_deadline, parse_duration
from banli.engine.model import ENTER, Definition, Event, Rule
from banli.engine.times import local_text, utc_text
from banli.errors import InvalidInput
from banli.i18n import _

PAUSE, RESUME = "pause", "resume"  # an event's `clock`
PAUSED = "paused"  # the deadline basis of an item whose clock is stopped
_MICROSECOND = timedelta(microseconds=1)


def refusal(item, event: Event) -> str | None:
    """Why `event` cannot turn the item's clock now (exit 5), or None."""
    if event.clock == PAUSE:
        if item.deadline_basis == PAUSED:
            return _("its deadline's clock is already paused; resume it first")
        if item.deadline is None:
            return _("it has no deadline running to pause")
    elif event.clock == RESUME and item.deadline_basis != PAUSED:
        return _("its deadline's clock is running: there is nothing to resume")
    return None


def turn(ctx) -> None:
    """Pause or resume the clock for the event of a runtime `Context`: set its deadline, its
    basis and the `@clock` note of its trace row."""
    if ctx.event.clock == PAUSE:
        ctx.trace_data["@clock"] = {"paused": True, "calendar": ctx.deadline_basis}
        ctx.deadline, ctx.deadline_basis = None, PAUSED
        return
    paused_at, was, basis = _last_pause(ctx.tx.trace(ctx.item.id))
    rule = ctx.workflow.definition.states[ctx.item.state].deadline
    moved, basis = _moved(ctx.workflow, was, basis, paused_at, ctx.at, _unit(rule, ctx.fields))
    ctx.deadline, ctx.deadline_basis = utc_text(moved), basis
    ctx.trace_data["@clock"] = {"resumed": True, "paused_at": local_text(paused_at, ctx.workflow.zone)}


def _last_pause(rows: list[dict]) -> tuple[datetime, datetime, str | None]:
    """(when, the deadline it stopped, that deadline's basis) of the item's latest pause."""
    for row in reversed(rows):
        if '"@clock"' in row["data"]:
            data = json.loads(row["data"])
            note = data["@clock"]
            if isinstance(note, dict) and note.get("paused"):
                return (datetime.fromisoformat(row["occurred_at"]), datetime.fromisoformat(data["@deadline"]["was"]),
                        note.get("calendar"))
    raise LookupError("a resume with no pause in the trace")  # `refusal` lets no resume through without one


def _unit(rule: Rule | None, fields: dict) -> str:
    """The unit the state's deadline is counted in (a span paused is counted in it)."""
    try:
        after = rule.after.resolve(fields) if rule is not None and isinstance(rule.after, Lookup) else (
            rule.after if rule is not None else None)
    except ValueError as exc:  # the field's text is not a duration (any more)
        raise InvalidInput(str(exc)) from None
    return after.unit if after is not None else "hours"


def _moved(workflow, deadline: datetime, basis: str | None, start: datetime, end: datetime,
           unit: str) -> tuple[datetime, str | None]:
    """`deadline` later by the span from `start` to `end`, counted in `unit` (see the module)."""
    probe = Probe(workflow.calendar)
    zone = workflow.zone
    if unit == "hours":
        return deadline + max(end - start, timedelta(0)), basis
    if unit == "workhours" and workflow.office is not None:
        span = workflow.office.between(start, end, probe, zone)
        moved = workflow.office.add(deadline, span, probe, zone)
    else:
        first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
        if unit == "workdays":
            span = Duration(amount=sum(probe.is_workday(first + timedelta(days=offset))
                                       for offset in range((last - first).days)), unit="workdays")
        else:
            span = Duration(amount=max((last - first).days, 0), unit="days")
        if not span.amount:
            return deadline, basis
        moved = from_deadline(deadline, span, probe, zone, 1, workflow.office)
    return moved, FALLBACK if probe.basis == FALLBACK else basis


@lru_cache(maxsize=256)
def _clocked(definition: Definition) -> bool:
    return any(event.clock for event in definition.events.values())


def carried(tx, workflow, item, rule: Rule, event: str | None, when: datetime | None,
            deadline: datetime | None, basis: str | None) -> tuple[datetime | None, str | None]:
    """A deadline just counted from its rule's start, moved by what the trace did to it since:
    the extensions granted (`@extension`) and the spans paused. `event` at `when` is the event
    entering the state now (a fresh count: nothing to carry); None when counting again, and
    then an item still paused stays paused."""
    if deadline is None or rule.start == event or (rule.start == ENTER and event is not None):
        return deadline, basis
    if rule.start != ENTER and not _clocked(workflow.definition):
        for extension in tx.extensions_since(item.id, rule.start):  # as granted, even past today's caps
            deadline, moved_basis = workflow.after(deadline - _MICROSECOND, parse_duration(extension, capped=False))
            basis = moved_basis if moved_basis == FALLBACK else basis
        return deadline, basis
    rows = tx.trace(item.id)
    unit = _unit(rule, item.fields)
    paused: datetime | None = None  # since when, if the clock is stopped
    for row in rows[_since(rows, rule.start, item.entered_seq):]:
        text = row["data"]
        note = json.loads(text) if '"@clock"' in text or '"@extension"' in text else {}
        turned = note.get("@clock") if isinstance(note.get("@clock"), dict) else {}
        if paused is not None and (turned.get("resumed") or _enters(workflow.definition, row)):
            deadline, basis = _moved(workflow, deadline, basis, paused, datetime.fromisoformat(row["occurred_at"]), unit)
            paused = None
        if turned.get("paused"):
            paused = datetime.fromisoformat(row["occurred_at"])
        if "@extension" in note:
            extension = parse_duration(note["@extension"], capped=False)
            deadline, moved_basis = workflow.after(deadline - _MICROSECOND, extension)
            basis = moved_basis if moved_basis == FALLBACK else basis
    if paused is not None:
        if event is None:
            return None, PAUSED
        deadline, basis = _moved(workflow, deadline, basis, paused, when, unit)
    return deadline, basis


def _since(rows: list[dict], start: str, entered_seq: int) -> int:
    """The index of the first row after the rule's start: its event's latest row, or the row
    that entered the state."""
    if start == ENTER:
        return next((index for index, row in enumerate(rows) if row["seq"] > entered_seq), len(rows))
    return next((index + 1 for index in range(len(rows) - 1, -1, -1) if rows[index]["event"] == start), len(rows))


def _enters(definition: Definition, row: dict) -> bool:
    """Whether a trace row entered a state (a state changed, or one entered anew)."""
    spec = definition.events.get(row["event"])
    return row["from_state"] != row["to_state"] or (spec is not None and not spec.internal)


def pause_shown(rows: list[dict], zone) -> dict | None:
    """An item's clock as stopped now, for people (`item show`): the row of its latest pause
    — when, by which event, and the deadline it stopped — from rows as the trace log gives them
    (data parsed). Ask only of an item whose deadline basis is `paused`."""
    for row in reversed(rows):
        note = row["data"].get("@clock")
        if isinstance(note, dict) and note.get("paused"):
            was = (row["data"].get("@deadline") or {}).get("was")
            return {"since": local_text(datetime.fromisoformat(row["occurred_at"]), zone), "event": row["event"],
                    "seq": row["seq"], "deadline_was": local_text(datetime.fromisoformat(was), zone) if was else None}
    return None
