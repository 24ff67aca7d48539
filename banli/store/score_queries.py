"""The bulletin's read beyond the trace (banli/reports/bulletin.py): which definition versions
the top-level items of a session are pinned to, for the zone and the title of the month."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import and_, select

from banli.store.ledger_queries import session_field
from banli.store.schema import item_t

if TYPE_CHECKING:
    from banli.store.repo import SqlStore


def definitions_in_use(store: SqlStore, *, session: str | None = None) -> list[int]:
    """The definition versions the top-level items (of `session`) are pinned to."""
    with store.engine.connect() as connection:
        condition = item_t.c.parent_id.is_(None)
        if session is not None:
            condition = and_(condition, session_field(connection.dialect.name) == session)
        query = select(item_t.c.definition_id).where(condition).distinct()
        return sorted(definition_id for (definition_id,) in connection.execute(query))
