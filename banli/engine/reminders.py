"""When a state's reminder rules fall due: `before` a deadline or `overdue` past it.

Each rule is known by `STATE:INDEX`; what has been done is kept per item and state entry,
so re-entering a state (a reply sent back, say) starts its reminders afresh.
"""

from __future__ import annotations

from datetime import datetime

from banli.engine.compile import CompiledWorkflow
from banli.engine.model import Reminder
from banli.engine.times import from_utc_text, utc_text


def rule_key(state: str, index: int) -> str:
    return f"{state}:{index}"


def schedule(workflow: CompiledWorkflow, state: str, deadline: str | None) -> list[tuple[str, Reminder, datetime]]:
    """Every reminder rule of `state` with the instant it falls due, for this deadline (UTC text)."""
    spec = workflow.definition.states.get(state)
    if spec is None or not spec.reminders or not deadline:
        return []
    at = from_utc_text(deadline)
    return [(rule_key(state, index), rule,
             workflow.around_deadline(at, rule.offset, -1 if rule.kind == "before" else 1))
            for index, rule in enumerate(spec.reminders)]


def next_due(workflow: CompiledWorkflow, state: str, deadline: str | None, done: set[str]) -> str | None:
    """UTC text of the earliest rule still to do, or None: what the sweep's index looks for."""
    pending = [due for key, _rule, due in schedule(workflow, state, deadline) if key not in done]
    return utc_text(min(pending)) if pending else None
