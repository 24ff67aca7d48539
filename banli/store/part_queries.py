"""The reports' read of child items (a 会办 co-unit's task, a 分办 unit's own part): the children
of given top-level items (by ref) with every trace row of theirs, in one query per few hundred parents.
Reports replay the rows, so a part's reply and rating count only as its trace records them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import aliased

from banli.store.ledger_queries import LedgerEvent, TracedItem
from banli.store.schema import item_t, trace_t

if TYPE_CHECKING:
    from banli.store.repo import SqlStore

_CHUNK = 500  # parents a query asks for at once: well under every backend's bound-parameter limit


def child_traces(store: SqlStore, parent_refs: list[str]) -> dict[str, list[TracedItem]]:
    """Parent ref → its child items (in ref order), each with all its trace rows in seq order."""
    found: dict[str, dict[int, TracedItem]] = {}
    refs = sorted(set(parent_refs))
    parent_t = aliased(item_t)
    with store.engine.connect() as connection:
        for start in range(0, len(refs), _CHUNK):
            query = (select(parent_t.c.ref, trace_t.c.item_id, item_t.c.ref, trace_t.c.seq, trace_t.c.event,
                            trace_t.c.to_state, trace_t.c.occurred_at, trace_t.c.data, trace_t.c.def_hash)
                     .join(item_t, item_t.c.id == trace_t.c.item_id)
                     .join(parent_t, parent_t.c.id == item_t.c.parent_id)
                     .where(parent_t.c.ref.in_(refs[start:start + _CHUNK]))
                     .order_by(trace_t.c.item_id, trace_t.c.seq))
            for parent, item_id, ref, seq, event, to_state, occurred_at, data, def_hash in connection.execute(query):
                child = found.setdefault(parent, {}).setdefault(item_id, TracedItem(id=item_id, ref=ref))
                child.rows.append(LedgerEvent(seq, event, to_state, occurred_at, data, def_hash))
    return {parent: sorted(children.values(), key=lambda child: child.ref) for parent, children in found.items()}
