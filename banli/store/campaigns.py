"""Campaigns and their tasks: SQL for opening, selecting once, recording outcomes, status."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, insert, select, update

from banli.engine.records import OpenTask
from banli.store.schema import campaign_t, campaign_task_t as task_t, item_t

if TYPE_CHECKING:
    from banli.store.repo import SqlStore


def candidates(store: SqlStore, workflow_ids: list[str], states: set[str],
               entered_by: str) -> list[tuple[str, int, str, dict]]:
    """(ref, definition id, state, fields) of top-level items of these workflows that were in
    one of these states by `entered_by` (UTC text)."""
    query = select(item_t.c.ref, item_t.c.definition_id, item_t.c.state, item_t.c.fields).where(and_(
        item_t.c.workflow_id.in_(workflow_ids), item_t.c.state.in_(states), item_t.c.parent_id.is_(None),
        item_t.c.entered_at <= entered_by)).order_by(item_t.c.ref)
    with store.engine.connect() as connection:
        return [(ref, definition_id, state, json.loads(fields))
                for ref, definition_id, state, fields in connection.execute(query)]


def open_campaign_row(store: SqlStore, *, name: str, workflow_id: str, session: str, label: str, opened_at: str,
                      due_at: str | None, by: str) -> tuple[int, bool]:
    """The campaign's row, made on first opening; returns (id, newly made)."""
    key = and_(campaign_t.c.name == name, campaign_t.c.workflow_id == workflow_id, campaign_t.c.session == session)
    with store.engine.connect() as connection:
        with connection.execution_options(banli_write=True).begin():
            existing = connection.execute(select(campaign_t.c.id).where(key)).scalar()
            if existing is not None:
                return existing, False
            new_id = connection.execute(insert(campaign_t).values(
                name=name, workflow_id=workflow_id, session=session, label=label, opened_at=opened_at, due_at=due_at,
                opened_by=by).returning(campaign_t.c.id)).scalar_one()
            return new_id, True


def add_task(connection, campaign_id: int, item_id: int, selected_at: str, due_at: str | None) -> bool:
    """Give the item a task in the campaign; False if it has one (its writing transaction holds
    the item, so nobody adds one meanwhile)."""
    if connection.execute(select(task_t.c.id).where(
            and_(task_t.c.campaign_id == campaign_id, task_t.c.item_id == item_id))).first() is not None:
        return False
    connection.execute(insert(task_t).values(campaign_id=campaign_id, item_id=item_id, selected_at=selected_at,
                                             due_at=due_at))
    return True


_OPEN_TASKS = select(task_t.c.campaign_id, campaign_t.c.name, task_t.c.due_at) \
    .join(campaign_t, campaign_t.c.id == task_t.c.campaign_id) \
    .where(and_(task_t.c.item_id == bindparam("b_item"), task_t.c.outcome.is_(None), task_t.c.due_at.is_not(None)))


def open_tasks(connection, item_id: int) -> list[OpenTask]:
    return [OpenTask(*row) for row in connection.execute(_OPEN_TASKS, {"b_item": item_id})]


_OPEN_TASKS_OF = select(task_t.c.item_id, task_t.c.campaign_id, campaign_t.c.name, task_t.c.due_at) \
    .join(campaign_t, campaign_t.c.id == task_t.c.campaign_id) \
    .where(and_(task_t.c.item_id.in_(bindparam("b_items", expanding=True)), task_t.c.outcome.is_(None),
                task_t.c.due_at.is_not(None)))


def open_tasks_of(connection, item_ids: list[int]) -> dict[int, list[OpenTask]]:
    """`open_tasks` of several items in one query: every id is a key, with no tasks an empty list."""
    tasks = {item_id: [] for item_id in item_ids}
    for item_id, *task in connection.execute(_OPEN_TASKS_OF, {"b_items": item_ids}):
        tasks[item_id].append(OpenTask(*task))
    return tasks


def record_outcome(connection, item_id: int, name: str, outcome: str, at: str) -> int:
    """Set the outcome of the item's tasks in campaigns called `name`; returns how many."""
    campaigns = select(campaign_t.c.id).where(campaign_t.c.name == name)
    return connection.execute(update(task_t).where(and_(task_t.c.item_id == item_id,
                                                         task_t.c.campaign_id.in_(campaigns)))
                              .values(outcome=outcome, outcome_at=at)).rowcount


def status(store: SqlStore, name: str | None = None, session: str | None = None) -> list[dict]:
    """Per campaign: its tasks with the item's lead unit, outcome and due date."""
    query = select(campaign_t).order_by(campaign_t.c.opened_at, campaign_t.c.name)
    if name:
        query = query.where(campaign_t.c.name == name)
    if session:
        query = query.where(campaign_t.c.session == session)
    result = []
    with store.engine.connect() as connection:
        for campaign in connection.execute(query).all():
            tasks = connection.execute(
                select(item_t.c.ref, item_t.c.fields, task_t.c.outcome, task_t.c.due_at, task_t.c.outcome_at)
                .join(item_t, item_t.c.id == task_t.c.item_id).where(task_t.c.campaign_id == campaign.id)
                .order_by(item_t.c.ref)).all()
            result.append({"campaign": dict(campaign._mapping), "tasks": [
                {"ref": ref, "lead_unit": json.loads(fields).get("lead_unit"), "outcome": outcome, "due_at": due_at,
                 "outcome_at": outcome_at} for ref, fields, outcome, due_at, outcome_at in tasks]})
    return result
