"""The SQL store (`ports.Store`): a database behind the engine's ports. Its transactions are
`banli.store.tx.Tx`; what spans them (definitions, the organisation's people, the sweep's due
items, campaigns) is asked here, each in its own short connection."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Engine

from banli.engine.catalogue import Catalogue
from banli.engine.parse import MAX_VERSION
from banli.engine.records import Actor, DefinitionRow
from banli.errors import Busy, Retry
from banli.store import campaigns, operator, sweep_queries
from banli.store.accounts import SqlAccounts
from banli.store.calendar import load_years
from banli.store.db import open_engine
from banli.store.failures import DATABASE_ERRORS, is_clash, translate
from banli.store.items import TRACE_SEQ
from banli.store.organisation import person_from_row
from banli.store.schema import definition_t, item_t, person_t
from banli.store.tx import Tx


class SqlStore:
    """A database, its compiled workflows (`workflows`) and its actors (cached)."""

    def __init__(self, url_or_engine) -> None:
        self.engine: Engine = open_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        self.workflows = Catalogue(self)
        self.accounts = SqlAccounts(self.engine)  # web sign-in, sessions, tokens (engine.accounts)
        self._actors: dict[str, Actor | None] = {}

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """A writing transaction; committed if the block returns, rolled back if it raises.
        Another writer's append to the same item, or a busy database, is a Retry."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(banli_write=True)
            # the database's refusals typed here directly, not through `wrap_exceptions`: a second
            # context manager costs a few microseconds of every event
            try:
                with connection.begin():
                    tx = Tx(connection, self, writing=True)
                    yield tx
                    tx.flush()  # what the transaction held back, before it commits
            except DATABASE_ERRORS as exc:
                typed = translate(exc)
                if typed is None:
                    raise
                if isinstance(typed, Busy) or is_clash(typed, TRACE_SEQ):  # run the event again
                    raise Retry() from exc
                raise typed from exc

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self.engine.connect() as connection:
            with connection.begin():
                yield Tx(connection, self)

    @property
    def sweep_batch(self) -> int:
        """How many items a sweep takes per transaction, each in a SAVEPOINT. On PostgreSQL no
        more than 64: a transaction with more writing subtransactions overflows its backend's
        cache of them, and every other session's snapshot then looks them up in pg_subtrans."""
        return 50 if self.engine.dialect.name == "postgresql" else 200

    # -- actors ----------------------------------------------------------------------------

    def actor(self, user: str) -> Actor | None:
        """The person `user`, cached for the life of the store (`forget_actors` after an org load)."""
        if user in self._actors:
            return self._actors[user]
        with self.engine.connect() as connection:
            row = connection.execute(select(person_t).where(person_t.c.id == user)).first()
        actor = None
        if row is not None:
            person = person_from_row(row)
            actor = Actor(id=person.id, name=person.name, roles=person.roles, unit=person.unit, deputy=person.deputy)
        self._actors[user] = actor
        return actor

    def forget_actors(self) -> None:
        self._actors.clear()

    # -- definitions and calendars -----------------------------------------------------------

    def definition(self, definition_id: int) -> DefinitionRow | None:
        query = select(definition_t.c.id, definition_t.c.workflow_id, definition_t.c.version, definition_t.c.hash,
                       definition_t.c.source).where(definition_t.c.id == definition_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else DefinitionRow(**row._mapping)

    def definition_id(self, workflow_id: str, version: int | None = None) -> int | None:
        query = select(definition_t.c.id).where(definition_t.c.workflow_id == workflow_id)
        if version is not None:
            if not 1 <= version <= MAX_VERSION:  # no such version, and PostgreSQL refuses to compare one
                return None
            query = query.where(definition_t.c.version == version)
        with self.engine.connect() as connection:
            return connection.execute(query.order_by(definition_t.c.version.desc()).limit(1)).scalar()

    def definition_id_by_hash(self, def_hash: str) -> int | None:
        query = select(definition_t.c.id).where(definition_t.c.hash == def_hash).order_by(definition_t.c.id).limit(1)
        with self.engine.connect() as connection:
            return connection.execute(query).scalar()

    def latest_definition_ids(self) -> list[int]:
        latest = select(definition_t.c.workflow_id, func.max(definition_t.c.version).label("version")) \
            .group_by(definition_t.c.workflow_id).subquery()
        query = select(definition_t.c.id).join(latest, and_(definition_t.c.workflow_id == latest.c.workflow_id,
                                                            definition_t.c.version == latest.c.version))
        with self.engine.connect() as connection:
            return [definition_id for (definition_id,) in connection.execute(query)]

    def save_definition(self, **definition) -> tuple[int, bool]:
        return operator.save_definition(self, **definition)

    def calendar_years(self) -> dict:
        with self.engine.connect() as connection:
            return load_years(connection)

    # -- items across transactions -----------------------------------------------------------

    def due_refs(self, as_of: str, limit: int | None = None) -> list[str]:
        with self.engine.connect() as connection:
            return sweep_queries.due_refs(connection, as_of, limit)

    def items_of_workflow(self, workflow_id: str) -> list[tuple[str, int, str]]:
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(
                select(item_t.c.ref, item_t.c.definition_id, item_t.c.state)
                .where(item_t.c.workflow_id == workflow_id).order_by(item_t.c.ref))]

    def refs_with_deadline_basis(self, basis: str) -> list[str]:
        with self.engine.connect() as connection:
            return [ref for (ref,) in connection.execute(
                select(item_t.c.ref).where(item_t.c.deadline_basis == basis).order_by(item_t.c.ref))]

    def count(self, table) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(table)).scalar_one()

    # -- campaigns -----------------------------------------------------------------------------

    def campaign_candidates(self, workflow_ids: list[str], states: set[str],
                            entered_by: str) -> list[tuple[str, int, str, dict]]:
        return campaigns.candidates(self, workflow_ids, states, entered_by)

    def open_campaign_row(self, **campaign) -> tuple[int, bool]:
        return campaigns.open_campaign_row(self, **campaign)

    def campaign_status(self, name: str | None = None, session: str | None = None) -> list[dict]:
        return campaigns.status(self, name, session)
