"""The in-memory twin of the SQL store (`ports.Store`): the same answers, order and refusals,
with no database, so that the rules are tested on it and on every SQL backend alike."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Callable, Iterator

from banli.engine.calendar import YearSchedule
from banli.engine.catalogue import Catalogue
from banli.engine.records import Actor, DefinitionRow, ItemRecord, Person
from banli.errors import InvalidInput, Retry
from banli.i18n import _
from banli.store.memory_tx import Data, MemoryTx


class MemoryStore:
    """Items, their traces, the organisation, definitions and calendars, held in memory.

    A writing transaction works on a copy of the data and publishes it when its block returns
    (nothing of it stays if the block raises); one that finds the data published by another
    meanwhile raises Retry, as a commit that clashed does. What the SQL store writes outside
    a transaction (a definition, a campaign, an org load, a calendar year) is published at once."""

    sweep_batch = 200  # as SQLite's

    def __init__(self) -> None:
        self._data = Data()
        self.workflows = Catalogue(self)

    def close(self) -> None:
        pass

    @contextmanager
    def write(self) -> Iterator[MemoryTx]:
        base = self._data
        tx = MemoryTx(base.copy(), writing=True)
        yield tx
        if tx.data.violation is not None:
            raise tx.data.violation
        if self._data is not base:
            raise Retry()
        self._data = tx.data

    @contextmanager
    def read(self) -> Iterator[MemoryTx]:
        yield MemoryTx(self._data, writing=False)

    def _publish(self, change: Callable[[Data], object]):
        """Apply `change` to a copy of the data and publish it: one transaction, committed at once."""
        data = self._data.copy()
        result = change(data)
        self._data = data
        return result

    def actor(self, user: str) -> Actor | None:
        person = self._data.people.get(user)
        return None if person is None else Actor(id=person.id, name=person.name, roles=person.roles,
                                                 unit=person.unit, deputy=person.deputy)

    # -- definitions and calendars -------------------------------------------------------------

    def definition(self, definition_id: int) -> DefinitionRow | None:
        row = next((row for row in self._data.definitions if row["id"] == definition_id), None)
        return None if row is None else DefinitionRow(id=row["id"], workflow_id=row["workflow_id"],
                                                      version=row["version"], hash=row["hash"], source=row["source"])

    def definition_id(self, workflow_id: str, version: int | None = None) -> int | None:
        rows = [row for row in self._data.definitions if row["workflow_id"] == workflow_id
                and (version is None or row["version"] == version)]
        return max(rows, key=lambda row: row["version"])["id"] if rows else None

    def definition_id_by_hash(self, def_hash: str) -> int | None:
        return next((row["id"] for row in self._data.definitions if row["hash"] == def_hash), None)

    def latest_definition_ids(self) -> list[int]:
        latest: dict[str, dict] = {}
        for row in self._data.definitions:
            if row["workflow_id"] not in latest or row["version"] > latest[row["workflow_id"]]["version"]:
                latest[row["workflow_id"]] = row
        return sorted(row["id"] for row in latest.values())

    def save_definition(self, *, workflow_id: str, version: int | None, content_hash: str, title: str, source: str,
                        by: str, at: str) -> tuple[int, bool]:
        rows = [row for row in self._data.definitions if row["workflow_id"] == workflow_id]
        existing = next((row["version"] for row in rows if row["hash"] == content_hash), None)
        if existing is not None:
            return existing, False
        latest = max((row["version"] for row in rows), default=0)
        if version is None:
            version = latest + 1
        elif version <= latest:
            raise InvalidInput(_("{workflow} version {version} is already registered with other content; "
                               "raise 'version' to {next_version} or remove it to take the next one").format(
                workflow=workflow_id, version=version, next_version=latest + 1))
        self._publish(lambda data: data.definitions.append({
            "id": len(data.definitions) + 1, "workflow_id": workflow_id, "version": version, "hash": content_hash,
            "title": title, "source": source, "registered_at": at, "registered_by": by}))
        return version, True

    def calendar_years(self) -> dict[int, YearSchedule]:
        return {year: schedule for year, (schedule, _source) in self._data.calendar.items()}

    def save_year(self, schedule: YearSchedule, *, source: str, by: str, at: str) -> bool:
        """Store (or replace) a year's schedule, as `banli.store.calendar.save_year`; True if it replaced one."""
        replaced = schedule.year in self._data.calendar
        self._publish(lambda data: data.calendar.__setitem__(schedule.year, (schedule, source)))
        self.workflows.forget()
        return replaced

    def year_source(self, year: int) -> str | None:
        entry = self._data.calendar.get(year)
        return None if entry is None else entry[1]

    # -- the organisation ------------------------------------------------------------------------

    def load_org(self, org, by: str, at: str) -> dict:
        """Insert or update units, people and deputies of a `read_org` result, as
        `banli.store.operator.apply_org`; nothing is deleted."""
        def load(data: Data) -> dict:
            counts = {"units": len(org.units), "people": len(org.people), "deputies": 0}
            for unit in org.units:
                data.units[unit.id] = {"name": unit.name, "government": unit.government}
            for name in org.all_deputies():
                if name not in data.org_deputies:
                    data.org_deputies.append(name)
                    counts["deputies"] += 1
            for person in org.people:
                data.people[person.id] = Person(id=person.id, name=person.name, email=person.email,
                                                roles=frozenset(person.roles), unit=person.unit, deputy=person.deputy)
            return counts
        return self._publish(load)

    # -- items across transactions -----------------------------------------------------------------

    def due_refs(self, as_of: str, limit: int | None = None) -> list[str]:
        due = sorted((item.next_due_at, item.ref) for item in self._data.items.values()
                     if item.next_due_at is not None and item.next_due_at <= as_of)
        return [ref for _due, ref in (due[:limit] if limit else due)]

    def items_of_workflow(self, workflow_id: str) -> list[tuple[str, int, str]]:
        return sorted((item.ref, item.definition_id, item.state) for item in self._data.items.values()
                      if item.workflow_id == workflow_id)

    def refs_with_deadline_basis(self, basis: str) -> list[str]:
        return sorted(item.ref for item in self._data.items.values() if item.deadline_basis == basis)

    # -- campaigns ----------------------------------------------------------------------------------

    def campaign_candidates(self, workflow_ids: list[str], states: set[str],
                            entered_by: str) -> list[tuple[str, int, str, dict]]:
        return sorted((item.ref, item.definition_id, item.state, json.loads(json.dumps(item.fields)))
                      for item in self._data.items.values()
                      if item.workflow_id in workflow_ids and item.state in states and item.parent_id is None
                      and item.entered_at <= entered_by)

    def open_campaign_row(self, *, name: str, workflow_id: str, session: str, label: str, opened_at: str,
                          due_at: str | None, by: str) -> tuple[int, bool]:
        for row in self._data.campaigns:
            if (row["name"], row["workflow_id"], row["session"]) == (name, workflow_id, session):
                return row["id"], False
        new_id = len(self._data.campaigns) + 1
        self._publish(lambda data: data.campaigns.append({
            "id": new_id, "name": name, "workflow_id": workflow_id, "session": session, "label": label,
            "opened_at": opened_at, "due_at": due_at, "opened_by": by}))
        return new_id, True

    def campaign_status(self, name: str | None = None, session: str | None = None) -> list[dict]:
        data = self._data
        campaigns = sorted((row for row in data.campaigns if (not name or row["name"] == name)
                            and (not session or row["session"] == session)),
                           key=lambda row: (row["opened_at"], row["name"]))
        result = []
        for campaign in campaigns:
            tasks = sorted(((data.items[task["item_id"]], task) for task in data.tasks
                            if task["campaign_id"] == campaign["id"]), key=lambda pair: pair[0].ref)
            result.append({"campaign": dict(campaign), "tasks": [
                {"ref": item.ref, "lead_unit": item.fields.get("lead_unit"), "outcome": task["outcome"],
                 "due_at": task["due_at"], "outcome_at": task["outcome_at"]} for item, task in tasks]})
        return result

    # -- what tests read (the SQL store's readers are `banli.store.audit` and others) ------------------

    def log(self, ref: str | None = None) -> list[dict]:
        """Trace rows as `banli.store.audit.log` gives them: of one item, or of all by ref and seq."""
        data = self._data
        item_ids = [data.ids[ref]] if ref in data.ids else [] if ref is not None else \
            [item_id for _ref, item_id in sorted(data.ids.items())]
        return [{"ref": row["ref"], "seq": row["seq"], "event": row["event"], "from": row["from_state"],
                 "to": row["to_state"], "actor": row["actor"], "occurred_at": row["occurred_at"],
                 "recorded_at": row["recorded_at"], "data": json.loads(row["data"]), "prev_hash": row["prev_hash"],
                 "hash": row["hash"]} for item_id in item_ids for row in data.traces.get(item_id, ())]

    def items(self) -> list[ItemRecord]:
        """Every item, in ref order."""
        return sorted(self._data.items.values(), key=lambda item: item.ref)

    def trace_rows(self) -> list[dict]:
        """Every trace row as stored (with item_id and data as text), in the order written."""
        return sorted((row for rows in self._data.traces.values() for row in rows), key=lambda row: row["id"])

    @property
    def notifications(self) -> list[dict]:
        """The outbox, in the order written."""
        return list(self._data.notifications)

    def assignments(self, item_id: int) -> list[dict]:
        return [dict(row) for row in self._data.assignments.get(item_id, ())]
