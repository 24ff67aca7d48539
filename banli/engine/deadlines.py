"""Counting deadlines again when the calendar they were counted on changes."""

from __future__ import annotations

from banli.engine.runtime import Runtime


def recount_fallback_deadlines(runtime: Runtime, *, reason: str) -> list[str]:
    """Every open item whose deadline was counted Monday–Friday for want of a schedule is
    counted again, one transaction and one trace row each; returns the refs that moved."""
    moved = []
    for ref in runtime.store.refs_with_deadline_basis("fallback"):
        with runtime.store.write() as tx:
            item = tx.item(ref)
            if runtime.recompute_deadline(tx, item, reason, runtime.now()):
                moved.append(ref)
    return moved
