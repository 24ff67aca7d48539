"""Read-side queries: the item list (the ledger view) and one item with everything about it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import json

from sqlalchemy import and_, select

from banli.engine.times import from_utc_text, local_text, utc_text
from banli.store.audit import log
from banli.store.schema import assignment_t, item_deputy_t, item_t, unit_t

if TYPE_CHECKING:
    from banli.store.repo import SqlStore


def _row_json(store: SqlStore, row, as_of_text: str) -> dict:
    workflow = store.workflows.by_id(row.definition_id)
    deadline = local_text(from_utc_text(row.deadline), workflow.zone) if row.deadline else None
    return {
        "ref": row.ref, "title": row.title, "workflow": row.workflow_id, "state": row.state,
        "state_label": workflow.label(row.state), "deadline": deadline,
        "overdue": bool(row.deadline and row.deadline < as_of_text and row.state not in workflow.final_states),
        "fields": json.loads(row.fields), "version": row.version,
    }


def list_items(store: SqlStore, *, as_of, state: str | None = None, unit: str | None = None,
               workflow: str | None = None, overdue: bool = False, children: bool = False) -> list[dict]:
    """Items in ref order; `overdue` keeps those whose deadline passed before `as_of`."""
    as_of_text = utc_text(as_of)
    query = select(item_t).order_by(item_t.c.ref)
    if not children:
        query = query.where(item_t.c.parent_id.is_(None))
    if state:
        query = query.where(item_t.c.state == state)
    if workflow:
        query = query.where(item_t.c.workflow_id == workflow)
    if unit:
        assigned = select(assignment_t.c.item_id).where(assignment_t.c.unit_id == unit)
        query = query.where(item_t.c.id.in_(assigned))
    if overdue:
        query = query.where(and_(item_t.c.deadline.is_not(None), item_t.c.deadline < as_of_text))
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    items = [_row_json(store, row, as_of_text) for row in rows]
    return [item for item in items if item["overdue"]] if overdue else items


def show_item(store: SqlStore, ref: str, *, as_of) -> dict | None:
    as_of_text = utc_text(as_of)
    with store.engine.connect() as connection:
        row = connection.execute(select(item_t).where(item_t.c.ref == ref)).first()
        if row is None:
            return None
        deputies = [name for (name,) in connection.execute(
            select(item_deputy_t.c.name).where(item_deputy_t.c.item_id == row.id).order_by(item_deputy_t.c.position))]
        assignments = [
            {"unit": a.unit_id, "name": a.name, "role": a.role, "child": a.child_ref}
            for a in connection.execute(
                select(assignment_t.c.unit_id, assignment_t.c.role, unit_t.c.name, item_t.c.ref.label("child_ref"))
                .join(unit_t, unit_t.c.id == assignment_t.c.unit_id)
                .outerjoin(item_t, item_t.c.id == assignment_t.c.child_id)
                .where(assignment_t.c.item_id == row.id).order_by(assignment_t.c.role.desc(), assignment_t.c.unit_id))
        ]
        children = connection.execute(select(item_t).where(item_t.c.parent_id == row.id).order_by(item_t.c.ref)).all()
        parent = connection.execute(select(item_t.c.ref).where(item_t.c.id == row.parent_id)).scalar() \
            if row.parent_id else None
    result = _row_json(store, row, as_of_text)
    result.update(deputies=deputies, assignments=assignments, parent=parent, content=row.content,
                  children=[_row_json(store, child, as_of_text) for child in children],
                  trace=log(store, ref))
    return result
