"""The annual report's reads beyond the ledger's (banli/store/ledger_queries.py): the sessions
there are, the units with their `government` mark, and the look-back tasks of a session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

from sqlalchemy import and_, select

from banli.store.schema import campaign_t, campaign_task_t as task_t, item_t, unit_t
from banli.store.ledger_queries import session_field

if TYPE_CHECKING:
    from banli.store.repo import SqlStore


@dataclass(frozen=True, kw_only=True)
class UnitInfo:
    id: str
    name: str
    government: bool


@dataclass(frozen=True, kw_only=True)
class CampaignTaskRow:
    """One item's task in one campaign of the session."""

    item_id: int
    campaign: str
    label: str
    opened_at: str  # UTC text
    due_at: str | None
    outcome: str | None
    outcome_at: str | None


def sessions(store: SqlStore) -> list[str]:
    """The sessions (field `session`) that top-level items carry, sorted."""
    with store.engine.connect() as connection:
        field = session_field(connection.dialect.name)
        rows = connection.execute(select(field).where(and_(item_t.c.parent_id.is_(None), field.is_not(None)))
                                  .distinct())
        return sorted(str(value) for (value,) in rows)


def units(store: SqlStore) -> dict[str, UnitInfo]:
    with store.engine.connect() as connection:
        return {row.id: UnitInfo(id=row.id, name=row.name, government=bool(row.government))
                for row in connection.execute(select(unit_t.c.id, unit_t.c.name, unit_t.c.government))}


def campaign_tasks(store: SqlStore, session: str) -> list[CampaignTaskRow]:
    """Every task of the session's campaigns, by campaign opening and item."""
    query = (select(task_t.c.item_id, campaign_t.c.name, campaign_t.c.label, campaign_t.c.opened_at, task_t.c.due_at,
                    task_t.c.outcome, task_t.c.outcome_at)
             .join(campaign_t, campaign_t.c.id == task_t.c.campaign_id)
             .where(campaign_t.c.session == session)
             .order_by(campaign_t.c.opened_at, campaign_t.c.name, task_t.c.item_id))
    with store.engine.connect() as connection:
        return [CampaignTaskRow(item_id=row.item_id, campaign=row.name, label=row.label, opened_at=row.opened_at,
                                due_at=row.due_at, outcome=row.outcome, outcome_at=row.outcome_at)
                for row in connection.execute(query)]

