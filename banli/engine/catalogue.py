"""The compiled workflows of a store: each registered definition compiled once, on first use,
from the row the store keeps, with the calendar years the store holds."""

from __future__ import annotations

from banli.engine.compile import CompiledWorkflow
from banli.engine.load import load_text
from banli.engine.parse import parse
from banli.errors import NotFound
from banli.i18n import _


class Catalogue:
    """Compiled workflows by definition id, asked of `source` (a `ports.Store`) once each."""

    def __init__(self, source) -> None:
        self._source = source
        self._by_id: dict[int, CompiledWorkflow] = {}
        self._by_hash: dict[str, int] = {}
        self._schedules: dict | None = None  # the operator's calendar years, read once

    def by_id(self, definition_id: int) -> CompiledWorkflow:
        compiled = self._by_id.get(definition_id)
        if compiled is None:
            row = self._source.definition(definition_id)
            if row is None:
                raise NotFound(_("no workflow definition #{id}").format(id=definition_id))
            if self._schedules is None:
                self._schedules = self._source.calendar_years()
            definition = parse(load_text(row.source, f"{row.workflow_id} v{row.version}"))
            compiled = self._by_id[row.id] = CompiledWorkflow(definition, row.hash, row.id, row.version,
                                                              self._schedules)
        return compiled

    def get(self, workflow_id: str, version: int | None = None) -> CompiledWorkflow:
        """The latest (or the given) version of a registered workflow."""
        definition_id = self._source.definition_id(workflow_id, version)
        if definition_id is None:
            if version:
                raise NotFound(_("no workflow {workflow} version {version} registered; see 'banli workflow list'")
                               .format(workflow=workflow_id, version=version))
            raise NotFound(_("no workflow {workflow} registered; see 'banli workflow list'").format(workflow=workflow_id))
        return self.by_id(definition_id)

    def by_hash(self, def_hash: str) -> CompiledWorkflow:
        """The version whose content hash is `def_hash`: the one that recorded a trace row."""
        definition_id = self._by_hash.get(def_hash)
        if definition_id is None:
            definition_id = self._source.definition_id_by_hash(def_hash)
            if definition_id is None:
                raise NotFound(_("no workflow definition with hash {hash}…").format(hash=def_hash[:12]))
            self._by_hash[def_hash] = definition_id
        return self.by_id(definition_id)

    def latest(self) -> list[CompiledWorkflow]:
        """The newest version of every registered workflow."""
        return [self.by_id(definition_id) for definition_id in self._source.latest_definition_ids()]

    def forget(self) -> None:
        """Compile afresh on next use (after a calendar year was added, say)."""
        self._by_id.clear()
        self._by_hash.clear()
        self._schedules = None
