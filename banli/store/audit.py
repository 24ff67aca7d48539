"""Reading and verifying the trace.

`verify` walks every trace row once in insertion order, keeping one chain head per item:
each row must follow its item's previous row (seq + 1, prev_hash = previous hash), and its
stored hash must be the SHA-256 of its stored text. The end of each chain must match the
head recorded on the item row, so a deleted last row is caught too. Memory grows with the
number of items, not rows.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from banli.engine.chain import GENESIS, SEPARATOR
from banli.store.repo import SqlStore, item_t, trace_t
from banli.store.tables import Journal

journal_t = Journal.__table__
_COLUMNS = ("ref", "seq", "event", "from_state", "to_state", "actor", "occurred_at", "recorded_at", "data",
            "def_hash", "prev_hash")


def log(store: SqlStore, ref: str | None = None) -> list[dict]:
    query = select(trace_t).order_by(trace_t.c.ref, trace_t.c.seq) if ref is None else \
        select(trace_t).where(trace_t.c.ref == ref).order_by(trace_t.c.seq)
    with store.engine.connect() as connection:
        return [{"ref": row.ref, "seq": row.seq, "event": row.event, "from": row.from_state, "to": row.to_state,
                 "actor": row.actor, "occurred_at": row.occurred_at, "recorded_at": row.recorded_at,
                 "data": json.loads(row.data), "prev_hash": row.prev_hash, "hash": row.hash}
                for row in connection.execute(query)]


def verify(store: SqlStore, progress=None) -> dict:
    """Check every chain; returns {"ok", "items", "rows", "failures": [{"ref", "seq", "reason"}]}."""
    failures: list[dict] = []
    heads: dict[int, tuple[int, str, str]] = {}  # item_id -> (seq, hash, ref)
    rows = 0
    sha256, sep = hashlib.sha256, SEPARATOR
    columns = [trace_t.c.item_id, trace_t.c.hash] + [trace_t.c[name] for name in _COLUMNS]
    with store.engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=10_000).execute(
            select(*columns).order_by(trace_t.c.id))
        for row in result:
            rows += 1
            item_id, stored_hash, ref, seq = row[0], row[1], row[2], row[3]
            expected_seq, expected_prev, _ = heads.get(item_id, (0, GENESIS, ref))
            text = sep.join(str(value) for value in row[2:])
            if sha256(text.encode("utf-8")).hexdigest() != stored_hash:
                failures.append({"ref": ref, "seq": seq, "reason": "row changed: its hash does not match its content"})
            if seq != expected_seq + 1:
                reason = (f"sequence broken: expected seq {expected_seq + 1}, found {seq} "
                          "(a row was deleted or rows were reordered)")
                failures.append({"ref": ref, "seq": seq, "reason": reason})
            elif row[12] != expected_prev:
                failures.append({"ref": ref, "seq": seq, "reason": "chain broken: prev_hash is not the previous row's hash"})
            heads[item_id] = (seq, stored_hash, ref)
            if progress and rows % 10_000 == 0:
                progress(rows)
        items = 0
        for item_id, ref, seq, head_hash in connection.execute(
                select(item_t.c.id, item_t.c.ref, item_t.c.seq, item_t.c.head_hash)):
            items += 1
            last_seq, last_hash, _ = heads.get(item_id, (0, "", ref))
            if (last_seq, last_hash) != (seq, head_hash):
                failures.append({"ref": ref, "seq": seq,
                                 "reason": f"the item's head is seq {seq} but its trace ends at seq {last_seq}"
                                 + ("" if last_seq != seq else " with another hash")})
        failures.extend(_verify_journal(connection))
    return {"ok": not failures, "items": items, "rows": rows, "failures": failures}


def _verify_journal(connection) -> list[dict]:
    failures, expected_seq, prev = [], 1, GENESIS
    for row in connection.execute(select(journal_t).order_by(journal_t.c.id)):
        text = SEPARATOR.join(("@journal", str(row.seq), row.action, "", "", row.actor, row.recorded_at,
                               row.recorded_at, row.data, "", row.prev_hash))
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != row.hash:
            failures.append({"ref": "@journal", "seq": row.seq, "reason": "row changed: its hash does not match its content"})
        if row.seq != expected_seq or row.prev_hash != prev:
            failures.append({"ref": "@journal", "seq": row.seq, "reason": "chain broken"})
        expected_seq, prev = row.seq + 1, row.hash
    return failures


def checkpoint(store: SqlStore) -> dict:
    """One root hash over every item's chain head: publish it to make later tampering evident."""
    digest = hashlib.sha256()
    items = 0
    with store.engine.connect() as connection:
        for ref, seq, head in connection.execute(
                select(item_t.c.ref, item_t.c.seq, item_t.c.head_hash).order_by(item_t.c.ref)):
            digest.update(f"{ref}\x1f{seq}\x1f{head}\n".encode("utf-8"))
            items += 1
        journal_head = connection.execute(select(journal_t.c.hash).order_by(journal_t.c.seq.desc()).limit(1)).scalar()
    digest.update(f"@journal\x1f{journal_head or GENESIS}\n".encode("utf-8"))
    return {"root": digest.hexdigest(), "items": items}
