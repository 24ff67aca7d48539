"""When a state's reminder rules fall due: `before` a deadline or `overdue` past it, once or
`every` so often up to `times`.

Each rule is known by `STATE:INDEX`; each time it falls due is a done-mark of its own, kept per
item and state entry, so re-entering a state (a reply sent back, say) starts its reminders
afresh. A state's mark also names the deadline it was for — `STATE:INDEX#K@STAMP`, K the
repetition (left out for the first), STAMP the deadline — so when the deadline moves (an
extension) the reminders come again for the new one, while the marks for the old one stay as
the record of what was said. A campaign task's marks are `campaign:ID:INDEX#K`: its due date
does not move. A mark written before marks named their deadline (`STATE:INDEX`) counts as the
first time against any deadline, so an upgraded store says nothing twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

from banli.engine.compile import CompiledWorkflow
from banli.engine.limits import MAX_ID
from banli.engine.model import Reminder, ReminderKind
from banli.engine.repeat_keys import MAX_TIMES
from banli.engine.times import from_utc_text, utc_text

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_MICRO = timedelta(microseconds=1)


def rule_key(state: str, index: int) -> str:
    return f"{state}:{index}"


def campaign_key(campaign_id: int, index: int) -> str:
    return f"campaign:{campaign_id}:{index}"


def is_campaign_key(key: str) -> bool:
    return key.startswith("campaign:")


@dataclass(frozen=True)
class Due:
    """One time a rule falls due: `key` is its done-mark, `label` the rule and repetition shown."""

    key: str
    label: str
    rule: Reminder
    at: datetime
    deadline: datetime
    legacy: str | None = None  # the mark of a store from before marks named their deadline

    def done(self, done: set[str]) -> bool:
        return self.key in done or (self.legacy is not None and self.legacy in done)


@dataclass(frozen=True)
class Series:
    """Every time one rule falls due against one deadline, earliest first (worked out lazily)."""

    workflow: CompiledWorkflow
    base: str
    rule: Reminder
    deadline: datetime
    stamp: str | None  # the deadline in a state's marks; None for a campaign task's

    def __iter__(self) -> Iterator[Due]:
        rule = self.rule
        at = self.workflow.around_deadline(self.deadline, rule.offset, -1 if rule.kind == ReminderKind.BEFORE else 1)
        count = rule.times or (MAX_TIMES if rule.every else 1)
        for repeat in range(count):
            if repeat and rule.kind == ReminderKind.BEFORE and at >= self.deadline:
                return  # a `before` reminder repeats up to the deadline, not past it
            label = f"{self.base}#{repeat}" if repeat else self.base
            key = _fit(f"{label}@{self.stamp}" if self.stamp else label)
            yield Due(key, label, rule, at, self.deadline, self.base if self.stamp and not repeat else None)
            if repeat + 1 < count:
                at = self.workflow.around_deadline(at, rule.every, 1)  # counted as from a deadline: 24:00 ends a day


def _stamp(deadline: datetime) -> str:
    """The deadline in a few characters: microseconds since 1970 in base 36."""
    number, digits = (deadline - _EPOCH) // _MICRO, ""
    while True:
        number, digit = divmod(number, 36)
        digits = _DIGITS[digit] + digits
        if not number:
            return digits


def _fit(key: str) -> str:
    """A mark fits the store's name column: a long one keeps its start and a digest of the rest."""
    if len(key) <= MAX_ID:
        return key
    return key[:MAX_ID - 13] + "~" + hashlib.blake2b(key.encode(), digest_size=6).hexdigest()


def schedule(workflow: CompiledWorkflow, state: str, deadline: str | None, tasks: list = ()) -> list[Series]:
    """Every reminder rule that applies to the item — its state's, against its deadline (UTC
    text), and its open campaign tasks', against their due dates — each a series of times."""
    spec = workflow.definition.states.get(state)
    rules = []
    if spec and spec.reminders and deadline:
        moment = from_utc_text(deadline)
        rules += [Series(workflow, rule_key(state, index), rule, moment, _stamp(moment))
                  for index, rule in enumerate(spec.reminders)]
    for task in tasks:
        campaign = workflow.definition.campaigns.get(task.name)
        if campaign is not None:
            rules += [Series(workflow, campaign_key(task.campaign_id, index), rule, from_utc_text(task.due_at), None)
                      for index, rule in enumerate(campaign.reminders)]
    return rules


def next_due(workflow: CompiledWorkflow, state: str, deadline: str | None, done: set[str],
             tasks: list = ()) -> str | None:
    """UTC text of the earliest rule still to do, or None: what the sweep's index looks for."""
    return earliest_pending(schedule(workflow, state, deadline, tasks), done)


def earliest_pending(rules: list[Series], done: set[str]) -> str | None:
    """`next_due` of a schedule already worked out."""
    pending = [first.at for first in (next((due for due in series if not due.done(done)), None) for series in rules)
               if first is not None]
    return utc_text(min(pending)) if pending else None


def fallen_due(series: Series, done: set[str], as_of: datetime) -> list[Due]:
    """The times of one rule not yet done that fell due by `as_of`, earliest first."""
    result = []
    for due in series:
        if due.at > as_of:
            break
        if not due.done(done):
            result.append(due)
    return result


def has_task_reminders(workflow: CompiledWorkflow) -> bool:
    return any(campaign.reminders for campaign in workflow.definition.campaigns.values())
