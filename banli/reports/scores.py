"""Per-unit scores (绩效考核): what the definition's `scoring` rules give or take from the
lead unit for each trace row of a top-level item, every point traceable to its row.

A rule matches a row of its event when
- `when` matches the item's fields *after* that row, replayed from the trace: the fields
  registered with the item, then each row's data that names a field (a rating, a lead
  unit), then the event's `set_fields` effects. This is what the runtime itself matched
  (SPEC §7: "`when` matches item fields after the event's data is applied"), and it holds
  for earlier rows too: a rating of 不满意 keeps its points after a later rating of 满意,
  which the item's current fields alone would hide. Only a field the trace never sets (a
  custom effect's) is read as it is now.
- `on_time` (if given) agrees with whether the row occurred by the deadline in force then
  (banli.reports.ledger.deadlines_in_force, as the ledger judges replies); with no deadline
  in force, neither `on_time: true` nor `on_time: false` matches.
Every matching rule counts; the points go to the item's lead unit after the row (after an
approved change of unit, the new unit). Points earned before any unit was assigned go to
the unit "" (未交办), so that the units' scores add up to every point given.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from banli.engine.compile import CompiledWorkflow, matches
from banli.engine.model import ScoringRule
from banli.engine.runtime import CREATED
from banli.errors import NotFound
from banli.reports.ledger import deadline_after, deadlines_in_force, in_time
from banli.store.ledger_queries import LedgerEvent
from banli.store.score_queries import TracedItem, definitions_in_use, traced_items, unit_names

UNASSIGNED = "未交办"
LEAD_UNIT = "lead_unit"


@dataclass(frozen=True, kw_only=True)
class Step:
    """One trace row of an item, as the rules see it."""

    event: LedgerEvent
    fields: dict  # the item's fields after the row
    deadline: datetime | None  # the deadline in force when it occurred

    @property
    def at(self) -> datetime:
        return datetime.fromisoformat(self.event.occurred_at)

    @property
    def unit(self) -> str:
        return self.fields.get(LEAD_UNIT) or ""

    @property
    def deadline_after(self) -> datetime | None:
        return deadline_after(self.event, self.deadline)


def steps(item: TracedItem, workflow: CompiledWorkflow) -> Iterator[Step]:
    """The item's rows (those read) with its fields after each and the deadline in force.
    The rows must include every row that sets a field the caller reads (`fields_setters`)."""
    definition = workflow.definition

    def set_by(event: LedgerEvent) -> dict:
        if event.event == CREATED:
            return dict(event.data.get("fields") or {})
        values = {key: value for key, value in event.data.items() if key in definition.fields}
        spec = definition.events.get(event.event)
        for call in spec.effects if spec else ():
            if call.name == "set_fields":
                values.update(call.kwargs())
        return values

    changes = [set_by(event) for event in item.events]
    traced = {key for change in changes for key in change}
    fields = {key: value for key, value in item.fields.items() if key not in traced}
    for (event, deadline), change in zip(deadlines_in_force(item.events), changes):
        fields.update(change)
        yield Step(event=event, fields=dict(fields), deadline=deadline)


def fields_setters(workflow: CompiledWorkflow, names: Iterable[str]) -> set[str]:
    """The events whose rows may set one of the fields `names` (rows to read for a replay)."""
    names = set(names)
    setters = {CREATED}
    for event in workflow.definition.events.values():
        if any(spec.key in names for spec in event.data) or any(
                call.name == "set_fields" and names & call.kwargs().keys() for call in event.effects):
            setters.add(event.name)
    return setters


def workflows_in_use(store, session: str | None) -> list[CompiledWorkflow]:
    return [store.workflows.by_id(definition_id) for definition_id in definitions_in_use(store, session=session)]


@dataclass(frozen=True, kw_only=True)
class Award:
    """Points one rule gave for one trace row."""

    unit: str
    ref: str
    seq: int
    event: str
    occurred_at: str  # local ISO text, as traced
    rule: str  # the rule's label
    points: int

    def as_json(self) -> dict:
        return {"ref": self.ref, "seq": self.seq, "event": self.event, "occurred_at": self.occurred_at,
                "rule": self.rule, "points": self.points}


@dataclass(frozen=True, kw_only=True)
class UnitScore:
    unit: str
    name: str
    awards: tuple[Award, ...]  # in ref, then sequence order

    @property
    def score(self) -> int:
        return sum(award.points for award in self.awards)

    def as_json(self) -> dict:
        return {"unit": self.unit, "name": self.name, "score": self.score,
                "events": [award.as_json() for award in self.awards]}


def rule_label(rule: ScoringRule, workflow: CompiledWorkflow) -> str:
    """The rule's label, or one made of its event and conditions (答复代表·按时)."""
    if rule.label:
        return rule.label
    parts = [workflow.label(rule.event)]
    if rule.on_time is not None:
        parts.append("按时" if rule.on_time else "逾期")
    parts += [f"{name}={'/'.join(map(str, values))}" for name, values in rule.when]
    return "·".join(parts)


def awards(item: TracedItem, workflow: CompiledWorkflow) -> Iterator[Award]:
    """Every point the workflow's rules give for the item's rows."""
    for step in steps(item, workflow):
        yield from step_awards(step, item.ref, workflow)


def step_awards(step: Step, ref: str, workflow: CompiledWorkflow) -> Iterator[Award]:
    for rule in workflow.definition.scoring:
        if rule.event != step.event.event or not matches(rule.when, step.fields):
            continue
        if rule.on_time is not None and in_time(step.deadline, step.at) is not rule.on_time:
            continue
        yield Award(unit=step.unit, ref=ref, seq=step.event.seq, event=step.event.event,
                    occurred_at=step.event.occurred_at, rule=rule_label(rule, workflow), points=rule.points)


def build_scores(store, *, session: str | None = None, unit: str | None = None) -> tuple[UnitScore, ...]:
    """Each unit's score over the top-level items (of `session`), highest first: every unit
    that led one of them at some point, with the awards that make its score. `unit` (an id
    or a name) keeps only that unit."""
    workflows = {workflow.definition_id: workflow for workflow in workflows_in_use(store, session)}
    events: set[str] = set()
    for workflow in workflows.values():
        read = {LEAD_UNIT} | {name for rule in workflow.definition.scoring for name, _values in rule.when}
        events |= {rule.event for rule in workflow.definition.scoring} | fields_setters(workflow, read)
    names = unit_names(store)
    wanted = _unit_id(unit, names) if unit is not None else None
    found: dict[str, list[Award]] = {}
    for item in traced_items(store, events=events, session=session):
        workflow = workflows[item.definition_id]
        for step in steps(item, workflow):
            if step.unit:  # every unit that led an item is scored, 0 points or more
                found.setdefault(step.unit, [])
            for award in step_awards(step, item.ref, workflow):
                found.setdefault(award.unit, []).append(award)
    if wanted is not None:
        found = {wanted: found.get(wanted, [])}
    scores = [UnitScore(unit=unit_id, name=names.get(unit_id, unit_id) if unit_id else UNASSIGNED,
                        awards=tuple(listed)) for unit_id, listed in found.items()]
    return tuple(sorted(scores, key=lambda entry: (-entry.score, entry.unit == "", entry.unit)))


def _unit_id(unit: str, names: dict[str, str]) -> str:
    if unit in names:
        return unit
    by_name = [unit_id for unit_id, name in names.items() if name == unit]
    if by_name:
        return by_name[0]
    raise NotFound(f"no unit '{unit}'; units: {', '.join(f'{u} ({n})' for u, n in names.items())}")
