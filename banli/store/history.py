"""The complete history as JSON lines: a database moved between SQLite and PostgreSQL, or
restored, record for record.

Format 1, one JSON object a line (keys sorted, UTF-8), in this order:

    {"type": "banli-history", "format": 1}
    {"type": "definition", ...}   every registered version, with its exact source text
    {"type": "calendar", ...}     the operator's calendar years
    {"type": "unit" | "deputy" | "person", ...}
    {"type": "journal", ...}      operator actions, with their hash chain
    {"type": "item", ...}         with deputies and assignments; `parent` and `child` by ref
    {"type": "trace", ...}        every trace row; `data` is the exact text that was hashed
    {"type": "reminder" | "notification" | "delivery", ...}
    {"type": "end", "counts": {...}}   a file without it was cut short

Rows refer to each other by natural keys (ref, workflow and version, notification key),
never by database ids, and come in a fixed order: the same history always makes the same
file, whatever database it was read from.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Iterable, Iterator

from sqlalchemy import func, insert, select, update

from banli.engine.chain import canonical_json
from banli.errors import InvalidInput
from banli.store.schema import (
    assignment_t, calendar_t, definition_t, delivery_t, deputy_t, item_deputy_t, item_t, journal_t, notification_t,
    person_t, reminder_t, trace_t, unit_t,
)

if TYPE_CHECKING:
    from banli.store.repo import SqlStore

FORMAT = 1
BATCH = 2000

_ITEM_KEYS = ("ref", "workflow_id", "title", "content", "state", "version", "seq", "head_hash", "created_at",
              "entered_at", "last_at", "deadline", "deadline_basis", "entered_seq", "next_due_at")
_TRACE_KEYS = ("ref", "seq", "event", "from_state", "to_state", "actor", "occurred_at", "recorded_at", "data",
               "def_hash", "prev_hash", "hash")


def export_lines(store: SqlStore) -> Iterator[str]:
    """Every line of the history file, in order."""
    counts: dict[str, int] = {}

    def line(kind: str, record: dict) -> str:
        counts[kind] = counts.get(kind, 0) + 1
        return canonical_json({"type": kind, **record})

    yield canonical_json({"type": "banli-history", "format": FORMAT})
    with store.engine.connect() as connection:
        definitions = {}
        for row in connection.execute(select(definition_t).order_by(definition_t.c.workflow_id, definition_t.c.version)):
            definitions[row.id] = (row.workflow_id, row.version)
            yield line("definition", {"workflow": row.workflow_id, "version": row.version, "hash": row.hash,
                                      "title": row.title, "source": row.source, "registered_at": row.registered_at,
                                      "registered_by": row.registered_by})
        for row in connection.execute(select(calendar_t).order_by(calendar_t.c.year)):
            yield line("calendar", {key: getattr(row, key) for key in
                                    ("year", "holidays", "workdays", "source", "added_at", "added_by")})
        for row in connection.execute(select(unit_t).order_by(unit_t.c.id)):
            yield line("unit", {"id": row.id, "name": row.name, "government": bool(row.government)})
        for (name,) in connection.execute(select(deputy_t.c.name).order_by(deputy_t.c.name)):
            yield line("deputy", {"name": name})
        for row in connection.execute(select(person_t).order_by(person_t.c.id)):
            yield line("person", {key: getattr(row, key) for key in ("id", "name", "roles", "unit_id", "deputy", "email")})
        for row in connection.execute(select(journal_t).order_by(journal_t.c.seq)):
            yield line("journal", {key: getattr(row, key) for key in
                                   ("seq", "action", "actor", "recorded_at", "data", "prev_hash", "hash")})
        refs = dict(connection.execute(select(item_t.c.id, item_t.c.ref)).all())
        deputies: dict[int, list[str]] = {}
        for item_id, name in connection.execute(
                select(item_deputy_t.c.item_id, item_deputy_t.c.name).order_by(item_deputy_t.c.item_id,
                                                                             item_deputy_t.c.position)):
            deputies.setdefault(item_id, []).append(name)
        assignments: dict[int, list[dict]] = {}
        for row in connection.execute(select(assignment_t).order_by(assignment_t.c.item_id, assignment_t.c.unit_id)):
            assignments.setdefault(row.item_id, []).append(
                {"unit": row.unit_id, "role": row.role, "child": refs.get(row.child_id)})
        for row in connection.execute(select(item_t).order_by(item_t.c.ref)):
            record = {key: getattr(row, key) for key in _ITEM_KEYS}
            workflow, version = definitions[row.definition_id]
            record.update(definition_version=version, fields=json.loads(row.fields), parent=refs.get(row.parent_id),
                          deputies=deputies.get(row.id, []), assignments=assignments.get(row.id, []))
            yield line("item", record)
        for row in connection.execution_options(yield_per=BATCH).execute(
                select(*[trace_t.c[key] for key in _TRACE_KEYS]).order_by(trace_t.c.ref, trace_t.c.seq)):
            yield line("trace", dict(row._mapping))
        for row in connection.execute(select(reminder_t).order_by(reminder_t.c.item_id, reminder_t.c.entered_seq,
                                                                  reminder_t.c.rule)):
            yield line("reminder", {"ref": refs[row.item_id], "entered_seq": row.entered_seq, "rule": row.rule,
                                    "due_at": row.due_at, "done_at": row.done_at, "fired": row.fired})
        keys = {}
        for row in connection.execute(select(notification_t).order_by(notification_t.c.key)):
            keys[row.id] = row.key
            yield line("notification", {"key": row.key, "ref": row.ref, "recipient": row.recipient,
                                        "recipient_name": row.recipient_name, "email": row.email,
                                        "subject": row.subject, "body": row.body, "created_at": row.created_at})
        deliveries = connection.execute(select(delivery_t)).all()
        for row in sorted(deliveries, key=lambda r: (keys[r.notification_id], r.channel)):
            yield line("delivery", {"notification": keys[row.notification_id], "channel": row.channel,
                                    "status": row.status, "attempts": row.attempts,
                                    "next_attempt_at": row.next_attempt_at, "last_error": row.last_error,
                                    "sent_at": row.sent_at})
    yield canonical_json({"type": "end", "counts": dict(sorted(counts.items()))})


def import_lines(store: SqlStore, lines: Iterable[str], source: str = "<history>", progress=None) -> dict:
    """Load a history file into an empty database, in one transaction: all of it or nothing."""
    with store.engine.connect() as connection:
        with connection.execution_options(banli_write=True).begin():
            _require_empty(connection)
            loader = _Loader(connection, source)
            for number, text in enumerate(lines, 1):
                if text.strip():
                    loader.take(number, text)
                    if progress and number % BATCH == 0:
                        progress(number)
            counts = loader.finish()
    store.workflows.forget()
    store.forget_actors()
    return counts


def _require_empty(connection) -> None:
    for table in (definition_t, item_t, journal_t, unit_t):
        if connection.execute(select(func.count()).select_from(table)).scalar():
            raise InvalidInput("import-history needs an empty database: it brings its own definitions, organisation "
                               "and journal. Give a new database with --db (do not run 'banli init' on it first)")


class _Loader:
    """Takes the lines in order, batching inserts, resolving natural keys to new ids."""

    def __init__(self, connection, source: str) -> None:
        self.conn, self.source = connection, source
        self.header = False
        self.ended = None
        self.counts: dict[str, int] = {}
        self.definitions: dict[tuple[str, int], int] = {}
        self.items: dict[str, int] = {}
        self.parents: list[tuple[str, str]] = []
        self.children: list[tuple[str, str, str]] = []
        self.pending: dict[str, list[dict]] = {}
        self.notifications: dict[str, int] = {}

    def fail(self, number: int, message: str) -> None:
        raise InvalidInput(f"{self.source}:{number}: {message}; nothing was imported")

    def take(self, number: int, text: str) -> None:
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            self.fail(number, f"not valid JSON ({exc.msg})")
        kind = record.pop("type", None) if isinstance(record, dict) else None
        if not self.header:
            if kind != "banli-history" or record.get("format") != FORMAT:
                self.fail(number, f"not a banli history file of format {FORMAT} (it must start with its header line)")
            self.header = True
            return
        if self.ended is not None:
            self.fail(number, "lines after the end line")
        if kind == "end":
            self.flush_all()
            self.ended = record.get("counts", {})
            return
        handler = getattr(self, f"on_{kind}", None) if isinstance(kind, str) else None
        if handler is None:
            self.fail(number, f"unknown record type {kind!r}")
        try:
            handler(record)
        except (KeyError, TypeError) as exc:
            self.fail(number, f"a {kind} record lacks {exc}")
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def add(self, table_name: str, row: dict) -> None:
        batch = self.pending.setdefault(table_name, [])
        batch.append(row)
        if len(batch) >= BATCH:
            self.flush(table_name)

    def flush(self, table_name: str) -> None:
        rows = self.pending.pop(table_name, [])
        if rows:
            self.conn.execute(insert(_TABLES[table_name]), rows)

    def flush_all(self) -> None:
        for name in list(self.pending):
            self.flush(name)

    # -- one method per record type, in file order ------------------------------------------

    def on_definition(self, r: dict) -> None:
        new_id = self.conn.execute(insert(definition_t).values(
            workflow_id=r["workflow"], version=r["version"], hash=r["hash"], title=r["title"], source=r["source"],
            registered_at=r["registered_at"], registered_by=r["registered_by"]).returning(definition_t.c.id)).scalar_one()
        self.definitions[(r["workflow"], r["version"])] = new_id

    def on_calendar(self, r: dict) -> None:
        self.add("calendar", {key: r[key] for key in ("year", "holidays", "workdays", "source", "added_at", "added_by")})

    def on_unit(self, r: dict) -> None:
        self.add("unit", {"id": r["id"], "name": r["name"], "government": r["government"]})

    def on_deputy(self, r: dict) -> None:
        self.add("deputy", {"name": r["name"]})

    def on_person(self, r: dict) -> None:
        self.flush("unit")
        self.add("person", {key: r[key] for key in ("id", "name", "roles", "unit_id", "deputy", "email")})

    def on_journal(self, r: dict) -> None:
        self.add("journal", {key: r[key] for key in ("seq", "action", "actor", "recorded_at", "data", "prev_hash", "hash")})

    def on_item(self, r: dict) -> None:
        if not self.items:  # the organisation and the journal go in before the first item
            self.flush_all()
        definition = self.definitions[(r["workflow_id"], r["definition_version"])]
        values = {key: r[key] for key in _ITEM_KEYS}
        values.update(definition_id=definition, fields=canonical_json(r["fields"]), parent_id=None)
        item_id = self.conn.execute(insert(item_t).values(**values).returning(item_t.c.id)).scalar_one()
        self.items[r["ref"]] = item_id
        if r.get("parent"):
            self.parents.append((r["ref"], r["parent"]))
        for position, name in enumerate(r["deputies"]):
            self.add("item_deputy", {"item_id": item_id, "name": name, "position": position})
        for assignment in r["assignments"]:
            self.children.append((r["ref"], assignment["unit"], assignment.get("child")))
            self.add("assignment", {"item_id": item_id, "unit_id": assignment["unit"], "role": assignment["role"],
                                    "child_id": None})

    def on_trace(self, r: dict) -> None:
        self.add("trace", {"item_id": self.items[r["ref"]], **{key: r[key] for key in _TRACE_KEYS}})

    def on_reminder(self, r: dict) -> None:
        self.add("reminder", {"item_id": self.items[r["ref"]], "entered_seq": r["entered_seq"], "rule": r["rule"],
                              "due_at": r["due_at"], "done_at": r["done_at"], "fired": r["fired"]})

    def on_notification(self, r: dict) -> None:
        new_id = self.conn.execute(insert(notification_t).values(
            key=r["key"], item_id=self.items.get(r["ref"]) if r["ref"] else None, ref=r["ref"],
            recipient=r["recipient"], recipient_name=r["recipient_name"], email=r["email"], subject=r["subject"],
            body=r["body"], created_at=r["created_at"]).returning(notification_t.c.id)).scalar_one()
        self.notifications[r["key"]] = new_id

    def on_delivery(self, r: dict) -> None:
        self.add("delivery", {"notification_id": self.notifications[r["notification"]], "channel": r["channel"],
                              "status": r["status"], "attempts": r["attempts"], "next_attempt_at": r["next_attempt_at"],
                              "last_error": r["last_error"], "sent_at": r["sent_at"], "claimed_until": None})

    def finish(self) -> dict:
        if self.ended is None:
            raise InvalidInput(f"{self.source}: the file ends without its end line (cut short?); nothing was imported")
        if self.ended != dict(sorted(self.counts.items())):
            raise InvalidInput(f"{self.source}: the end line counts {self.ended} but the file holds "
                               f"{dict(sorted(self.counts.items()))}; nothing was imported")
        for ref, parent in self.parents:
            self.conn.execute(update(item_t).where(item_t.c.id == self.items[ref]).values(parent_id=self.items[parent]))
        for ref, unit, child in self.children:
            if child:
                self.conn.execute(update(assignment_t).where(
                    (assignment_t.c.item_id == self.items[ref]) & (assignment_t.c.unit_id == unit)
                ).values(child_id=self.items[child]))
        return dict(sorted(self.counts.items()))


_TABLES = {"calendar": calendar_t, "unit": unit_t, "deputy": deputy_t, "person": person_t, "journal": journal_t,
           "item_deputy": item_deputy_t, "assignment": assignment_t, "trace": trace_t, "reminder": reminder_t,
           "delivery": delivery_t}
