"""The SQL store: Core statements over the SQLModel tables, behind the narrow interface the
runtime uses (`write()` / `read()` give a `Tx`; workflows and actors are looked up here).

The hot path (read item, update item, insert trace row) stays on SQLAlchemy Core: the ORM
unit of work costs four times as much per event (see PERFORMANCE.md).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from typing import Iterator

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from banli.engine.compile import CompiledWorkflow
from banli.engine.chain import canonical_json
from banli.engine.records import Actor, ItemRecord
from banli.engine.times import utc_text
from banli.errors import InvalidInput, NotFound
from banli.store.db import open_engine
from banli.store.tables import (
    Assignment, Deputy, Item, ItemDeputy, Person, Reminder, Trace, Unit, WorkflowDefinition,
)

item_t = Item.__table__
trace_t = Trace.__table__
deputy_t = Deputy.__table__
item_deputy_t = ItemDeputy.__table__
assignment_t = Assignment.__table__
unit_t = Unit.__table__
person_t = Person.__table__
definition_t = WorkflowDefinition.__table__
reminder_t = Reminder.__table__

_ITEM_COLUMNS = [item_t.c[name] for name in (
    "id", "ref", "workflow_id", "definition_id", "parent_id", "title", "content", "state", "version", "seq",
    "head_hash", "fields", "created_at", "entered_at", "last_at", "deadline", "deadline_basis", "entered_seq",
    "next_due_at")]


# Statements built once: SQLAlchemy then reuses their compiled form for every event.
_SELECT_ITEM = select(*_ITEM_COLUMNS).where(item_t.c.ref == bindparam("b_ref"))
# In a writing transaction on PostgreSQL the item row is locked as it is read, so a second
# writer waits for the first to commit and then reads the new state: without it, the writer
# that keeps losing the version check can lose it again and again (starve). SQLite's writers
# are serialised by BEGIN IMMEDIATE instead. The version check stays as the safety net.
_SELECT_ITEM_FOR_UPDATE = _SELECT_ITEM.with_for_update()
_SELECT_ITEM_SKIP_LOCKED = _SELECT_ITEM.with_for_update(skip_locked=True)
# keyset over the sweep's covering index: the next due item after (due, ref), not from the start
_NEXT_DUE = select(item_t.c.next_due_at, item_t.c.ref).where(and_(
    item_t.c.next_due_at.is_not(None), item_t.c.next_due_at <= bindparam("b_as_of"),
    tuple_(item_t.c.next_due_at, item_t.c.ref) > tuple_(bindparam("b_after_due"), bindparam("b_after_ref")),
)).order_by(item_t.c.next_due_at, item_t.c.ref).limit(1).with_for_update(skip_locked=True)
_UPDATE_ITEM = update(item_t).where(
    and_(item_t.c.id == bindparam("b_id"), item_t.c.version == bindparam("b_version"))
).values({name: bindparam(name) for name in (
    "state", "fields", "seq", "head_hash", "version", "entered_at", "last_at", "deadline", "deadline_basis",
    "entered_seq", "next_due_at")})
_INSERT_TRACE = insert(trace_t)
_INSERT_ITEM = insert(item_t).returning(item_t.c.id)
_INSERT_DEPUTY = insert(item_deputy_t)
# entered_seq 0 holds the item's campaign-task reminders, which outlive state entries
_DONE_RULES = select(reminder_t.c.rule).where(and_(
    reminder_t.c.item_id == bindparam("b_item"),
    or_(reminder_t.c.entered_seq == bindparam("b_seq"), reminder_t.c.entered_seq == 0)))


def item_from_row(row) -> ItemRecord:
    values = dict(row._mapping)
    values["fields"] = json.loads(values["fields"])
    return ItemRecord(**values)


class Tx:
    """One database transaction, as the runtime sees it."""

    def __init__(self, connection: Connection, store: "SqlStore", writing: bool = False) -> None:
        self.conn = connection
        self.store = store
        self._select_item = _SELECT_ITEM_FOR_UPDATE if writing and connection.dialect.name == "postgresql" \
            else _SELECT_ITEM

    def item(self, ref: str) -> ItemRecord | None:
        row = self.conn.execute(self._select_item, {"b_ref": ref}).first()
        return item_from_row(row) if row else None

    def claim_next_due(self, as_of: str, after_due: str, after_ref: str) -> tuple[str, str] | None:
        """(next_due_at, ref) of the next item due by `as_of` after the given one, locked for this
        transaction; items another worker holds are skipped (PostgreSQL SKIP LOCKED)."""
        row = self.conn.execute(_NEXT_DUE, {"b_as_of": as_of, "b_after_due": after_due, "b_after_ref": after_ref}).first()
        return (row.next_due_at, row.ref) if row else None

    def claim(self, ref: str) -> ItemRecord | None:
        """The item, locked for this transaction — or None if another worker holds it now
        (PostgreSQL `FOR UPDATE SKIP LOCKED`; a crashed worker's lock goes with its connection)."""
        if self.conn.dialect.name != "postgresql":
            return self.item(ref)
        row = self.conn.execute(_SELECT_ITEM_SKIP_LOCKED, {"b_ref": ref}).first()
        return item_from_row(row) if row else None

    def children(self, item_id: int) -> list[ItemRecord]:
        rows = self.conn.execute(select(*_ITEM_COLUMNS).where(item_t.c.parent_id == item_id).order_by(item_t.c.id))
        return [item_from_row(row) for row in rows]

    def deputies(self, item_id: int) -> list[str]:
        rows = self.conn.execute(select(item_deputy_t.c.name).where(item_deputy_t.c.item_id == item_id)
                                 .order_by(item_deputy_t.c.position))
        return [name for (name,) in rows]

    def deputy_names(self) -> list[str]:
        return [name for (name,) in self.conn.execute(select(deputy_t.c.name))]

    def unknown_deputies(self, names: list[str]) -> list[str]:
        if not names:
            return []
        known = {name for (name,) in self.conn.execute(select(deputy_t.c.name).where(deputy_t.c.name.in_(names)))}
        return [name for name in names if name not in known]

    def missing_units(self, units: list[str]) -> list[str]:
        if not units:
            return []
        known = {unit for (unit,) in self.conn.execute(select(unit_t.c.id).where(unit_t.c.id.in_(units)))}
        return [unit for unit in units if unit not in known]

    def unit_names(self, units: list[str]) -> list[str]:
        names = dict(self.conn.execute(select(unit_t.c.id, unit_t.c.name).where(unit_t.c.id.in_(units))).all())
        return [names.get(unit, unit) for unit in units]

    def person_exists(self, person: str) -> bool:
        return self.conn.execute(select(person_t.c.id).where(person_t.c.id == person)).first() is not None

    def last_occurrence(self, item_id: int, event: str) -> str | None:
        """UTC text of the latest occurrence of `event` on the item, if any."""
        row = self.conn.execute(
            select(trace_t.c.occurred_at).where(and_(trace_t.c.item_id == item_id, trace_t.c.event == event))
            .order_by(trace_t.c.seq.desc()).limit(1)).first()
        return utc_text(datetime.fromisoformat(row[0])) if row else None

    def extensions_since(self, item_id: int, event: str) -> list[str]:
        """The extensions (`@extension` durations) granted since the latest occurrence of `event`."""
        since = select(func.max(trace_t.c.seq)).where(and_(trace_t.c.item_id == item_id, trace_t.c.event == event)) \
            .scalar_subquery()
        rows = self.conn.execute(select(trace_t.c.data).where(and_(
            trace_t.c.item_id == item_id, trace_t.c.seq > since, trace_t.c.data.contains('"@extension"')))
            .order_by(trace_t.c.seq))
        return [json.loads(data)["@extension"] for (data,) in rows]

    def insert_item(self, *, ref: str, workflow_id: str, definition_id: int, parent_id: int | None, title: str,
                    content: str, state: str, fields: dict, created_at: str) -> ItemRecord:
        values = dict(ref=ref, workflow_id=workflow_id, definition_id=definition_id, parent_id=parent_id, title=title,
                      content=content, state=state, version=0, seq=0, head_hash="", fields=canonical_json(fields),
                      created_at=created_at, entered_at=created_at, last_at=created_at, deadline=None,
                      deadline_basis=None, entered_seq=0, next_due_at=None)
        try:
            item_id = self.conn.execute(_INSERT_ITEM, values).scalar_one()
        except IntegrityError as exc:
            raise InvalidInput(f"item {ref} already exists; choose another ref") from exc
        values.update(id=item_id, fields=dict(fields))
        return ItemRecord(**values)

    def set_deputies(self, item_id: int, names: list[str], new: bool = False) -> None:
        """The item's deputies, in order; `new`: the item was just inserted and has none yet."""
        if not new:
            self.conn.execute(delete(item_deputy_t).where(item_deputy_t.c.item_id == item_id))
        if names:
            self.conn.execute(_INSERT_DEPUTY, [
                {"item_id": item_id, "name": name, "position": index} for index, name in enumerate(dict.fromkeys(names))])

    def sync_assignments(self, item_id: int, lead: str | None, co_units: list[str]) -> None:
        """Make the assignment rows match the item's lead_unit and co_units fields."""
        ref = self.conn.execute(select(item_t.c.ref).where(item_t.c.id == item_id)).scalar_one()
        self.conn.execute(delete(assignment_t).where(assignment_t.c.item_id == item_id))
        rows = ([(lead, "lead")] if lead else []) + [(unit, "co") for unit in co_units if unit != lead]
        for unit, role in rows:
            child = self.conn.execute(select(item_t.c.id).where(item_t.c.ref == f"{ref}/{unit}")).scalar()
            self.conn.execute(insert(assignment_t).values(item_id=item_id, unit_id=unit, role=role, child_id=child))

    def update_item(self, item_id: int, *, expected_version: int, state: str, fields: dict, seq: int,
                    head_hash: str, entered_at: str, last_at: str, deadline: str | None, deadline_basis: str | None,
                    entered_seq: int, next_due_at: str | None) -> bool:
        result = self.conn.execute(_UPDATE_ITEM, {
            "b_id": item_id, "b_version": expected_version, "state": state, "fields": canonical_json(fields),
            "seq": seq, "head_hash": head_hash, "version": expected_version + 1, "entered_at": entered_at,
            "last_at": last_at, "deadline": deadline, "deadline_basis": deadline_basis, "entered_seq": entered_seq,
            "next_due_at": next_due_at})
        return result.rowcount == 1

    def done_rules(self, item_id: int, entered_seq: int) -> set[str]:
        return {rule for (rule,) in self.conn.execute(_DONE_RULES, {"b_item": item_id, "b_seq": entered_seq})}

    def mark_reminder(self, item_id: int, entered_seq: int, rule: str, due_at: str, done_at: str,
                      fired: str | None) -> None:
        """Record that a rule was acted on; UNIQUE(item, entry, rule) makes a second time fail."""
        self.conn.execute(insert(reminder_t).values(item_id=item_id, entered_seq=entered_seq, rule=rule, due_at=due_at,
                                                    done_at=done_at, fired=fired))

    def people(self):
        """Everyone in the organisation, to resolve roles to people (see `outbox.People`)."""
        from banli.store.outbox import People

        return People(self.conn)

    def notify(self, *, cause: str, people: list, item: ItemRecord | None, subject: str, body: str, at: str) -> int:
        from banli.store.outbox import enqueue

        return enqueue(self.conn, cause=cause, people=people, item_id=item.id if item else None,
                       ref=item.ref if item else "", subject=subject, body=body, at=at)

    def open_tasks(self, item_id: int) -> list:
        """The item's campaign tasks still waiting for an outcome."""
        from banli.store.campaigns import open_tasks

        return open_tasks(self.conn, item_id)

    def record_outcome(self, item_id: int, campaign: str, outcome: str, at: str) -> int:
        from banli.store.campaigns import record_outcome

        return record_outcome(self.conn, item_id, campaign, outcome, at)

    def repin(self, item_id: int, definition_id: int) -> None:
        """Pin an item to another version of its workflow (a migration)."""
        self.conn.execute(update(item_t).where(item_t.c.id == item_id).values(definition_id=definition_id))

    def set_next_due(self, item_id: int, next_due_at: str | None) -> None:
        self.conn.execute(update(item_t).where(item_t.c.id == item_id).values(next_due_at=next_due_at))

    def append_trace(self, item_id: int, row: dict) -> None:
        self.conn.execute(_INSERT_TRACE, {"item_id": item_id, **row})


class SqlStore:
    """A database, its compiled workflows (cached by definition id) and its actors."""

    def __init__(self, url_or_engine) -> None:
        self.engine: Engine = open_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        self._by_id: dict[int, CompiledWorkflow] = {}
        self._actors: dict[str, Actor | None] = {}
        self._schedules: dict | None = None  # the operator's calendar years, read once

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """A writing transaction; committed if the block returns, rolled back if it raises."""
        from banli.engine.runtime import Retry

        with self.engine.connect() as connection:
            connection = connection.execution_options(banli_write=True)
            try:
                with connection.begin():
                    yield Tx(connection, self, writing=True)
            except IntegrityError as exc:
                # UNIQUE(item_id, seq): another writer appended first. Run the event again.
                if "seq" in str(exc.orig) or "trace" in str(exc.orig):
                    raise Retry() from exc
                raise
            except OperationalError as exc:
                if "database is locked" in str(exc.orig) or "could not serialize" in str(exc.orig):
                    raise Retry() from exc
                raise

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self.engine.connect() as connection:
            with connection.begin():
                yield Tx(connection, self)

    # -- workflows -------------------------------------------------------------------------

    def workflow_by_id(self, definition_id: int) -> CompiledWorkflow:
        compiled = self._by_id.get(definition_id)
        if compiled is None:
            with self.engine.connect() as connection:
                row = connection.execute(select(definition_t).where(definition_t.c.id == definition_id)).first()
            if row is None:
                raise NotFound(f"no workflow definition #{definition_id}")
            compiled = self._compile(row)
        return compiled

    def workflow(self, workflow_id: str, version: int | None = None) -> CompiledWorkflow:
        """The latest (or the given) version of a registered workflow."""
        query = select(definition_t.c.id).where(definition_t.c.workflow_id == workflow_id)
        if version is not None:
            query = query.where(definition_t.c.version == version)
        with self.engine.connect() as connection:
            definition_id = connection.execute(query.order_by(definition_t.c.version.desc()).limit(1)).scalar()
        if definition_id is None:
            which = f"workflow {workflow_id}" + (f" version {version}" if version else "")
            raise NotFound(f"no {which} registered; see 'banli workflow list'")
        return self.workflow_by_id(definition_id)

    def forget_workflows(self) -> None:
        """Compile afresh on next use (after a calendar year was added, say)."""
        self._by_id.clear()
        self._schedules = None

    def _compile(self, row) -> CompiledWorkflow:
        from banli.engine.load import load_text
        from banli.engine.parse import parse

        from banli.store.calendar import load_years

        definition = parse(load_text(row.source, f"{row.workflow_id} v{row.version}"))
        if self._schedules is None:
            with self.engine.connect() as connection:
                self._schedules = load_years(connection)
        compiled = CompiledWorkflow(definition, row.hash, row.id, row.version, self._schedules)
        self._by_id[row.id] = compiled
        return compiled

    # -- actors ----------------------------------------------------------------------------

    def actor(self, user: str) -> Actor | None:
        """The person `user`, cached for the life of the store (`forget_actors` after an org load)."""
        if user in self._actors:
            return self._actors[user]
        with self.engine.connect() as connection:
            row = connection.execute(select(person_t).where(person_t.c.id == user)).first()
        actor = None if row is None else Actor(
            id=row.id, name=row.name, roles=frozenset(filter(None, row.roles.split(","))), unit=row.unit_id,
            deputy=row.deputy)
        self._actors[user] = actor
        return actor

    def forget_actors(self) -> None:
        self._actors.clear()

    def due_refs(self, as_of: str, limit: int | None = None) -> list[str]:
        """Refs of items with a reminder due by `as_of` (UTC text), earliest first: one index range."""
        query = select(item_t.c.ref).where(and_(item_t.c.next_due_at.is_not(None), item_t.c.next_due_at <= as_of)) \
            .order_by(item_t.c.next_due_at)
        with self.engine.connect() as connection:
            return [ref for (ref,) in connection.execute(query.limit(limit) if limit else query)]

    def items_of_workflow(self, workflow_id: str) -> list[tuple[str, int, str]]:
        """(ref, definition id, state) of every item of a workflow, in ref order."""
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(
                select(item_t.c.ref, item_t.c.definition_id, item_t.c.state)
                .where(item_t.c.workflow_id == workflow_id).order_by(item_t.c.ref))]

    def latest_workflows(self) -> list[CompiledWorkflow]:
        """The newest version of every registered workflow."""
        latest = select(definition_t.c.workflow_id, func.max(definition_t.c.version).label("version")) \
            .group_by(definition_t.c.workflow_id).subquery()
        query = select(definition_t.c.id).join(latest, and_(definition_t.c.workflow_id == latest.c.workflow_id,
                                                            definition_t.c.version == latest.c.version))
        with self.engine.connect() as connection:
            ids = [definition_id for (definition_id,) in connection.execute(query)]
        return [self.workflow_by_id(definition_id) for definition_id in ids]

    def refs_with_deadline_basis(self, basis: str) -> list[str]:
        with self.engine.connect() as connection:
            return [ref for (ref,) in connection.execute(
                select(item_t.c.ref).where(item_t.c.deadline_basis == basis).order_by(item_t.c.ref))]

    def count(self, table) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(table)).scalar_one()
