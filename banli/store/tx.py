"""A SQL transaction as the engine sees it (`ports.Tx`), holding its writes back: an event's
item update, trace row and reminder marks are written together, with one executemany each,
so several events in one transaction (`replay --atomic`, a sweep's batch) cost little more
than their hashing."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Iterator, Sequence

from sqlalchemy.engine import Connection

from banli.engine.chain import canonical_json
from banli.engine.records import ItemRecord, OpenTask
from banli.engine.roles import assignments
from banli.engine.times import utc_text
from banli.errors import InvalidInput, Retry, UniqueViolation
from banli.i18n import _
from banli.store import bulk, campaigns, outbox, sweep_queries
from banli.store import items as sql
from banli.store.failures import is_clash, wrap_exceptions
from banli.store.organisation import OrgReader
from banli.store.sqlite_driver import SqliteDriver

if TYPE_CHECKING:
    from banli.store.repo import SqlStore

# A writing transaction writes what it held back once it holds this many trace rows, and then
# forgets what it kept if that is more than this many items.
_HELD_BACK = 1000
_KEPT = 10_000


class Tx(OrgReader):
    """One database transaction.

    A writing transaction keeps what it read and wrote of its items (rows, deputies, reminder
    rules done, open campaign tasks) and holds back its item updates, trace rows and reminder
    rows, writing them before it commits and before any SQL that may read them.
    Nobody else changes those rows meanwhile: SQLite's writer holds the write lock from BEGIN
    IMMEDIATE, and PostgreSQL's reads each item FOR UPDATE. A held-back update still names the
    version the item had in the database, so the optimistic check holds as before.
    """

    def __init__(self, connection: Connection, store: "SqlStore", writing: bool = False) -> None:
        self._connection = connection
        sqlite = connection.dialect.name == "sqlite"
        self._hot = SqliteDriver(connection) if sqlite else connection  # what runs the hot path's statements
        self.store = store
        self._writing = writing
        self._select_item = sql.SELECT_ITEM_FOR_UPDATE if writing and not sqlite else sql.SELECT_ITEM
        self._items: dict[str, ItemRecord] = {}  # by ref: the row as this transaction last read or wrote it
        self._deputies: dict[int, list[str]] = {}
        self._done: dict[tuple[int, int], set[str]] = {}
        self._tasks: dict[int, list[OpenTask]] = {}
        self._org: dict[object, dict[str, bool]] = {}
        self._stored_fields: dict[int, str] = {}  # item id → its fields as the database has them, for kept items
        # item id → (the version the database has, the row to write, its fields as text if known,
        # the row the database has if this transaction knows it: only what differs is written)
        self._updates: dict[int, tuple[int, ItemRecord, str | None, ItemRecord | None]] = {}
        self._traces: list[dict] = []
        self._reminders: list[dict] = []  # rows for `reminder` (the sweep's marks), held back as well

    @property
    def conn(self) -> Connection:
        """The connection, for the store's SQL that this class does not know: what is held back
        is written first and what is kept is forgotten, as that SQL may read or change any row."""
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
                if self._hot.execute(sql.update_item_statement(columns), rows).rowcount != len(rows):
                    raise Retry()  # an item changed since it was read: run again on its new state
        if traces:
            self._hot.execute(sql.INSERT_TRACE, traces)
        reminders, self._reminders = self._reminders, []
        if reminders:
            self._connection.execute(sql.INSERT_REMINDER, reminders)

    # -- reading items -----------------------------------------------------------------------

    def item(self, ref: str) -> ItemRecord | None:
        item = self._items.get(ref)
        if item is None:
            row = self._hot.execute(self._select_item, {"b_ref": ref}).fetchone()
            if row is None:
                return None
            item = sql.item_from_row(row)
            if self._writing:
                self._items[ref] = item
                self._stored_fields[item.id] = row[sql.FIELDS_AT]
        return item

    def children(self, item_id: int) -> list[ItemRecord]:
        # a child this transaction wrote is kept, with its held-back update: its kept row is the newer
        rows = self._connection.execute(sql.SELECT_CHILDREN, {"b_parent": item_id})
        return [self._items.get(row.ref) or sql.item_from_row(row) for row in rows]

    def trace(self, item_id: int) -> list[dict]:
        return [dict(row._mapping) for row in self.conn.execute(sql.SELECT_TRACE, {"b_item": item_id})]

    def deputies(self, item_id: int) -> list[str]:
        names = self._deputies.get(item_id)
        if names is None:
            names = [name for (name,) in self._connection.execute(sql.SELECT_DEPUTIES, {"b_id": item_id})]
            if self._writing:
                self._deputies[item_id] = names
        return list(names)

    def last_occurrence(self, item_id: int, event: str) -> str | None:
        for row in reversed(self._held_trace(item_id)):  # newer than any of the item's rows in the database
            if row["event"] == event:
                return utc_text(datetime.fromisoformat(row["occurred_at"]))
        row = self._connection.execute(sql.LAST_OCCURRENCE, {"b_item": item_id, "b_event": event}).first()
        return utc_text(datetime.fromisoformat(row[0])) if row else None

    def count_events(self, item_id: int, event: str) -> int:
        held = sum(1 for row in self._held_trace(item_id) if row["event"] == event)  # not in the database yet
        return held + self._connection.execute(sql.COUNT_EVENTS, {"b_item": item_id, "b_event": event}).scalar_one()

    def extensions_since(self, item_id: int, event: str) -> list[str]:
        held = self._held_trace(item_id)
        since = next((index for index in range(len(held) - 1, -1, -1) if held[index]["event"] == event), None)
        if since is not None:
            data = [row["data"] for row in held[since + 1:]]
        else:
            # the occurrence itself first (none: it never happened), then the extensions after it
            stored = self._connection.execute(sql.SINCE_LAST_OCCURRENCE, {"b_item": item_id, "b_event": event}).all()
            data = [text for (text,) in stored[1:]] + [row["data"] for row in held] if stored else []
        return [json.loads(text)["@extension"] for text in data if '"@extension"' in text]

    def _held_trace(self, item_id: int) -> list[dict]:
        return [row for row in self._traces if row["item_id"] == item_id]

    def done_rules(self, item_id: int, entered_seq: int) -> set[str]:
        done = self._done.get((item_id, entered_seq))
        if done is None:
            rows = self._hot.execute(sql.DONE_RULES, {"b_item": item_id, "b_seq": entered_seq})
            done = {rule for (rule,) in rows}
            done.update(row["rule"] for row in self._reminders  # marked, not yet written
                        if row["item_id"] == item_id and row["entered_seq"] in (entered_seq, 0))
            if self._writing:
                self._done[(item_id, entered_seq)] = done
        return set(done)

    def open_tasks(self, item_id: int) -> list[OpenTask]:
        tasks = self._tasks.get(item_id)
        if tasks is None:
            tasks = campaigns.open_tasks(self._hot, item_id)
            if self._writing:
                self._tasks[item_id] = tasks
        return list(tasks)

    # -- writing items -----------------------------------------------------------------------

    def insert_item(self, *, ref: str, workflow_id: str, definition_id: int, parent_id: int | None, title: str,
                    content: str, state: str, fields: dict, created_at: str) -> ItemRecord:
        values = dict(ref=ref, workflow_id=workflow_id, definition_id=definition_id, parent_id=parent_id, title=title,
                      content=content, state=state, version=0, seq=0, head_hash="", fields=canonical_json(fields),
                      created_at=created_at, entered_at=created_at, last_at=created_at, deadline=None,
                      deadline_basis=None, entered_seq=0, next_due_at=None)
        try:
            with wrap_exceptions():
                item_id = self._connection.execute(sql.INSERT_ITEM, values).scalar_one()
        except UniqueViolation as exc:
            if exc.constraint != sql.ITEM_REF_KEY:
                raise
            raise InvalidInput(_("item {ref} already exists; choose another ref").format(ref=ref)) from exc
        values.update(id=item_id, fields=dict(fields))
        return ItemRecord(**values)

    def set_deputies(self, item_id: int, names: list[str], new: bool = False) -> None:
        if not new:
            self._connection.execute(sql.DELETE_DEPUTIES, {"b_id": item_id})
        names = list(dict.fromkeys(names))
        if names:
            self._connection.execute(sql.INSERT_DEPUTY, [
                {"item_id": item_id, "name": name, "position": index} for index, name in enumerate(names)])
        if self._writing:
            self._deputies[item_id] = names

    def sync_assignments(self, item_id: int, lead: str | None, co_units: list[str]) -> None:
        # items' ids and refs, which are written at once and never change, and assignment rows,
        # which this class neither holds back nor keeps: the plain connection
        conn = self._connection
        ref = conn.execute(sql.ITEM_REF, {"b_id": item_id}).scalar_one()
        conn.execute(sql.DELETE_ASSIGNMENTS, {"b_id": item_id})
        rows = assignments(lead, co_units)
        if rows:
            children = dict(conn.execute(sql.ITEM_IDS, {"b_refs": [f"{ref}/{unit}" for unit, _role in rows]}).all())
            conn.execute(sql.INSERT_ASSIGNMENT, [{"item_id": item_id, "unit_id": unit, "role": role,
                                                  "child_id": children.get(f"{ref}/{unit}")} for unit, role in rows])

    def update_item(self, item: ItemRecord, *, expected_version: int) -> bool:
        """The write is held back (see the class)."""
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

    def append_trace(self, item_id: int, row: dict) -> None:
        """Held back (see the class) until the next flush."""
        self._traces.append({"item_id": item_id, **row})
        if len(self._traces) >= _HELD_BACK:  # a long replay or import keeps a bounded memory
            self.flush()
            if len(self._items) > _KEPT:
                self._forget()

    def set_next_due(self, item: ItemRecord, next_due_at: str | None) -> None:
        """An update held back for the item carries it; what this class keeps of the item is
        kept in step."""
        held = self._updates.get(item.id)
        if held is not None:
            version, row, text, stored = held
            self._updates[item.id] = (version, row.evolve(next_due_at=next_due_at), text, stored)
        else:
            self._connection.execute(sql.SET_NEXT_DUE, {"b_id": item.id, "b_next_due_at": next_due_at})
        kept = self._items.get(item.ref)
        if kept is not None:
            self._items[item.ref] = kept.evolve(next_due_at=next_due_at)

    def repin(self, item_id: int, definition_id: int) -> None:
        self.conn.execute(sql.REPIN, {"b_id": item_id, "b_definition": definition_id})

    def mark_reminders(self, item_id: int, marks: list[dict]) -> None:
        """Held back (see the class); UNIQUE(item, entry, rule) makes a second time fail when
        they are written."""
        self._reminders += [{"item_id": item_id, **mark} for mark in marks]
        # what done_rules keeps stays true; a campaign task's rule (entry 0) counts in every entry
        keys = [key for key in self._done if key[0] == item_id] if any(mark["entered_seq"] == 0 for mark in marks) \
            else {(item_id, mark["entered_seq"]) for mark in marks}
        for key in keys:
            if key in self._done:
                self._done[key].update(mark["rule"] for mark in marks if mark["entered_seq"] in (key[1], 0))

    def notify_many(self, messages: list[dict]) -> int:
        """The outbox is not among what this class keeps, so nothing is forgotten."""
        rows = [row for message in messages for row in outbox.message_rows(
            cause=message["cause"], people=message["people"], item_id=message["item"].id, ref=message["item"].ref,
            subject=message["subject"], body=message["body"], at=message["at"])]
        return outbox.enqueue_rows(self._connection, rows)

    # -- campaigns ---------------------------------------------------------------------------

    def add_task(self, campaign_id: int, item_id: int, selected_at: str, due_at: str | None) -> bool:
        return campaigns.add_task(self.conn, campaign_id, item_id, selected_at, due_at)

    def record_outcome(self, item_id: int, campaign: str, outcome: str, at: str) -> int:
        return campaigns.record_outcome(self.conn, item_id, campaign, outcome, at)

    # -- the sweep ---------------------------------------------------------------------------

    def claim_due(self, as_of: str, after_due: str, after_ref: str, limit: int) -> list[tuple[str, str]]:
        """What the sweep asks next of each claimed item is kept (see the class): its row, the
        reminder rules done in its state entry and its open campaign tasks."""
        items, fields, done = sweep_queries.claim_due(self._connection, as_of, after_due, after_ref, limit)
        if items and self._writing:
            self._stored_fields.update(fields)
            self._items.update((item.ref, item) for item in items)
            self._done.update(done)
            self._tasks.update(campaigns.open_tasks_of(self._connection, [item.id for item in items]))
        return [(item.next_due_at, item.ref) for item in items]

    @contextmanager
    def savepoint(self) -> Iterator["Tx"]:
        """The database's part is a SAVEPOINT; what this class holds back is put back as it was
        before the block (and then written), and what it keeps is forgotten. A clash on
        UNIQUE(item_id, seq) raises Retry, as in `SqlStore.write`."""
        held = dict(self._updates), list(self._traces), list(self._reminders)
        # one name, as plain SQL: SQLAlchemy's begin_nested compiles a SAVEPOINT clause anew each
        # time, which cost more than the item's own statements; these never nest
        self._connection.exec_driver_sql("SAVEPOINT banli_part")
        try:
            with wrap_exceptions():
                yield self
        except Exception as exc:
            self._connection.exec_driver_sql("ROLLBACK TO SAVEPOINT banli_part")
            self._connection.exec_driver_sql("RELEASE SAVEPOINT banli_part")
            self._updates, self._traces, self._reminders = held
            self.flush()  # the earlier blocks' writes, if the block's own SQL wrote them and was undone
            self._forget()
            if is_clash(exc, sql.TRACE_SEQ):
                raise Retry() from exc
            raise
        self._connection.exec_driver_sql("RELEASE SAVEPOINT banli_part")

    # -- registering many --------------------------------------------------------------------

    def item_ids(self, refs: list[str]) -> dict[str, int]:
        return bulk.item_ids(self.conn, refs)

    def reserve_item_ids(self, count: int) -> Sequence[int]:
        return bulk.reserve_item_ids(self.conn, count)

    def insert_created(self, *, items: list[dict], deputies: list[dict], assignments: list[dict],
                       traces: list[dict]) -> None:
        bulk.insert_created(self.conn, items=items, deputies=deputies, assignments=assignments, traces=traces)
