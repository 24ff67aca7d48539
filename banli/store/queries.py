"""Read-side queries: the item list (the ledger view) and one item with everything about it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import json

from sqlalchemy import and_, cast, false, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from banli.engine.clock import PAUSED, pause_shown
from banli.engine.limits import shown
from banli.engine.times import from_utc_text, local_text, utc_text
from banli.errors import InvalidInput
from banli.i18n import _
from banli.store.audit import log
from banli.store.ledger_queries import unit_id, unit_names
from banli.store.schema import assignment_t, definition_t, item_deputy_t, item_t, unit_t

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
    """Items in ref order; `overdue` keeps those whose deadline passed before `as_of`. `unit`
    is a unit's id or name. A workflow or unit that is not there (exit 7), or a state that no
    version of the workflows has (exit 3), is refused rather than listed as nothing."""
    as_of_text = utc_text(as_of)
    if workflow:
        store.workflows.get(workflow)  # NotFound names the command that lists them
    if unit:
        unit = unit_id(unit, unit_names(store))
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
    if state and not rows:
        check_state(store, state, workflow)
    items = [_row_json(store, row, as_of_text) for row in rows]
    return [item for item in items if item["overdue"]] if overdue else items


def check_state(store: SqlStore, state: str, workflow: str | None = None) -> None:
    """Refuse (exit 3) a state that no registered version of `workflow` (of any workflow, if
    None) has, naming the states they have."""
    query = select(definition_t.c.id).order_by(definition_t.c.id)
    if workflow:
        query = query.where(definition_t.c.workflow_id == workflow)
    with store.engine.connect() as connection:
        ids = connection.execute(query).scalars().all()
    states = list(dict.fromkeys(name for definition_id in ids
                                for name in store.workflows.by_id(definition_id).definition.states))
    if state not in states:
        listed = ", ".join(states) or _("none")
        if workflow:
            raise InvalidInput(_("no state '{state}' in workflow {workflow}; states are: {states}").format(
                state=shown(state), workflow=workflow, states=listed))
        raise InvalidInput(_("no state '{state}' in the registered workflows; states are: {states}").format(
            state=shown(state), states=listed))


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
    result["paused"] = _paused(store, row, result["trace"])
    return result


def _paused(store: SqlStore, row, trace: list[dict]) -> dict | None:
    """The pause of an item whose deadline's clock is stopped (挂起), with its event's label; else None."""
    if row.deadline_basis != PAUSED:
        return None
    workflow = store.workflows.by_id(row.definition_id)
    pause = pause_shown(trace, workflow.zone)
    if pause is not None:
        pause["event_label"] = workflow.label(pause["event"])
    return pause or {"since": None, "event": None, "seq": None, "deadline_was": None, "event_label": None}


# -- what one person sees (the web's lists) ---------------------------------------------------

LIST_SORTS = ("ref", "deadline", "state", "title")


def _field_text(dialect: str, name: str):
    """`fields.<name>` as SQL text: the fields column is JSON kept as text on both backends."""
    if dialect == "postgresql":
        return cast(item_t.c.fields, JSONB)[name].astext
    return func.json_extract(item_t.c.fields, f'$."{name}"')


def _like(text: str) -> str:
    """`text` as a LIKE pattern that matches it literally, anywhere (`\\` escapes)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


VISIBLE_COLUMNS = (item_t.c.id, item_t.c.ref, item_t.c.title, item_t.c.workflow_id, item_t.c.definition_id,
                   item_t.c.state, item_t.c.fields, item_t.c.deadline, item_t.c.version)


def visible_rows(store: SqlStore, scope, *, as_of, session: str | None = None, state: str | None = None,
                 unit: str | None = None, category: str | None = None, overdue: bool = False, q: str | None = None,
                 sort: str = "ref", descending: bool = False, children: bool = False) -> list:
    """The rows of the items an `engine.access.Scope` admits, filtered and sorted; the filter
    is the scope's rule written in SQL (its unit's items and their child items, or the
    deputy's own). Rows, not JSON: a page of a long list makes JSON of what it shows."""
    if sort not in LIST_SORTS:
        raise InvalidInput(_("cannot sort by {sort}; sort by one of {sorts}").format(
            sort=repr(sort), sorts=", ".join(LIST_SORTS)))
    as_of_text = utc_text(as_of)
    column = getattr(item_t.c, sort)
    query = select(*VISIBLE_COLUMNS).order_by(column.desc() if descending else column, item_t.c.ref)
    with store.engine.connect() as connection:
        dialect = connection.dialect.name
        query = _scoped(query, scope)
        if not children:
            query = query.where(item_t.c.parent_id.is_(None))
        if state:
            query = query.where(item_t.c.state == state)
        if unit:
            query = query.where(item_t.c.id.in_(select(assignment_t.c.item_id).where(assignment_t.c.unit_id == unit)))
        if session:
            query = query.where(_field_text(dialect, "session") == session)
        if category:
            query = query.where(_field_text(dialect, "category") == category)
        if q and q.strip():
            pattern = _like(q.strip())
            by_deputy = select(item_deputy_t.c.item_id).where(item_deputy_t.c.name.ilike(pattern, escape="\\"))
            query = query.where(or_(item_t.c.ref.ilike(pattern, escape="\\"), item_t.c.title.ilike(pattern, escape="\\"),
                                    item_t.c.id.in_(by_deputy)))
        if overdue:
            query = query.where(and_(item_t.c.deadline.is_not(None), item_t.c.deadline < as_of_text))
        rows = connection.execute(query).all()
    if overdue:  # past its deadline and still open: final states are the definition's
        rows = [row for row in rows if row.state not in store.workflows.by_id(row.definition_id).final_states]
    return rows


def _scoped(query, scope):
    """`query` kept to the items `scope` admits."""
    if scope.everything:
        return query
    seen = []
    if scope.unit:
        units_items = select(assignment_t.c.item_id).where(assignment_t.c.unit_id == scope.unit)
        seen += [item_t.c.id.in_(units_items), item_t.c.parent_id.in_(units_items)]
    if scope.deputy:
        seen.append(item_t.c.id.in_(select(item_deputy_t.c.item_id).where(item_deputy_t.c.name == scope.deputy)))
    return query.where(or_(*seen) if seen else false())


def visible_tally(store: SqlStore, scope, *, as_of, session: str | None = None) -> list[dict]:
    """The top-level items a scope admits, counted by definition, state, lead unit, rating,
    category and whether their deadline has passed: one grouped query for a dashboard."""
    as_of_text = utc_text(as_of)
    with store.engine.connect() as connection:
        dialect = connection.dialect.name
        keys = [item_t.c.definition_id, item_t.c.state, _field_text(dialect, "lead_unit").label("lead_unit"),
                _field_text(dialect, "rating").label("rating"), _field_text(dialect, "category").label("category"),
                and_(item_t.c.deadline.is_not(None), item_t.c.deadline < as_of_text).label("late")]
        query = _scoped(select(*keys, func.count().label("count")).where(item_t.c.parent_id.is_(None)), scope)
        if session:
            query = query.where(_field_text(dialect, "session") == session)
        rows = connection.execute(query.group_by(*keys)).all()
    return [dict(row._mapping) for row in rows]


def items_json(store: SqlStore, rows: list, *, as_of) -> list[dict]:
    """`item list --json` of rows from `visible_rows`."""
    as_of_text = utc_text(as_of)
    return [_row_json(store, row, as_of_text) for row in rows]


def visible_items(store: SqlStore, scope, *, as_of, **filters) -> list[dict]:
    """`item list --json` of the items an `engine.access.Scope` admits (see `visible_rows`)."""
    return items_json(store, visible_rows(store, scope, as_of=as_of, **filters), as_of=as_of)
