"""The ledger's reads: the top-level items of a session and, one query per table, their
deputies, assignments and the trace rows the ledger counts (banli/reports/ledger.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import json
from dataclasses import dataclass, field

from sqlalchemy import and_, cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from banli.store.schema import assignment_t, item_deputy_t, item_t, trace_t, unit_t

if TYPE_CHECKING:
    from banli.store.repo import SqlStore


@dataclass(frozen=True, kw_only=True)
class LedgerEvent:
    seq: int
    event: str
    to_state: str
    occurred_at: str  # local ISO text with its offset, as traced
    data: dict


@dataclass(kw_only=True)
class LedgerSource:
    """One top-level item and what the ledger needs of it, as stored."""

    id: int
    ref: str
    title: str
    definition_id: int
    state: str
    fields: dict
    deadline: str | None  # UTC text: the current state's deadline
    deputies: list[str] = field(default_factory=list)
    lead_unit: tuple[str, str] | None = None  # (unit id, name)
    co_units: list[tuple[str, str]] = field(default_factory=list)
    events: list[LedgerEvent] = field(default_factory=list)  # in sequence order


def session_field(dialect: str):
    """`fields.session` as SQL text: the fields column is JSON kept as text on both backends."""
    if dialect == "postgresql":
        return cast(item_t.c.fields, JSONB)["session"].astext
    return func.json_extract(item_t.c.fields, '$."session"')


def ledger_sources(store: SqlStore, *, events: tuple[str, ...], session: str | None = None) -> list[LedgerSource]:
    """Every top-level item (co-unit tasks left out), in ref order, with its deputies,
    assignments, and its trace rows of `events` or that set or moved its deadline: four
    queries, whatever the number of items."""
    with store.engine.connect() as connection:
        condition = item_t.c.parent_id.is_(None)
        if session is not None:
            condition = and_(condition, session_field(connection.dialect.name) == session)
        selected = select(item_t.c.id).where(condition)
        items = {
            row.id: LedgerSource(id=row.id, ref=row.ref, title=row.title, definition_id=row.definition_id,
                                 state=row.state, fields=json.loads(row.fields), deadline=row.deadline)
            for row in connection.execute(
                select(item_t.c.id, item_t.c.ref, item_t.c.title, item_t.c.definition_id, item_t.c.state,
                       item_t.c.fields, item_t.c.deadline).where(condition).order_by(item_t.c.ref))
        }
        for item_id, name in connection.execute(
                select(item_deputy_t.c.item_id, item_deputy_t.c.name).where(item_deputy_t.c.item_id.in_(selected))
                .order_by(item_deputy_t.c.item_id, item_deputy_t.c.position)):
            items[item_id].deputies.append(name)
        for item_id, unit_id, role, name in connection.execute(
                select(assignment_t.c.item_id, assignment_t.c.unit_id, assignment_t.c.role, unit_t.c.name)
                .join(unit_t, unit_t.c.id == assignment_t.c.unit_id).where(assignment_t.c.item_id.in_(selected))
                .order_by(assignment_t.c.item_id, assignment_t.c.unit_id)):
            if role == "lead":
                items[item_id].lead_unit = (unit_id, name)
            else:
                items[item_id].co_units.append((unit_id, name))
        counted = or_(trace_t.c.event.in_(events), trace_t.c.data.contains('"@deadline"'))
        for row in connection.execute(
                select(trace_t.c.item_id, trace_t.c.seq, trace_t.c.event, trace_t.c.to_state, trace_t.c.occurred_at,
                       trace_t.c.data).where(and_(trace_t.c.item_id.in_(selected), counted))
                .order_by(trace_t.c.item_id, trace_t.c.seq)):
            items[row.item_id].events.append(LedgerEvent(seq=row.seq, event=row.event, to_state=row.to_state,
                                                         occurred_at=row.occurred_at, data=json.loads(row.data)))
    for source in items.values():
        order = {unit: index for index, unit in enumerate(source.fields.get("co_units") or [])}
        source.co_units.sort(key=lambda unit: (order.get(unit[0], len(order)), unit[0]))
    return list(items.values())
