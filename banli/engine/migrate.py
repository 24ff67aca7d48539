"""Moving running items onto another version of their workflow (`banli workflow migrate`).

A state that keeps its name maps to itself; every other occupied state needs an explicit
`OLD=NEW`. A plan that would strand an item is refused whole, naming the items. The move
itself is one `migrated` trace row per item, all in one transaction, and the item's
deadline is counted again under the new version's rules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from banli.engine.records import Actor
from banli.engine.runtime import Runtime
from banli.errors import InvalidInput
from banli.i18n import _


@dataclass(frozen=True)
class Move:
    ref: str
    from_version: int
    to_version: int
    from_state: str
    to_state: str | None  # None: no mapping, the item would be stranded


def plan(runtime: Runtime, workflow_id: str, to_version: int, mapping: dict[str, str]) -> list[Move]:
    """Every running item of `workflow_id` on another version, with the state it would move to."""
    store = runtime.store
    target = store.workflows.get(workflow_id, to_version)
    unknown = sorted(new for new in mapping.values() if new not in target.definition.states)
    if unknown:
        raise InvalidInput(_("--map names state(s) {states} that version {version} of {workflow} does not have; "
                             "its states: {known}").format(states=", ".join(unknown), version=to_version,
                                                           workflow=workflow_id,
                                                           known=", ".join(target.definition.states)))
    moves = []
    for ref, definition_id, state in store.items_of_workflow(workflow_id):
        if definition_id == target.definition_id:
            continue
        current = store.workflows.by_id(definition_id)
        if state in current.final_states:
            continue  # finished items stay on the version they finished on
        new_state = mapping.get(state, state if state in target.definition.states else None)
        moves.append(Move(ref, current.version, to_version, state, new_state))
    return moves


def migrate(runtime: Runtime, workflow_id: str, to_version: int, mapping: dict[str, str], actor: Actor,
            dry_run: bool = False) -> dict:
    """Apply (or, with dry_run, only show) the plan; refuses if any item would be stranded."""
    moves = plan(runtime, workflow_id, to_version, mapping)
    stranded = [move for move in moves if move.to_state is None]
    report = {"workflow": workflow_id, "to_version": to_version, "dry_run": dry_run,
              "moves": [asdict(move) for move in moves], "stranded": [move.ref for move in stranded]}
    if stranded:
        states = sorted({move.from_state for move in stranded})
        refs = ", ".join(m.ref for m in stranded[:20]) + (" …" if len(stranded) > 20 else "")
        raise InvalidInput(_("version {version} of {workflow} has no state {states}: add --map {mappings}; "
                             "{count} item(s) would be stranded: {refs}").format(
            version=to_version, workflow=workflow_id, states=", ".join(states),
            mappings=" ".join(f"{state}=NEW" for state in states), count=len(stranded), refs=refs), report=report)
    if dry_run or not moves:
        return report
    target = runtime.store.workflows.get(workflow_id, to_version)
    now = runtime.now()
    with runtime.store.write() as tx:
        for move in moves:
            runtime.move_to_version(tx, tx.item(move.ref), target, move.to_state, actor, now,
                                    {"from_version": move.from_version, "to_version": to_version})
    return report
