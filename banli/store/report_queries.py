"""The reports' reads beyond the trace (banli/store/ledger_queries.py): the sessions there are
(and the one check that a session asked for is one of them), the units with their
`government` mark, and the campaigns opened for a session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

from sqlalchemy import and_, select

from banli.engine.limits import shown
from banli.errors import NotFound
from banli.i18n import _
from banli.store.schema import campaign_t, item_t, unit_t
from banli.store.ledger_queries import session_field

if TYPE_CHECKING:
    from banli.store.repo import SqlStore


@dataclass(frozen=True, kw_only=True)
class UnitInfo:
    id: str
    name: str
    government: bool


@dataclass(frozen=True, kw_only=True)
class CampaignRow:
    """One campaign opened for a session (its items' tasks are read from their traces)."""

    name: str
    workflow_id: str
    label: str
    opened_at: str  # UTC text
    due_at: str | None


def sessions(store: SqlStore) -> list[str]:
    """The sessions (field `session`) that top-level items carry, sorted."""
    with store.engine.connect() as connection:
        field = session_field(connection.dialect.name)
        rows = connection.execute(select(field).where(and_(item_t.c.parent_id.is_(None), field.is_not(None)))
                                  .distinct())
        return sorted(str(value) for (value,) in rows)


def require_session(store: SqlStore, session: str) -> None:
    """Refuse (exit 7) a session no top-level item carries, naming those that do: a listing
    of a mistyped session says so rather than showing nothing. Called when a listing of
    `session` came out empty, so a full one costs no query."""
    known = sessions(store)
    if session not in known:
        raise NotFound(_("no items of session '{session}'; sessions with items: {sessions}").format(
            session=shown(session), sessions=", ".join(known) or _("none")))


def units(store: SqlStore) -> dict[str, UnitInfo]:
    with store.engine.connect() as connection:
        return {row.id: UnitInfo(id=row.id, name=row.name, government=bool(row.government))
                for row in connection.execute(select(unit_t.c.id, unit_t.c.name, unit_t.c.government))}


def campaigns(store: SqlStore, session: str) -> list[CampaignRow]:
    """The campaigns opened for the session, by opening."""
    query = (select(campaign_t.c.name, campaign_t.c.workflow_id, campaign_t.c.label, campaign_t.c.opened_at,
                    campaign_t.c.due_at)
             .where(campaign_t.c.session == session).order_by(campaign_t.c.opened_at, campaign_t.c.name))
    with store.engine.connect() as connection:
        return [CampaignRow(name=row.name, workflow_id=row.workflow_id, label=row.label, opened_at=row.opened_at,
                            due_at=row.due_at) for row in connection.execute(query)]
