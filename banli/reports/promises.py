"""B-class promises as of an instant (issue 15, point 7): which were kept by their date, kept
late, are still due, or are late — for the annual report, `banli report --json` and the ledger.

The definition says where promises are followed: the state whose deadline runs `until` a
date field (npc-suggestion's `fulfilling`, until `promised_by`). An item's promise is counted
once it has entered that state by the instant; it is kept when the item leaves the state for a
final one (npc-suggestion: `fulfil`, which records the evidence), on time if that happened by
the deadline in force then (the end of the promised day, or later if extended). One not kept
is due while its deadline is ahead, late once it has passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from banli.engine.due_dates import OnDate
from banli.engine.model import Definition
from banli.i18n import N_, _, ngettext
from banli.reports.replay import Replayed

KEPT, KEPT_LATE, DUE, LATE = "kept", "kept_late", "due", "late"
STATUS_LABELS = {KEPT: N_("kept on time"), KEPT_LATE: N_("kept late"), DUE: N_("not yet due"),
                 LATE: N_("overdue and not kept")}


@dataclass(frozen=True, kw_only=True)
class Promise:
    """One item's promise as of the instant."""

    status: str  # KEPT, KEPT_LATE, DUE or LATE
    promised_by: date | None  # the day it was promised by
    kept_on: date | None = None  # the day it was kept (left the following state)

    @property
    def label(self) -> str:
        return _(STATUS_LABELS[self.status])


@dataclass(frozen=True, kw_only=True)
class PromiseFigures:
    """The promises of a set of items, counted by status."""

    made: int = 0
    kept: int = 0
    kept_late: int = 0
    due: int = 0
    late: int = 0

    @property
    def come(self) -> int:
        """Promises whose date has come: kept (on time or late), or late; the whole of the rate
        of promises kept on time (banli/reports/metrics.py)."""
        return self.kept + self.kept_late + self.late

    def to_json(self) -> dict:
        return {"made": self.made, KEPT: self.kept, KEPT_LATE: self.kept_late, DUE: self.due, LATE: self.late}


@lru_cache(maxsize=64)
def following(definition: Definition) -> tuple[str, OnDate] | None:
    """(the state where promises are followed, its deadline on a date field), or None if the
    definition has no state whose deadline runs until a date field."""
    for name, state in definition.states.items():
        if state.deadline is not None and isinstance(state.deadline.after, OnDate):
            return name, state.deadline.after
    return None


def promise_of(item: Replayed, as_of: datetime) -> Promise | None:
    """The item's promise as of `as_of` (its rows replayed up to then), or None if it has not
    entered the following state. Leaving the state for a final one keeps the promise; leaving
    it to be handled again (a look-back's 责成重新办理) does not, and entering it anew starts
    the count again."""
    followed = following(item.workflow.definition)
    if followed is None:
        return None
    state, on_date = followed
    entered = left = None
    before = ""  # the state before each row
    for step in item.steps:
        to_state = step.event.to_state
        if to_state == state and before != state:
            entered, left = entered or step, None
        elif before == state and to_state != state:
            left = step
        before = to_state
    if entered is None:
        return None
    zone = item.workflow.zone
    promised = item.fields.get(on_date.field)
    promised_by = date.fromisoformat(str(promised)) if promised else None
    if left is not None and left.event.to_state in item.workflow.final_states:
        on_time = left.deadline is None or left.at <= left.deadline
        return Promise(status=KEPT if on_time else KEPT_LATE, promised_by=promised_by,
                       kept_on=left.at.astimezone(zone).date())
    due = item.deadline if item.state == state else on_date.at(item.fields, zone)
    return Promise(status=LATE if due is not None and as_of > due else DUE, promised_by=promised_by)


def tally(promises: Iterable[Promise | None]) -> PromiseFigures:
    counts = {KEPT: 0, KEPT_LATE: 0, DUE: 0, LATE: 0}
    for promise in promises:
        if promise is not None:
            counts[promise.status] += 1
    return PromiseFigures(made=sum(counts.values()), **counts)


def promise_text(figures: PromiseFigures) -> str:
    """The annual report's sentence on the promises, or "" when none was made."""
    if not figures.made:
        return ""
    statuses = _(", ").join(_("{count} {status}").format(status=_(STATUS_LABELS[status]), count=count)
                            for status, count in ((KEPT, figures.kept), (KEPT_LATE, figures.kept_late),
                                                  (DUE, figures.due), (LATE, figures.late)) if count)
    return ngettext("{made} class B reply made a promise: {statuses}.", "{made} class B replies made promises: {statuses}.",
                    figures.made).format(made=figures.made, statuses=statuses)
