"""The in-memory store's data and its transactions (`ports.Tx`): a transaction works on its own
copy of the data, which the store publishes when the transaction's block returns."""

from __future__ import annotations

import copy
import json
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Iterator, Sequence

from banli.engine.chain import canonical_json
from banli.engine.records import ItemRecord, OpenTask, OrgNames, Person
from banli.engine.times import utc_text
from banli.errors import InvalidInput, RefTaken, Retry, UniqueViolation
from banli.i18n import _
from banli.store.outbox import notification_key

# the item columns an event's update writes (SqlStore's too): never its ref, title, content,
# workflow, definition (`repin`), parent or creation time
_UPDATED = ("state", "fields", "seq", "head_hash", "version", "entered_at", "last_at", "deadline", "deadline_basis",
            "entered_seq", "next_due_at")


@dataclass
class Data:
    """Everything the store holds. Rows are never changed in place (a changed item or task is
    a new record), so a copy of the containers is a snapshot."""

    items: dict[int, ItemRecord] = field(default_factory=dict)  # by id
    ids: dict[str, int] = field(default_factory=dict)  # ref → id
    next_id: int = 1
    deputies: dict[int, tuple[str, ...]] = field(default_factory=dict)  # item id → its deputies, in order
    assignments: dict[int, tuple[dict, ...]] = field(default_factory=dict)  # item id → lead first, then co-units
    traces: dict[int, tuple[dict, ...]] = field(default_factory=dict)  # item id → its rows in seq order
    trace_rows: int = 0
    reminders: dict[tuple[int, int, str], dict] = field(default_factory=dict)  # (item, entry, rule) → mark
    notifications: list[dict] = field(default_factory=list)
    notification_keys: set[str] = field(default_factory=set)
    campaigns: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    definitions: list[dict] = field(default_factory=list)  # DefinitionRow's fields, title, registered_at/by
    calendar: dict[int, tuple] = field(default_factory=dict)  # year → (YearSchedule, source)
    units: dict[str, dict] = field(default_factory=dict)  # id → {name, government}
    people: dict[str, Person] = field(default_factory=dict)
    org_deputies: list[str] = field(default_factory=list)
    violation: UniqueViolation | None = None  # a rule marked twice: the commit fails, as SQL's does

    def copy(self) -> "Data":
        containers = {f.name: getattr(self, f.name) for f in fields(self)}
        return replace(self, **{name: copy.copy(value) for name, value in containers.items()
                                if isinstance(value, (dict, list, set))})


def _fresh(item: ItemRecord) -> ItemRecord:
    """The item with fields of its own, as a database read gives them (JSON's types)."""
    return item.evolve(fields=json.loads(canonical_json(item.fields)))


class MemoryTx:
    """One transaction over `data`, the store's published data (reading) or a copy (writing)."""

    def __init__(self, data: Data, writing: bool) -> None:
        self.data = data
        self._writing = writing

    def _write(self) -> Data:
        if not self._writing:
            raise RuntimeError("a reading transaction cannot write")
        return self.data

    # -- the organisation ------------------------------------------------------------------

    def missing_units(self, units: list[str]) -> list[str]:
        return [unit for unit in units if unit not in self.data.units]

    def person_exists(self, person: str) -> bool:
        return person in self.data.people

    def unknown_deputies(self, names: list[str]) -> list[str]:
        known = set(self.data.org_deputies)
        return [name for name in names if name not in known]

    def deputy_names(self) -> list[str]:
        return sorted(self.data.org_deputies)

    def unit_names(self, units: list[str]) -> list[str]:
        return [self.data.units[unit]["name"] if unit in self.data.units else unit for unit in units]

    def people(self) -> list[Person]:
        return [self.data.people[person] for person in sorted(self.data.people)]

    def org_names(self) -> OrgNames:
        return OrgNames(deputies=tuple(sorted(self.data.org_deputies)),
                        units={unit: row["name"] for unit, row in self.data.units.items()},
                        people={person: row.name for person, row in self.data.people.items()})

    # -- reading items -----------------------------------------------------------------------

    def item(self, ref: str) -> ItemRecord | None:
        item_id = self.data.ids.get(ref)
        return None if item_id is None else _fresh(self.data.items[item_id])

    def children(self, item_id: int) -> list[ItemRecord]:
        return [_fresh(item) for _id, item in sorted(self.data.items.items()) if item.parent_id == item_id]

    def trace(self, item_id: int) -> list[dict]:
        return [dict(row) for row in self.data.traces.get(item_id, ())]

    def deputies(self, item_id: int) -> list[str]:
        return list(self.data.deputies.get(item_id, ()))

    def last_occurrence(self, item_id: int, event: str) -> str | None:
        for row in reversed(self.data.traces.get(item_id, ())):
            if row["event"] == event:
                return utc_text(datetime.fromisoformat(row["occurred_at"]))
        return None

    def count_events(self, item_id: int, event: str) -> int:
        return sum(1 for row in self.data.traces.get(item_id, ()) if row["event"] == event)

    def extensions_since(self, item_id: int, event: str) -> list[str]:
        rows = self.data.traces.get(item_id, ())
        since = next((index for index in range(len(rows) - 1, -1, -1) if rows[index]["event"] == event), None)
        if since is None:
            return []
        texts = [row["data"] for row in rows[since + 1:]]
        return [json.loads(text)["@extension"] for text in texts if '"@extension"' in text]

    def done_rules(self, item_id: int, entered_seq: int) -> set[str]:
        return {rule for (item, entry, rule) in self.data.reminders if item == item_id and entry in (entered_seq, 0)}

    def open_tasks(self, item_id: int) -> list[OpenTask]:
        names = {campaign["id"]: campaign["name"] for campaign in self.data.campaigns}
        return [OpenTask(task["campaign_id"], names[task["campaign_id"]], task["due_at"]) for task in self.data.tasks
                if task["item_id"] == item_id and task["outcome"] is None and task["due_at"] is not None]

    # -- writing items -----------------------------------------------------------------------

    def insert_item(self, *, ref: str, workflow_id: str, definition_id: int, parent_id: int | None, title: str,
                    content: str, state: str, fields: dict, created_at: str) -> ItemRecord:
        data = self._write()
        if ref in data.ids:
            raise InvalidInput(_("item {ref} already exists; choose another ref").format(ref=ref))
        item = ItemRecord(id=data.next_id, ref=ref, workflow_id=workflow_id, definition_id=definition_id,
                          parent_id=parent_id, title=title, content=content, state=state, version=0, seq=0,
                          head_hash="", fields=dict(fields), created_at=created_at, entered_at=created_at,
                          last_at=created_at)
        self._put(_fresh(item))
        return item

    def _put(self, item: ItemRecord) -> None:
        data = self.data
        data.items[item.id], data.ids[item.ref] = item, item.id
        data.next_id = max(data.next_id, item.id + 1)

    def set_deputies(self, item_id: int, names: list[str], new: bool = False) -> None:
        self._write().deputies[item_id] = tuple(dict.fromkeys(names))

    def sync_assignments(self, item_id: int, lead: str | None, co_units: list[str]) -> None:
        data = self._write()
        ref = data.items[item_id].ref
        units = ([(lead, "lead")] if lead else []) + [(unit, "co") for unit in co_units if unit != lead]
        if len({unit for unit, _role in units}) < len(units):
            raise UniqueViolation(f"item {ref} is assigned to a unit twice", constraint="assignment_pkey")
        data.assignments[item_id] = tuple({"unit_id": unit, "role": role, "child_id": data.ids.get(f"{ref}/{unit}")}
                                          for unit, role in units)

    def update_item(self, item: ItemRecord, *, expected_version: int) -> bool:
        data = self._write()
        current = data.items[item.id]
        if current.version != expected_version:
            return False
        data.items[item.id] = _fresh(current.evolve(**{name: getattr(item, name) for name in _UPDATED}))
        return True

    def append_trace(self, item_id: int, row: dict) -> None:
        data = self._write()
        rows = data.traces.get(item_id, ())
        if any(old["seq"] == row["seq"] for old in rows):
            raise Retry()  # another writer appended this seq first
        data.trace_rows += 1
        data.traces[item_id] = rows + ({"id": data.trace_rows, "item_id": item_id, **row},)

    def set_next_due(self, item: ItemRecord, next_due_at: str | None) -> None:
        data = self._write()
        data.items[item.id] = data.items[item.id].evolve(next_due_at=next_due_at)

    def repin(self, item_id: int, definition_id: int) -> None:
        data = self._write()
        data.items[item_id] = data.items[item_id].evolve(definition_id=definition_id)

    def mark_reminders(self, item_id: int, marks: list[dict]) -> None:
        data = self._write()
        for mark in marks:
            key = (item_id, mark["entered_seq"], mark["rule"])
            if key in data.reminders:  # SQL holds the marks back: the clash comes at the commit
                data.violation = data.violation or UniqueViolation(
                    f"reminder {key} is marked already", constraint="reminder_item_id_entered_seq_rule_key")
                continue
            data.reminders[key] = {"item_id": item_id, **mark}

    def notify_many(self, messages: list[dict]) -> int:
        data = self._write()
        new = 0
        for message in messages:
            for person in message["people"]:
                key = notification_key(message["cause"], person.id)
                if key in data.notification_keys:
                    continue
                data.notification_keys.add(key)
                data.notifications.append({
                    "id": len(data.notifications) + 1, "key": key, "item_id": message["item"].id,
                    "ref": message["item"].ref, "recipient": person.id, "recipient_name": person.name,
                    "email": person.email, "subject": message["subject"], "body": message["body"],
                    "created_at": message["at"]})
                new += 1
        return new

    # -- campaigns -----------------------------------------------------------------------------

    def add_task(self, campaign_id: int, item_id: int, selected_at: str, due_at: str | None) -> bool:
        data = self._write()
        if any(task["campaign_id"] == campaign_id and task["item_id"] == item_id for task in data.tasks):
            return False
        data.tasks.append({"id": len(data.tasks) + 1, "campaign_id": campaign_id, "item_id": item_id,
                           "selected_at": selected_at, "due_at": due_at, "outcome": None, "outcome_at": None})
        return True

    def record_outcome(self, item_id: int, campaign: str, outcome: str, at: str) -> int:
        data = self._write()
        named = {row["id"] for row in data.campaigns if row["name"] == campaign}
        hits = [index for index, task in enumerate(data.tasks)
                if task["item_id"] == item_id and task["campaign_id"] in named]
        for index in hits:
            data.tasks[index] = {**data.tasks[index], "outcome": outcome, "outcome_at": at}
        return len(hits)

    # -- the sweep -----------------------------------------------------------------------------

    def claim_due(self, as_of: str, after_due: str, after_ref: str, limit: int) -> list[tuple[str, str]]:
        due = sorted((item.next_due_at, item.ref) for item in self.data.items.values()
                     if item.next_due_at is not None and item.next_due_at <= as_of)
        return [key for key in due if key > (after_due, after_ref)][:limit]

    @contextmanager
    def savepoint(self) -> Iterator["MemoryTx"]:
        before = self._write().copy()
        try:
            yield self
        except BaseException:
            self.data = before
            raise

    # -- registering many ----------------------------------------------------------------------

    def item_ids(self, refs: list[str]) -> dict[str, int]:
        return {ref: self.data.ids[ref] for ref in refs if ref in self.data.ids}

    def reserve_item_ids(self, count: int) -> Sequence[int]:
        return range(self.data.next_id, self.data.next_id + count)

    def insert_created(self, *, items: list[dict], deputies: list[dict], assignments: list[dict],
                       traces: list[dict]) -> None:
        data = self._write()
        refs = [row["ref"] for row in items]
        if len(set(refs)) < len(refs) or any(ref in data.ids for ref in refs):
            raise RefTaken(_("an item with a ref being imported was registered meanwhile"))
        for row in items:
            if row["id"] in data.items:
                raise UniqueViolation(f"item id {row['id']} is taken", constraint="item_pkey")
            self._put(ItemRecord(**{**row, "fields": json.loads(row["fields"])}))
        for row in sorted(deputies, key=lambda row: row["position"]):
            data.deputies[row["item_id"]] = data.deputies.get(row["item_id"], ()) + (row["name"],)
        for row in assignments:
            data.assignments[row["item_id"]] = data.assignments.get(row["item_id"], ()) + (
                {"unit_id": row["unit_id"], "role": row["role"], "child_id": row["child_id"]},)
        for row in traces:
            self.append_trace(row["item_id"], {key: value for key, value in row.items() if key != "item_id"})
