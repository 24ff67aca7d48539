"""An item's row as the engine's `ItemRecord`, and the statements of an event's hot path,
each built once so that SQLAlchemy (or `SqliteDriver`) reuses its compiled form."""

from __future__ import annotations

import json

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update

from banli.engine.records import ItemRecord
from banli.store.schema import assignment_t, item_deputy_t, item_t, reminder_t, trace_t

ITEM_COLUMNS = [item_t.c[name] for name in (
    "id", "ref", "workflow_id", "definition_id", "parent_id", "title", "content", "state", "version", "seq",
    "head_hash", "fields", "created_at", "entered_at", "last_at", "deadline", "deadline_basis", "entered_seq",
    "next_due_at")]
ITEM_NAMES = tuple(column.name for column in ITEM_COLUMNS)
FIELDS_AT = ITEM_NAMES.index("fields")

SELECT_ITEM = select(*ITEM_COLUMNS).where(item_t.c.ref == bindparam("b_ref"))
# In a writing transaction on PostgreSQL the item row is locked as it is read, so a second
# writer waits for the first to commit and then reads the new state: without it, the writer
# that keeps losing the version check can lose it again and again (starve). SQLite's writers
# are serialised by BEGIN IMMEDIATE instead. The version check stays as the safety net.
SELECT_ITEM_FOR_UPDATE = SELECT_ITEM.with_for_update()
SELECT_CHILDREN = select(*ITEM_COLUMNS).where(item_t.c.parent_id == bindparam("b_parent")).order_by(item_t.c.id)
INSERT_TRACE = insert(trace_t).values({column.name: bindparam(column.name) for column in trace_t.c
                                       if column.name != "id"})
INSERT_ITEM = insert(item_t).returning(item_t.c.id)
INSERT_DEPUTY = insert(item_deputy_t)
DELETE_DEPUTIES = delete(item_deputy_t).where(item_deputy_t.c.item_id == bindparam("b_id"))
SELECT_DEPUTIES = select(item_deputy_t.c.name).where(item_deputy_t.c.item_id == bindparam("b_id")) \
    .order_by(item_deputy_t.c.position)
# entered_seq 0 holds the item's campaign-task reminders, which outlive state entries
DONE_RULES = select(reminder_t.c.rule).where(and_(
    reminder_t.c.item_id == bindparam("b_item"),
    or_(reminder_t.c.entered_seq == bindparam("b_seq"), reminder_t.c.entered_seq == 0)))
INSERT_REMINDER = insert(reminder_t)
SET_NEXT_DUE = update(item_t).where(item_t.c.id == bindparam("b_id")).values(next_due_at=bindparam("b_next_due_at"))
REPIN = update(item_t).where(item_t.c.id == bindparam("b_id")).values(definition_id=bindparam("b_definition"))
ITEM_REF = select(item_t.c.ref).where(item_t.c.id == bindparam("b_id"))
ITEM_IDS = select(item_t.c.ref, item_t.c.id).where(item_t.c.ref.in_(bindparam("b_refs", expanding=True)))
DELETE_ASSIGNMENTS = delete(assignment_t).where(assignment_t.c.item_id == bindparam("b_id"))
INSERT_ASSIGNMENT = insert(assignment_t)
SELECT_TRACE = select(trace_t).where(trace_t.c.item_id == bindparam("b_item")).order_by(trace_t.c.seq)
LAST_OCCURRENCE = select(trace_t.c.occurred_at).where(and_(
    trace_t.c.item_id == bindparam("b_item"), trace_t.c.event == bindparam("b_event"))
).order_by(trace_t.c.seq.desc()).limit(1)
COUNT_EVENTS = select(func.count()).select_from(trace_t).where(and_(
    trace_t.c.item_id == bindparam("b_item"), trace_t.c.event == bindparam("b_event")))
SINCE_LAST_OCCURRENCE = select(trace_t.c.data).where(and_(
    trace_t.c.item_id == bindparam("b_item"),
    trace_t.c.seq >= select(func.max(trace_t.c.seq)).where(and_(
        trace_t.c.item_id == bindparam("b_item"), trace_t.c.event == bindparam("b_event"))).scalar_subquery(),
    or_(trace_t.c.event == bindparam("b_event"), trace_t.c.data.contains('"@extension"')),
)).order_by(trace_t.c.seq)

# the trace's UNIQUE(item_id, seq): another writer appended to the item first
TRACE_SEQ = "trace_item_id_seq_key"
ITEM_REF_KEY = "item_ref_key"

_UPDATE_ITEM: dict[tuple[str, ...], object] = {}  # the columns set → the statement, built once each


def item_from_row(row) -> ItemRecord:
    values = dict(zip(ITEM_NAMES, row))
    values["fields"] = json.loads(values["fields"])
    return ItemRecord(**values)


def update_item_statement(columns: tuple[str, ...]):
    """UPDATE item SET `columns` with the version check, one statement object per set of columns
    so that each is compiled once. Only the changed columns: on SQLite an UPDATE that names an
    indexed column (state, next_due_at) rewrites its index entries even if the value stays, two
    more pages to write and sync at each commit of an event that keeps the state."""
    statement = _UPDATE_ITEM.get(columns)
    if statement is None:
        statement = _UPDATE_ITEM[columns] = update(item_t).where(
            and_(item_t.c.id == bindparam("b_id"), item_t.c.version == bindparam("b_version"))
        ).values({name: bindparam(name) for name in columns})
    return statement
