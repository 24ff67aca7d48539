"""The reads behind per-unit scores and bulletins (banli/reports/scores.py, bulletin.py): the
top-level items in scope, the trace rows their rules look at, and the units' names."""

from __future__ import annotations

from typing import TYPE_CHECKING

import json
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select

from banli.store.ledger_queries import LedgerEvent, session_field
from banli.store.schema import item_t, trace_t, unit_t

if TYPE_CHECKING:
    from banli.store.repo import SqlStore


@dataclass(kw_only=True)
class TracedItem:
    """One top-level item as stored now, and the trace rows asked for, in sequence order."""

    id: int
    ref: str
    definition_id: int
    state: str
    fields: dict  # as they are now
    events: list[LedgerEvent] = field(default_factory=list)


def _top_level(connection, session: str | None):
    condition = item_t.c.parent_id.is_(None)
    if session is not None:
        condition = and_(condition, session_field(connection.dialect.name) == session)
    return condition


def definitions_in_use(store: SqlStore, *, session: str | None = None) -> list[int]:
    """The definition versions the top-level items (of `session`) are pinned to."""
    with store.engine.connect() as connection:
        query = select(item_t.c.definition_id).where(_top_level(connection, session)).distinct()
        return sorted(definition_id for (definition_id,) in connection.execute(query))


def traced_items(store: SqlStore, *, events: set[str], session: str | None = None) -> list[TracedItem]:
    """Every top-level item (of `session`), in ref order, with its trace rows of `events` and
    every row that set or moved its deadline: two queries, whatever the number of items."""
    with store.engine.connect() as connection:
        condition = _top_level(connection, session)
        items = {
            row.id: TracedItem(id=row.id, ref=row.ref, definition_id=row.definition_id, state=row.state,
                               fields=json.loads(row.fields))
            for row in connection.execute(
                select(item_t.c.id, item_t.c.ref, item_t.c.definition_id, item_t.c.state, item_t.c.fields)
                .where(condition).order_by(item_t.c.ref))
        }
        wanted = or_(trace_t.c.event.in_(sorted(events)), trace_t.c.data.contains('"@deadline"'))
        for row in connection.execute(
                select(trace_t.c.item_id, trace_t.c.seq, trace_t.c.event, trace_t.c.to_state, trace_t.c.occurred_at,
                       trace_t.c.data)
                .where(and_(trace_t.c.item_id.in_(select(item_t.c.id).where(condition)), wanted))
                .order_by(trace_t.c.item_id, trace_t.c.seq)):
            items[row.item_id].events.append(LedgerEvent(seq=row.seq, event=row.event, to_state=row.to_state,
                                                         occurred_at=row.occurred_at, data=json.loads(row.data)))
    return list(items.values())


def unit_names(store: SqlStore) -> dict[str, str]:
    """Unit id → name, as in the organisation file."""
    with store.engine.connect() as connection:
        return dict(connection.execute(select(unit_t.c.id, unit_t.c.name).order_by(unit_t.c.id)).all())
