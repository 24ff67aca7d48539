"""Step 3 of the definition pipeline: a `Definition` → one shared `transitions.Machine`.

One Machine per definition version, built with `model=None`; an event is triggered on a
small `Token` made for the occasion, never on a database row, and no model is ever added
to the machine. `when` branches become transition conditions, so `transitions` picks the
first matching branch as it picks the first passing transition. A `when` is a mapping of
fields (a tuple check) or an expression compiled when the definition was parsed
(`banli.engine.expressions`); neither is parsed again here.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from transitions import Machine

from banli.engine.calendar import Probe, calendar_for
from banli.engine.due_dates import OnDate
from banli.engine.durations import Duration, Lookup, from_deadline, shift
from banli.engine.expressions import Count, Expression, matches
from banli.engine.model import Definition
from banli.engine.workhours import OfficeHours
from banli.errors import InvalidInput

__all__ = ["CompiledWorkflow", "Token", "matches"]  # `matches` is also read from here (reports, campaigns)


class Token:
    """What `transitions` sees of an item: its state, (prospective) fields, the event's data
    and how to count the item's events (for expressions that use count())."""

    __slots__ = ("state", "fields", "data", "count")

    def __init__(self, state: str, fields: dict, data: dict | None = None, count: Count | None = None) -> None:
        self.state, self.fields, self.data, self.count = state, fields, data, count

    def names(self) -> dict:
        """What an expression's names mean: the fields, and the event-only data keys."""
        return {**self.data, **self.fields} if self.data else self.fields


def _condition(when: tuple | Expression):
    if isinstance(when, Expression):
        return lambda event_data: when.holds(event_data.model.names(), event_data.model.count)
    return lambda event_data: matches(when, event_data.model.fields)


class CompiledWorkflow:
    """A definition version ready to run: its machine, calendar, zone and identity."""

    def __init__(self, definition: Definition, def_hash: str, definition_id: int | None = None,
                 version: int | None = None, schedules: dict | None = None) -> None:
        self.definition = definition
        self.hash = def_hash
        self.definition_id = definition_id
        self.version = version if version is not None else definition.version
        self.zone = ZoneInfo(definition.timezone)
        self.calendar = calendar_for(definition.calendar, schedules)
        self.office = OfficeHours(definition.office_hours) if definition.office_hours else None
        self.settings = dict(definition.settings)
        self.machine = self._build()

    def _build(self) -> Machine:
        transitions = []
        for event in self.definition.events.values():
            if event.internal:
                continue
            for source in event.sources:
                for branch in event.branches:
                    transition = {"trigger": event.name, "source": source, "dest": branch.to}
                    if branch.when:
                        transition["conditions"] = [_condition(branch.when)]
                    transitions.append(transition)
        return Machine(
            model=None, states=list(self.definition.states), initial=self.definition.initial,
            transitions=transitions, auto_transitions=False, send_event=True,
            ignore_invalid_triggers=False,
        )

    def destination(self, event: str, state: str, fields: dict, data: dict | None = None,
                    count: Count | None = None) -> str:
        """The state `event` leads to from `state` with these fields (the state itself if
        internal); an expression in a branch also sees the event's `data` and `count`."""
        if self.definition.events[event].internal:
            return state
        token = Token(state, fields, data, count)
        self.machine.events[event].trigger(token)
        return token.state

    def after(self, start: datetime, duration: Duration | Lookup | OnDate, fields: dict | None = None) -> tuple:
        """The instant `duration` after `start`, and the calendar basis it was counted on; an
        `OnDate` is the end of its field's day, whatever the start."""
        probe = Probe(self.calendar)
        try:  # a duration taken from a field (None: no deadline); workhours need office hours
            if isinstance(duration, OnDate):
                return duration.at(fields or {}, self.zone), probe.basis
            duration = duration.resolve(fields or {}) if isinstance(duration, Lookup) else duration
            return (None, None) if duration is None else (shift(start, duration, probe, self.zone, office=self.office),
                                                          probe.basis)
        except ValueError as exc:
            raise InvalidInput(f"{self.definition.id}: {exc}") from None

    def around_deadline(self, deadline: datetime, duration: Duration, sign: int) -> datetime:
        """`duration` after (sign 1) or before (sign -1) a deadline: when a reminder falls due."""
        return from_deadline(deadline, duration, self.calendar, self.zone, sign, self.office)

    @cached_property
    def final_states(self) -> frozenset[str]:
        return frozenset(name for name, state in self.definition.states.items() if state.final)

    def label(self, name: str) -> str:
        """The Chinese label of a state or event."""
        spec = self.definition.states.get(name) or self.definition.events.get(name)
        return str(spec.label) if spec else name
