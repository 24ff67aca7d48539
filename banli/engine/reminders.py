"""When a state's reminder rules fall due: `before` a deadline or `overdue` past it.

Each rule is known by `STATE:INDEX`; what has been done is kept per item and state entry,
so re-entering a state (a reply sent back, say) starts its reminders afresh.
"""

from __future__ import annotations

from datetime import datetime

from banli.engine.compile import CompiledWorkflow
from banli.engine.model import Reminder, ReminderKind
from banli.engine.times import from_utc_text, utc_text


def rule_key(state: str, index: int) -> str:
    return f"{state}:{index}"


def campaign_key(campaign_id: int, index: int) -> str:
    return f"campaign:{campaign_id}:{index}"


def is_campaign_key(key: str) -> bool:
    return key.startswith("campaign:")


def _due(workflow: CompiledWorkflow, deadline: str, rule: Reminder) -> datetime:
    return workflow.around_deadline(from_utc_text(deadline), rule.offset, -1 if rule.kind == ReminderKind.BEFORE else 1)


def schedule(workflow: CompiledWorkflow, state: str, deadline: str | None,
             tasks: list = ()) -> list[tuple[str, Reminder, datetime]]:
    """Every reminder rule that applies to the item — its state's, against its deadline (UTC
    text), and its open campaign tasks', against their due dates — with when each falls due."""
    spec = workflow.definition.states.get(state)
    rules = [(rule_key(state, index), rule, _due(workflow, deadline, rule))
             for index, rule in enumerate(spec.reminders if spec and deadline else ())]
    for task in tasks:
        campaign = workflow.definition.campaigns.get(task.name)
        if campaign is not None:
            rules += [(campaign_key(task.campaign_id, index), rule, _due(workflow, task.due_at, rule))
                      for index, rule in enumerate(campaign.reminders)]
    return rules


def next_due(workflow: CompiledWorkflow, state: str, deadline: str | None, done: set[str],
             tasks: list = ()) -> str | None:
    """UTC text of the earliest rule still to do, or None: what the sweep's index looks for."""
    return earliest_pending(schedule(workflow, state, deadline, tasks), done)


def earliest_pending(rules: list[tuple[str, Reminder, datetime]], done: set[str]) -> str | None:
    """`next_due` of a schedule already worked out."""
    pending = [due for key, _rule, due in rules if key not in done]
    return utc_text(min(pending)) if pending else None


def has_task_reminders(workflow: CompiledWorkflow) -> bool:
    return any(campaign.reminders for campaign in workflow.definition.campaigns.values())
