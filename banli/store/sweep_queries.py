"""The sweep's queries: which items have a reminder due, and a batch of them claimed with what
the sweep asks next of each (its reminder rules done, its open campaign tasks), one query each
for the whole batch. All of them run over the partial index on (`next_due_at`, `ref`)."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, select, tuple_
from sqlalchemy.engine import Connection

from banli.engine.records import ItemRecord
from banli.store.items import ITEM_COLUMNS, item_from_row
from banli.store.schema import item_t, reminder_t

# the next due items after (due, ref), each locked (SKIP LOCKED) until the commit; keyset over
# the sweep's covering index, not from the start
_CLAIM_DUE = select(*ITEM_COLUMNS).where(and_(
    item_t.c.next_due_at.is_not(None), item_t.c.next_due_at <= bindparam("b_as_of"),
    tuple_(item_t.c.next_due_at, item_t.c.ref) > tuple_(bindparam("b_after_due"), bindparam("b_after_ref")),
)).order_by(item_t.c.next_due_at, item_t.c.ref).limit(bindparam("b_limit")).with_for_update(skip_locked=True)
_DONE_RULES_OF = select(reminder_t.c.item_id, reminder_t.c.entered_seq, reminder_t.c.rule) \
    .where(reminder_t.c.item_id.in_(bindparam("b_items", expanding=True)))


def due_refs(connection: Connection, as_of: str, limit: int | None = None) -> list[str]:
    """Refs of items with a reminder due by `as_of` (UTC text), earliest first: one index range."""
    query = select(item_t.c.ref).where(and_(item_t.c.next_due_at.is_not(None), item_t.c.next_due_at <= as_of)) \
        .order_by(item_t.c.next_due_at)
    return [ref for (ref,) in connection.execute(query.limit(limit) if limit else query)]


def claim_due(connection: Connection, as_of: str, after_due: str, after_ref: str,
              limit: int) -> tuple[list[ItemRecord], dict[int, str], dict[tuple[int, int], set[str]]]:
    """Up to `limit` items due by `as_of` after (`after_due`, `after_ref`), each locked; with
    their fields as stored (id → text) and the reminder rules done in their current entries
    ((id, entered_seq) → rules, campaign-task rules of entry 0 among them)."""
    rows = connection.execute(_CLAIM_DUE, {
        "b_as_of": as_of, "b_after_due": after_due, "b_after_ref": after_ref, "b_limit": limit}).all()
    items = [item_from_row(row) for row in rows]
    entries = {item.id: item.entered_seq for item in items}
    done = {(item.id, item.entered_seq): set() for item in items}
    if items:
        for item_id, entry, rule in connection.execute(_DONE_RULES_OF, {"b_items": list(entries)}):
            if entry in (entries[item_id], 0):  # 0: campaign-task rules, done in every entry
                done[(item_id, entries[item_id])].add(rule)
    return items, {row.id: row.fields for row in rows}, done
