"""Per-unit scores (绩效考核): what the definition's `scoring` rules give or take from the
lead unit for each trace row of a top-level item, every point traceable to its row.

A rule matches a row of its event when
- `when` matches the item's fields *after* that row, replayed from the trace
  (banli/reports/replay.py): the fields registered with the item, then each row's data that
  names a field (a rating, a lead unit), then the event's `set_fields` effects. This is what
  the runtime itself matched (SPEC §7: "`when` matches item fields after the event's data is
  applied"), and it holds for earlier rows too: a rating of 不满意 keeps its points after a
  later rating of 满意, which the item's current fields alone would hide.
- `on_time` (if given) agrees with whether the row occurred by the deadline in force then
  (as the ledger judges replies); with no deadline in force, neither `on_time: true` nor
  `on_time: false` matches.
Every matching rule counts; the points go to the item's lead unit after the row (after an
approved change of unit, the new unit). Points earned before any unit was assigned go to
the unit "" (未交办), so that the units' scores add up to every point given. As of an
instant, only the rows up to it score.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from banli.engine.compile import CompiledWorkflow, matches
from banli.engine.model import ScoringRule
from banli.i18n import N_, _
from banli.reports.ledger import in_time
from banli.reports.replay import Replayed, Step, replay
from banli.store.ledger_queries import unit_id, unit_names
from banli.store.report_queries import require_session

UNASSIGNED = N_("(not assigned)")  # the name of the unit "": points earned before any unit led the item


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
        parts.append(_("on time") if rule.on_time else _("late"))
    parts += [f"{name}={'/'.join(map(str, values))}" for name, values in rule.when]
    return "·".join(parts)


def awards(item: Replayed) -> Iterator[Award]:
    """Every point the item's workflow's rules give for its rows."""
    for step in item.steps:
        yield from step_awards(step, item.ref, item.workflow)


def step_awards(step: Step, ref: str, workflow: CompiledWorkflow) -> Iterator[Award]:
    for rule in workflow.definition.scoring:
        if rule.event != step.event.event or not matches(rule.when, step.fields):
            continue
        if rule.on_time is not None and in_time(step.deadline, step.at) is not rule.on_time:
            continue
        yield Award(unit=step.unit, ref=ref, seq=step.event.seq, event=step.event.event,
                    occurred_at=step.event.occurred_at, rule=rule_label(rule, workflow), points=rule.points)


def build_scores(store, *, session: str | None = None, unit: str | None = None,
                 as_of: datetime | None = None) -> tuple[UnitScore, ...]:
    """Each unit's score over the top-level items (of `session`), highest first: every unit
    that led one of them at some point, with the awards that make its score. `unit` (an id
    or a name) keeps only that unit; `as_of` counts only the rows up to that instant."""
    names = unit_names(store)
    wanted = unit_id(unit, names) if unit is not None else None
    found: dict[str, list[Award]] = {}
    replayed = replay(store, as_of=as_of, session=session)
    if session is not None and not replayed:
        require_session(store, session)
    for item in replayed:
        for step in item.steps:
            if step.unit:  # every unit that led an item is scored, 0 points or more
                found.setdefault(step.unit, [])
            for award in step_awards(step, item.ref, item.workflow):
                found.setdefault(award.unit, []).append(award)
    if wanted is not None:
        found = {wanted: found.get(wanted, [])}
    scores = [UnitScore(unit=led, name=names.get(led, led) if led else _(UNASSIGNED),
                        awards=tuple(listed)) for led, listed in found.items()]
    return tuple(sorted(scores, key=lambda entry: (-entry.score, entry.unit == "", entry.unit)))

