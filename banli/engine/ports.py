"""What the engine needs from a store, declared as Protocols: the store implements them
(`banli.store.repo.SqlStore` over SQL, `banli.store.memory.MemoryStore` in memory); the
engine never imports the store.

A transaction (`Tx`) answers about items, their trace and the organisation, and takes the
writes of events; the store (`Store`) opens transactions and answers what spans them. Times
are UTC text (`banli.engine.times.utc_text`) wherever the store compares them. A store tells
the engine about a clash by raising `banli.errors.Retry` (run again on the new state) or
`banli.errors.RefTaken`; it raises nothing of its database driver's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ContextManager, Protocol, Sequence

from banli.engine.records import Actor, DefinitionRow, ItemRecord, OpenTask, OrgNames, Person

if TYPE_CHECKING:
    from banli.engine.calendar import YearSchedule
    from banli.engine.catalogue import Catalogue


class Organisation(Protocol):
    """Who and what the organisation file names, as events and imports check their data."""

    def missing_units(self, units: list[str]) -> list[str]:
        """Those of `units` (ids) that are not units of the organisation, in order."""

    def person_exists(self, person: str) -> bool: ...

    def unknown_deputies(self, names: list[str]) -> list[str]:
        """Those of `names` that are not deputies of the organisation, in order."""

    def deputy_names(self) -> list[str]: ...

    def unit_names(self, units: list[str]) -> list[str]:
        """The names of `units` (ids), in order; an unknown unit stays its id."""

    def people(self) -> list[Person]:
        """Everyone, in the order of their ids."""

    def org_names(self) -> OrgNames:
        """Every deputy, unit and person at once (an import checks thousands of rows)."""


class Tx(Organisation, Protocol):
    """One transaction. A writing one is all or nothing: it commits when its block returns."""

    # -- reading items -----------------------------------------------------------------------

    def item(self, ref: str) -> ItemRecord | None: ...

    def children(self, item_id: int) -> list[ItemRecord]:
        """The item's child items (a co-unit's part), in the order they were registered."""

    def trace(self, item_id: int) -> list[dict]:
        """The item's trace rows in seq order, each with the trace's columns (`data` as the
        JSON text that was hashed)."""

    def deputies(self, item_id: int) -> list[str]:
        """The item's deputies, in the order given."""

    def last_occurrence(self, item_id: int, event: str) -> str | None:
        """When `event` last happened on the item (UTC text), if ever."""

    def count_events(self, item_id: int, event: str) -> int:
        """How many rows of the item's trace are `event` (an expression's count())."""

    def extensions_since(self, item_id: int, event: str) -> list[str]:
        """The extensions (the `@extension` durations of trace rows) granted since the item's
        latest `event`; none if it never happened."""

    def done_rules(self, item_id: int, entered_seq: int) -> set[str]:
        """Reminder rules acted on in this entry of the item's state, and its campaign tasks'
        rules (marked with entry 0), which count in every entry."""

    def open_tasks(self, item_id: int) -> list[OpenTask]:
        """The item's campaign tasks that have a due date and no outcome yet."""

    # -- writing items -----------------------------------------------------------------------

    def insert_item(self, *, ref: str, workflow_id: str, definition_id: int, parent_id: int | None, title: str,
                    content: str, state: str, fields: dict, created_at: str) -> ItemRecord:
        """A new item at version 0 with no trace yet; InvalidInput if the ref is taken."""

    def set_deputies(self, item_id: int, names: list[str], new: bool = False) -> None:
        """The item's deputies, in order, once each; `new`: the item has none yet."""

    def sync_assignments(self, item_id: int, lead: str | None, co_units: list[str]) -> None:
        """Assignment rows matching the lead and co-units: the lead first, then each co-unit
        other than the lead, each with its child item REF/UNIT if there is one."""

    def update_item(self, item: ItemRecord, *, expected_version: int) -> bool:
        """Replace the item's row by `item` if it is still at `expected_version`; False if it is
        known to be at another. The store may hold the write back until the commit, where a
        version found changed raises Retry."""

    def append_trace(self, item_id: int, row: dict) -> None:
        """The item's next trace row (every column but the item's id); a row whose seq is
        taken raises Retry, now or at the commit."""

    def set_next_due(self, item: ItemRecord, next_due_at: str | None) -> None:
        """When the item's next reminder falls due; not an event, so no new version."""

    def repin(self, item_id: int, definition_id: int) -> None:
        """Pin the item to another version of its workflow."""

    def mark_reminders(self, item_id: int, marks: list[dict]) -> None:
        """Reminder rules acted on (each: entered_seq, rule, due_at, done_at, fired); a rule
        marked twice in one entry fails the transaction."""

    def notify_many(self, messages: list[dict]) -> int:
        """Notifications, each to several people (keys: cause, people, item, subject, body,
        at); one per cause and person ever; returns how many were new."""

    # -- campaigns -----------------------------------------------------------------------------

    def add_task(self, campaign_id: int, item_id: int, selected_at: str, due_at: str | None) -> bool:
        """Give the item a task in the campaign; False (and nothing written) if it has one."""

    def record_outcome(self, item_id: int, campaign: str, outcome: str, at: str) -> int:
        """Set the outcome of the item's tasks in campaigns called `campaign`; how many."""

    # -- the sweep -----------------------------------------------------------------------------

    def claim_due(self, as_of: str, after_due: str, after_ref: str, limit: int) -> list[tuple[str, str]]:
        """(next_due_at, ref) of up to `limit` items due by `as_of`, after (`after_due`,
        `after_ref`) in that order, each held by this transaction; items another transaction
        holds are passed over."""

    def savepoint(self) -> ContextManager["Tx"]:
        """A part of the transaction undone alone if its block raises (one item of a sweep)."""

    # -- registering many ----------------------------------------------------------------------

    def item_ids(self, refs: list[str]) -> dict[str, int]:
        """Ref → id of those of `refs` that an item has."""

    def reserve_item_ids(self, count: int) -> Sequence[int]:
        """The ids the next `count` items inserted by this transaction get, in order."""

    def insert_created(self, *, items: list[dict], deputies: list[dict], assignments: list[dict],
                       traces: list[dict]) -> None:
        """New items (with reserved ids) and their deputy, assignment and trace rows; RefTaken
        if one of their refs is taken (the transaction cannot go on)."""


class Store(Protocol):
    """A database of items, their traces and the organisation."""

    workflows: "Catalogue"  # the compiled workflow definitions, by id and by name

    def write(self) -> ContextManager[Tx]:
        """A writing transaction: committed if the block returns, rolled back if it raises;
        Retry if the commit clashed with another writer's."""

    def read(self) -> ContextManager[Tx]: ...

    @property
    def sweep_batch(self) -> int:
        """How many due items a sweep claims per transaction."""

    def actor(self, user: str) -> Actor | None:
        """The person `user` of the organisation file, if there is one."""

    # -- definitions and calendars -------------------------------------------------------------

    def definition(self, definition_id: int) -> DefinitionRow | None: ...

    def definition_id(self, workflow_id: str, version: int | None = None) -> int | None:
        """The id of the latest (or the given) version of a workflow, if registered."""

    def definition_id_by_hash(self, def_hash: str) -> int | None:
        """The id of the definition whose content hash is `def_hash` (a trace row's `def_hash`)."""

    def latest_definition_ids(self) -> list[int]:
        """The id of the newest version of every registered workflow."""

    def save_definition(self, *, workflow_id: str, version: int | None, content_hash: str, title: str, source: str,
                        by: str, at: str) -> tuple[int, bool]:
        """Store a version of a definition unless its content is stored already; returns
        (its version, whether it is new)."""

    def calendar_years(self) -> dict[int, "YearSchedule"]:
        """The operator's calendar years, by year."""

    # -- items across transactions -------------------------------------------------------------

    def due_refs(self, as_of: str, limit: int | None = None) -> list[str]:
        """Refs of items with a reminder due by `as_of`, earliest first."""

    def items_of_workflow(self, workflow_id: str) -> list[tuple[str, int, str]]:
        """(ref, definition id, state) of every item of a workflow, in ref order."""

    def refs_with_deadline_basis(self, basis: str) -> list[str]:
        """Refs of items whose deadline was counted on `basis`, in ref order."""

    # -- campaigns ------------------------------------------------------------------------------

    def campaign_candidates(self, workflow_ids: list[str], states: set[str],
                            entered_by: str) -> list[tuple[str, int, str, dict]]:
        """(ref, definition id, state, fields) of top-level items of these workflows that had
        entered one of these states by `entered_by`, in ref order."""

    def open_campaign_row(self, *, name: str, workflow_id: str, session: str, label: str, opened_at: str,
                          due_at: str | None, by: str) -> tuple[int, bool]:
        """The campaign, made on first opening (committed at once); returns (id, newly made)."""

    def campaign_status(self, name: str | None = None, session: str | None = None) -> list[dict]:
        """Per campaign, in opening order: {"campaign": its row as a dict, "tasks": [{"ref",
        "lead_unit", "outcome", "due_at", "outcome_at"}, …] in ref order}."""
