"""The SQL store: Core statements over the tables of `banli.store.schema`, behind the narrow
interface the runtime uses (`write()` / `read()` give a `Tx`; workflows and actors are looked
up here).

The hot path (read item, update item, insert trace row) stays on SQLAlchemy Core: the ORM
unit of work costs four times as much per event (see PERFORMANCE.md). On SQLite its statements,
compiled by SQLAlchemy, run on sqlite3's own connection (`_SqliteDriver`).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime
from typing import Iterator

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from banli.engine.compile import CompiledWorkflow
from banli.engine.chain import canonical_json
from banli.engine.records import Actor, ItemRecord
from banli.engine.times import utc_text
from banli.errors import InvalidInput, NotFound
from banli.store.db import open_engine
from banli.store.schema import (  # noqa: F401 - other store modules import the tables from here too
    assignment_t, definition_t, deputy_t, item_deputy_t, item_t, person_t, reminder_t, trace_t, unit_t,
)

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
# An item's UPDATE names only the columns that changed (see `_update_item`)
_UPDATE_ITEM: dict[tuple[str, ...], object] = {}  # the columns set → the statement, built once each
_INSERT_TRACE = insert(trace_t).values({column.name: bindparam(column.name) for column in trace_t.c
                                        if column.name != "id"})
_INSERT_ITEM = insert(item_t).returning(item_t.c.id)
_INSERT_DEPUTY = insert(item_deputy_t)
# entered_seq 0 holds the item's campaign-task reminders, which outlive state entries
_DONE_RULES = select(reminder_t.c.rule).where(and_(
    reminder_t.c.item_id == bindparam("b_item"),
    or_(reminder_t.c.entered_seq == bindparam("b_seq"), reminder_t.c.entered_seq == 0)))
# the sweep's batch: the next due items after (due, ref), each locked (SKIP LOCKED) until the
# commit; keyset over the sweep's covering index, not from the start
_CLAIM_DUE = select(*_ITEM_COLUMNS).where(and_(
    item_t.c.next_due_at.is_not(None), item_t.c.next_due_at <= bindparam("b_as_of"),
    tuple_(item_t.c.next_due_at, item_t.c.ref) > tuple_(bindparam("b_after_due"), bindparam("b_after_ref")),
)).order_by(item_t.c.next_due_at, item_t.c.ref).limit(bindparam("b_limit")).with_for_update(skip_locked=True)
_DONE_RULES_OF = select(reminder_t.c.item_id, reminder_t.c.entered_seq, reminder_t.c.rule) \
    .where(reminder_t.c.item_id.in_(bindparam("b_items", expanding=True)))
_INSERT_REMINDER = insert(reminder_t)
_SET_NEXT_DUE = update(item_t).where(item_t.c.id == bindparam("b_id")).values(next_due_at=bindparam("b_next_due_at"))


_ITEM_REF = select(item_t.c.ref).where(item_t.c.id == bindparam("b_id"))
_ITEM_IDS = select(item_t.c.ref, item_t.c.id).where(item_t.c.ref.in_(bindparam("b_refs", expanding=True)))
_DELETE_ASSIGNMENTS = delete(assignment_t).where(assignment_t.c.item_id == bindparam("b_id"))
_INSERT_ASSIGNMENT = insert(assignment_t)
_LAST_OCCURRENCE = select(trace_t.c.occurred_at).where(and_(
    trace_t.c.item_id == bindparam("b_item"), trace_t.c.event == bindparam("b_event"))
).order_by(trace_t.c.seq.desc()).limit(1)
_SINCE_LAST_OCCURRENCE = select(trace_t.c.data).where(and_(
    trace_t.c.item_id == bindparam("b_item"),
    trace_t.c.seq >= select(func.max(trace_t.c.seq)).where(and_(
        trace_t.c.item_id == bindparam("b_item"), trace_t.c.event == bindparam("b_event"))).scalar_subquery(),
    or_(trace_t.c.event == bindparam("b_event"), trace_t.c.data.contains('"@extension"')),
)).order_by(trace_t.c.seq)


# A writing transaction writes what it held back once it holds this many trace rows, and then
# forgets what it kept if that is more than this many items (see `Tx`).
_HELD_BACK = 1000
_KEPT = 10_000


def _update_item(columns: tuple[str, ...]):
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


class _SqliteDriver:
    """The hot path's statements on SQLite (read an item, its reminders done and open tasks,
    update it, append its trace rows), run on sqlite3's own connection, each compiled once by
    SQLAlchemy. Its execute costs ~13 µs a statement over sqlite3's ~4 µs: as much as the rest
    of an event's work. These statements read and write plain text and integer columns, which
    neither side converts. Errors are SQLAlchemy's, as from its execute. PostgreSQL keeps
    SQLAlchemy's execute: its round trips cost far more."""

    _dialect = SQLiteDialect_pysqlite(paramstyle="named")  # parameters by name, as SQLAlchemy passes them
    # statement → (its SQL, the parameters it fixes itself); the statements are built once
    # (module-level or cached), so this stays as small as they are few
    _texts: dict[object, tuple[str, dict]] = {}

    def __init__(self, connection: Connection) -> None:
        self._driver = connection.connection.driver_connection
        self._sqlalchemy_dialect = connection.dialect

    def execute(self, statement, params):
        """The statement with `params`, or with each of a list of them (executemany): sqlite3's cursor."""
        text = self._texts.get(statement)
        if text is None:
            compiled = statement.compile(dialect=self._dialect)
            fixed = {name: value for name, value in compiled.params.items() if value is not None}
            text = self._texts[statement] = (str(compiled), fixed)
        sql, fixed = text
        try:
            if isinstance(params, list):
                return self._driver.executemany(sql, [{**fixed, **one} for one in params] if fixed else params)
            return self._driver.execute(sql, {**fixed, **params} if fixed else params)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, params, exc, sqlite3.Error, dialect=self._sqlalchemy_dialect) from exc


_ITEM_NAMES = tuple(column.name for column in _ITEM_COLUMNS)
_FIELDS_AT = _ITEM_NAMES.index("fields")


def _appended_first(exc: IntegrityError) -> bool:
    """Whether the clash is UNIQUE(item_id, seq) of the trace: another writer appended first."""
    return "seq" in str(exc.orig) or "trace" in str(exc.orig)


def item_from_row(row) -> ItemRecord:
    values = dict(zip(_ITEM_NAMES, row))
    values["fields"] = json.loads(values["fields"])
    return ItemRecord(**values)


class Tx:
    """One database transaction, as the runtime sees it.

    A writing transaction keeps what it read and wrote of its items (rows, deputies, reminder
    rules done, open campaign tasks) and holds back its item updates, trace rows and reminder
    rows, writing them with one executemany each before it commits and before any SQL that may
    read them.
    Nobody else changes those rows meanwhile: SQLite's writer holds the write lock from BEGIN
    IMMEDIATE, and PostgreSQL's reads each item FOR UPDATE. A held-back update still names the
    version the item had in the database, so the optimistic check holds as before.
    """

    def __init__(self, connection: Connection, store: "SqlStore", writing: bool = False) -> None:
        self._connection = connection
        # what runs the hot path's statements: sqlite3 itself on SQLite (see `_SqliteDriver`)
        self._hot = _SqliteDriver(connection) if connection.dialect.name == "sqlite" else connection
        self.store = store
        self._writing = writing
        self._select_item = _SELECT_ITEM_FOR_UPDATE if writing and connection.dialect.name == "postgresql" \
            else _SELECT_ITEM
        self._items: dict[str, ItemRecord] = {}  # by ref: the row as this transaction last read or wrote it
        self._deputies: dict[int, list[str]] = {}
        self._done: dict[tuple[int, int], set[str]] = {}
        self._tasks: dict[int, list] = {}
        self._org: dict[object, dict[str, bool]] = {}  # column → name → whether the organisation has it
        self._stored_fields: dict[int, str] = {}  # item id → its fields as the database has them, for kept items
        # item id → (the version the database has, the row to write, its fields as text if known,
        # the row the database has if this transaction knows it: only what differs is written)
        self._updates: dict[int, tuple[int, ItemRecord, str | None, ItemRecord | None]] = {}
        self._traces: list[dict] = []
        self._reminders: list[dict] = []  # rows for `reminder` (the sweep's marks), held back as well

    @property
    def conn(self) -> Connection:
        """The connection, for SQL this class does not know: what is held back is written first
        and what is kept is forgotten, as that SQL may read or change any row."""
        self.flush()
        self._forget()
        return self._connection

    def _forget(self) -> None:
        self._org.clear()
        self._items.clear()
        self._stored_fields.clear()
        self._deputies.clear()
        self._done.clear()
        self._tasks.clear()

    def flush(self) -> None:
        """Write the held-back item updates (each item's last row, checked against the version
        it had in the database; of a row this transaction read, only the columns that differ),
        trace rows and reminder rows."""
        from banli.engine.runtime import Retry

        updates, traces = self._updates, self._traces
        self._updates, self._traces = {}, []
        if updates:
            by_columns: dict[tuple[str, ...], list[dict]] = {}
            for version, item, text, stored in updates.values():
                text = canonical_json(item.fields) if text is None else text
                values = {"state": item.state, "fields": text, "seq": item.seq, "head_hash": item.head_hash,
                          "version": item.version, "entered_at": item.entered_at, "last_at": item.last_at,
                          "deadline": item.deadline, "deadline_basis": item.deadline_basis,
                          "entered_seq": item.entered_seq, "next_due_at": item.next_due_at}
                if stored is not None:  # the version always: it is the check's token
                    stored_values = vars(stored) | {"fields": self._stored_fields.get(item.id)}
                    values = {name: value for name, value in values.items()
                              if name == "version" or value != stored_values[name]}
                by_columns.setdefault(tuple(values), []).append({"b_id": item.id, "b_version": version, **values})
                if self._writing:
                    self._stored_fields[item.id] = text
            for columns, rows in by_columns.items():
                if self._hot.execute(_update_item(columns), rows).rowcount != len(rows):
                    raise Retry()  # an item changed since it was read: run again on its new state
        if traces:
            self._hot.execute(_INSERT_TRACE, traces)
        reminders, self._reminders = self._reminders, []
        if reminders:
            self._connection.execute(_INSERT_REMINDER, reminders)

    def item(self, ref: str) -> ItemRecord | None:
        item = self._items.get(ref)
        if item is None:
            row = self._hot.execute(self._select_item, {"b_ref": ref}).fetchone()
            if row is None:
                return None
            item = item_from_row(row)
            if self._writing:
                self._items[ref] = item
                self._stored_fields[item.id] = row[_FIELDS_AT]
        return item

    def claim_due(self, as_of: str, after_due: str, after_ref: str, limit: int) -> list[tuple[str, str]]:
        """(next_due_at, ref) of up to `limit` items due by `as_of` after the given one, in that
        order, each locked for this writing transaction; items another worker holds are skipped.
        What the sweep asks next of each is kept (see the class): its row, the reminder rules
        done in its state entry and its open campaign tasks, one query each for all of them."""
        from banli.store.campaigns import open_tasks_of

        rows = self._connection.execute(_CLAIM_DUE, {
            "b_as_of": as_of, "b_after_due": after_due, "b_after_ref": after_ref, "b_limit": limit}).all()
        items = [item_from_row(row) for row in rows]
        if items and self._writing:
            self._stored_fields.update((row.id, row.fields) for row in rows)
            entries = {item.id: item.entered_seq for item in items}
            done = {(item.id, item.entered_seq): set() for item in items}
            for item_id, entry, rule in self._connection.execute(_DONE_RULES_OF, {"b_items": list(entries)}):
                if entry in (entries[item_id], 0):  # 0: campaign-task rules, done in every entry
                    done[(item_id, entries[item_id])].add(rule)
            self._items.update((item.ref, item) for item in items)
            self._done.update(done)
            self._tasks.update(open_tasks_of(self._connection, list(entries)))
        return [(item.next_due_at, item.ref) for item in items]

    @contextmanager
    def savepoint(self) -> Iterator["Tx"]:
        """A part of this transaction undone alone if the block raises: one item of a sweep's
        batch. The database's part is a SAVEPOINT; what this class holds back is put back as it
        was before the block (and then written), and what it keeps is forgotten. A clash on
        UNIQUE(item_id, seq) raises Retry, as in `SqlStore.write`."""
        from banli.engine.runtime import Retry

        held = dict(self._updates), list(self._traces), list(self._reminders)
        # one name, as plain SQL: SQLAlchemy's begin_nested compiles a SAVEPOINT clause anew each
        # time, which cost more than the item's own statements; these never nest
        self._connection.exec_driver_sql("SAVEPOINT banli_part")
        try:
            yield self
        except Exception as exc:
            self._connection.exec_driver_sql("ROLLBACK TO SAVEPOINT banli_part")
            self._connection.exec_driver_sql("RELEASE SAVEPOINT banli_part")
            self._updates, self._traces, self._reminders = held
            self.flush()  # the earlier blocks' writes, if the block's own SQL wrote them and was undone
            self._forget()
            if isinstance(exc, IntegrityError) and _appended_first(exc):
                raise Retry() from exc
            raise
        self._connection.exec_driver_sql("RELEASE SAVEPOINT banli_part")

    def children(self, item_id: int) -> list[ItemRecord]:
        # a child this transaction wrote is kept, with its held-back update: its kept row is the newer
        rows = self._connection.execute(select(*_ITEM_COLUMNS).where(item_t.c.parent_id == item_id)
                                        .order_by(item_t.c.id))
        return [self._items.get(row.ref) or item_from_row(row) for row in rows]

    def deputies(self, item_id: int) -> list[str]:
        names = self._deputies.get(item_id)
        if names is None:
            names = [name for (name,) in self._connection.execute(select(item_deputy_t.c.name).where(
                item_deputy_t.c.item_id == item_id).order_by(item_deputy_t.c.position))]
            if self._writing:
                self._deputies[item_id] = names
        return list(names)

    def deputy_names(self) -> list[str]:
        return [name for (name,) in self.conn.execute(select(deputy_t.c.name))]

    def unknown_deputies(self, names: list[str]) -> list[str]:
        known = self._existing(deputy_t.c.name, names)
        return [name for name in names if name not in known]

    def missing_units(self, units: list[str]) -> list[str]:
        known = self._existing(unit_t.c.id, units)
        return [unit for unit in units if unit not in known]

    def _existing(self, column, names: list[str]) -> set[str]:
        """Those of `names` the organisation's `column` holds; each name is asked once per
        transaction (a replay names the same units again and again)."""
        asked = self._org.setdefault(column, {})
        new = [name for name in dict.fromkeys(names) if name not in asked]
        if new:
            found = {value for (value,) in self._connection.execute(select(column).where(column.in_(new)))}
            asked.update((name, name in found) for name in new)
        return {name for name in names if asked[name]}

    def unit_names(self, units: list[str]) -> list[str]:
        names = dict(self.conn.execute(select(unit_t.c.id, unit_t.c.name).where(unit_t.c.id.in_(units))).all())
        return [names.get(unit, unit) for unit in units]

    def person_exists(self, person: str) -> bool:
        return person in self._existing(person_t.c.id, [person])

    def last_occurrence(self, item_id: int, event: str) -> str | None:
        """UTC text of the latest occurrence of `event` on the item, if any."""
        for row in reversed(self._held_trace(item_id)):  # newer than any of the item's rows in the database
            if row["event"] == event:
                return utc_text(datetime.fromisoformat(row["occurred_at"]))
        row = self._connection.execute(_LAST_OCCURRENCE, {"b_item": item_id, "b_event": event}).first()
        return utc_text(datetime.fromisoformat(row[0])) if row else None

    def extensions_since(self, item_id: int, event: str) -> list[str]:
        """The extensions (`@extension` durations) granted since the latest occurrence of `event`."""
        held = self._held_trace(item_id)
        since = next((index for index in range(len(held) - 1, -1, -1) if held[index]["event"] == event), None)
        if since is not None:
            data = [row["data"] for row in held[since + 1:]]
        else:
            # the occurrence itself first (none: it never happened), then the extensions after it
            stored = self._connection.execute(_SINCE_LAST_OCCURRENCE, {"b_item": item_id, "b_event": event}).all()
            data = [text for (text,) in stored[1:]] + [row["data"] for row in held] if stored else []
        return [json.loads(text)["@extension"] for text in data if '"@extension"' in text]

    def _held_trace(self, item_id: int) -> list[dict]:
        return [row for row in self._traces if row["item_id"] == item_id]

    def insert_item(self, *, ref: str, workflow_id: str, definition_id: int, parent_id: int | None, title: str,
                    content: str, state: str, fields: dict, created_at: str) -> ItemRecord:
        values = dict(ref=ref, workflow_id=workflow_id, definition_id=definition_id, parent_id=parent_id, title=title,
                      content=content, state=state, version=0, seq=0, head_hash="", fields=canonical_json(fields),
                      created_at=created_at, entered_at=created_at, last_at=created_at, deadline=None,
                      deadline_basis=None, entered_seq=0, next_due_at=None)
        try:
            item_id = self._connection.execute(_INSERT_ITEM, values).scalar_one()
        except IntegrityError as exc:
            raise InvalidInput(f"item {ref} already exists; choose another ref") from exc
        values.update(id=item_id, fields=dict(fields))
        return ItemRecord(**values)

    def set_deputies(self, item_id: int, names: list[str], new: bool = False) -> None:
        """The item's deputies, in order; `new`: the item was just inserted and has none yet."""
        if not new:
            self._connection.execute(delete(item_deputy_t).where(item_deputy_t.c.item_id == item_id))
        names = list(dict.fromkeys(names))
        if names:
            self._connection.execute(_INSERT_DEPUTY, [
                {"item_id": item_id, "name": name, "position": index} for index, name in enumerate(names)])
        if self._writing:
            self._deputies[item_id] = names

    def sync_assignments(self, item_id: int, lead: str | None, co_units: list[str]) -> None:
        """Make the assignment rows match the item's lead_unit and co_units fields."""
        # items' ids and refs, which are written at once and never change, and assignment rows,
        # which this class neither holds back nor keeps: the plain connection
        conn = self._connection
        ref = conn.execute(_ITEM_REF, {"b_id": item_id}).scalar_one()
        conn.execute(_DELETE_ASSIGNMENTS, {"b_id": item_id})
        rows = ([(lead, "lead")] if lead else []) + [(unit, "co") for unit in co_units if unit != lead]
        if rows:
            children = dict(conn.execute(_ITEM_IDS, {"b_refs": [f"{ref}/{unit}" for unit, _role in rows]}).all())
            conn.execute(_INSERT_ASSIGNMENT, [{"item_id": item_id, "unit_id": unit, "role": role,
                                               "child_id": children.get(f"{ref}/{unit}")} for unit, role in rows])

    def update_item(self, item: ItemRecord, *, expected_version: int) -> bool:
        """Replace the item's row at `expected_version` by `item` (its row after an event); False if
        the item is known to be at another version. The write is held back (see the class)."""
        known = self._items.get(item.ref)
        if known is not None and known.version != expected_version:
            return False
        text = None
        if known is None or item.fields != known.fields:
            # the fields as they would come back from the database (a tuple becomes a list)
            text = canonical_json(item.fields)
            item = item.evolve(fields=json.loads(text))
        held = self._updates.get(item.id)
        if held is not None:  # written earlier in this transaction: the database still has the version it had
            expected_version, text, known = held[0], text or held[2], held[3]
        self._updates[item.id] = (expected_version, item, text, known)
        self._items[item.ref] = item
        return True

    def done_rules(self, item_id: int, entered_seq: int) -> set[str]:
        done = self._done.get((item_id, entered_seq))
        if done is None:
            rows = self._hot.execute(_DONE_RULES, {"b_item": item_id, "b_seq": entered_seq})
            done = {rule for (rule,) in rows}
            done.update(row["rule"] for row in self._reminders  # marked, not yet written
                        if row["item_id"] == item_id and row["entered_seq"] in (entered_seq, 0))
            if self._writing:
                self._done[(item_id, entered_seq)] = done
        return set(done)

    def mark_reminders(self, item_id: int, marks: list[dict]) -> None:
        """Record rules acted on (each mark: entered_seq, rule, due_at, done_at, fired), held back
        (see the class); UNIQUE(item, entry, rule) makes a second time fail when they are written."""
        self._reminders += [{"item_id": item_id, **mark} for mark in marks]
        # what done_rules keeps stays true; a campaign task's rule (entry 0) counts in every entry
        keys = [key for key in self._done if key[0] == item_id] if any(mark["entered_seq"] == 0 for mark in marks) \
            else {(item_id, mark["entered_seq"]) for mark in marks}
        for key in keys:
            if key in self._done:
                self._done[key].update(mark["rule"] for mark in marks if mark["entered_seq"] in (key[1], 0))

    def people(self):
        """Everyone in the organisation, to resolve roles to people (see `outbox.People`)."""
        from banli.store.outbox import People

        return People(self.conn)

    def notify_many(self, messages: list[dict]) -> int:
        """Several `notify` calls' messages (their keyword arguments) in one statement; returns how
        many were new. The outbox is not among what this class keeps, so nothing is forgotten."""
        from banli.store.outbox import enqueue_rows, message_rows

        rows = [row for message in messages for row in message_rows(
            cause=message["cause"], people=message["people"], item_id=message["item"].id, ref=message["item"].ref,
            subject=message["subject"], body=message["body"], at=message["at"])]
        return enqueue_rows(self._connection, rows)

    def open_tasks(self, item_id: int) -> list:
        """The item's campaign tasks still waiting for an outcome."""
        from banli.store.campaigns import open_tasks

        tasks = self._tasks.get(item_id)
        if tasks is None:
            tasks = open_tasks(self._hot, item_id)
            if self._writing:
                self._tasks[item_id] = tasks
        return list(tasks)

    def record_outcome(self, item_id: int, campaign: str, outcome: str, at: str) -> int:
        from banli.store.campaigns import record_outcome

        return record_outcome(self.conn, item_id, campaign, outcome, at)

    def repin(self, item_id: int, definition_id: int) -> None:
        """Pin an item to another version of its workflow (a migration)."""
        self.conn.execute(update(item_t).where(item_t.c.id == item_id).values(definition_id=definition_id))

    def set_next_due(self, item: ItemRecord, next_due_at: str | None) -> None:
        """When the item's next reminder falls due (not an event: no new version). An update held
        back for the item carries it; what this class keeps of the item is kept in step."""
        held = self._updates.get(item.id)
        if held is not None:
            version, row, text, stored = held
            self._updates[item.id] = (version, row.evolve(next_due_at=next_due_at), text, stored)
        else:
            self._connection.execute(_SET_NEXT_DUE, {"b_id": item.id, "b_next_due_at": next_due_at})
        kept = self._items.get(item.ref)
        if kept is not None:
            self._items[item.ref] = kept.evolve(next_due_at=next_due_at)

    def append_trace(self, item_id: int, row: dict) -> None:
        """Add the item's next trace row; held back (see the class) until the next flush."""
        self._traces.append({"item_id": item_id, **row})
        if len(self._traces) >= _HELD_BACK:  # a long replay or import keeps a bounded memory
            self.flush()
            if len(self._items) > _KEPT:
                self._forget()


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
                    tx = Tx(connection, self, writing=True)
                    yield tx
                    tx.flush()  # what the transaction held back, before it commits
            except IntegrityError as exc:
                if _appended_first(exc):  # run the event again
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

    @property
    def sweep_batch(self) -> int:
        """How many items a sweep takes per transaction, each in a SAVEPOINT. On PostgreSQL no
        more than 64: a transaction with more writing subtransactions overflows its backend's
        cache of them, and every other session's snapshot then looks them up in pg_subtrans."""
        return 50 if self.engine.dialect.name == "postgresql" else 200

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
