"""Reading and verifying the trace.

`verify` walks every trace row once in insertion order, keeping per item its chain head, its
state and the fields its rows set: each row must follow its item's previous row (seq + 1,
prev_hash = previous hash, from_state = previous to_state), and its stored hash must be the
SHA-256 of its stored text. Every item row must then be what its trace establishes (its
head, state, version and fields: the projection of `banli.engine.projection`), every trace
row must belong to an item and every item must have a trace. The rows in id order are the
leaves of a Merkle tree (`banli.engine.merkle`), whose head a checkpoint publishes
(`banli.store.checkpoints`): a row's leaf data is its recomputed hash (32 bytes), which covers
its content and, through prev_hash, its chain; its position is its place in the tree. So a
row changed, re-chained, deleted or moved changes the tree's head. Memory grows with the
number of items, not rows. A large trace is split by id into ranges scanned by worker
processes (`banli.store.trace_workers`), all reading one snapshot; the ranges are joined in
id order, so the result is that of one pass.
"""

from __future__ import annotations

import gc
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from banli.engine.chain import GENESIS, SEPARATOR, canonical_json
from banli.engine.merkle import SubtreeLog
from banli.i18n import _
from banli.engine.projection import CREATED, DEADLINE_RECOMPUTED, MIGRATED, Projector
from banli.store import trace_scan, trace_workers
from banli.store.schema import definition_t, journal_t, trace_t

if TYPE_CHECKING:
    from banli.store.repo import SqlStore

_IN_BATCH = 500  # ids per `IN (…)` when naming failed rows


def log(store: SqlStore, ref: str | None = None) -> list[dict]:
    query = select(trace_t).order_by(trace_t.c.ref, trace_t.c.seq) if ref is None else \
        select(trace_t).where(trace_t.c.ref == ref).order_by(trace_t.c.seq)
    with store.engine.connect() as connection:
        return [{"ref": row.ref, "seq": row.seq, "event": row.event, "from": row.from_state, "to": row.to_state,
                 "actor": row.actor, "occurred_at": row.occurred_at, "recorded_at": row.recorded_at,
                 "data": json.loads(row.data), "prev_hash": row.prev_hash, "hash": row.hash}
                for row in connection.execute(query)]


@dataclass
class Verified:
    """What verify found: the report (SPEC §4's shape) and the Merkle tree of the log."""

    report: dict
    tree: SubtreeLog


def verify(store: SqlStore, progress=None, *, processes: int | None = None, ranges: int | None = None,
           against: list[dict] | None = None) -> dict:
    """Check every chain and every item; returns {"ok", "items", "rows", "failures": [{"ref",
    "seq", "reason"}], "size", "root"}: `size` and `root` are the log's Merkle tree head.
    With `against` (checkpoints, as `checkpoints.read` gives them) it also proves that the log
    extends each of them, naming the first row that differs where one does not (and adds
    "against": what each checkpoint's check found).

    `progress(rows)` is called as rows are checked. A trace of more than SPLIT_FROM rows in
    a database file or server is split by id into one range per core (at most MAX_PROCESSES),
    each scanned by a worker process; `processes` sets their number (1: no workers, the scan
    runs here), `ranges` splits the trace finer (each worker then scans its share in turn).
    """
    return check(store, progress, processes=processes, ranges=ranges, against=against).report


def check(store: SqlStore, progress=None, *, processes: int | None = None, ranges: int | None = None,
          against: list[dict] | None = None) -> Verified:
    """verify's work; also gives the log's Merkle tree (for a checkpoint)."""
    collecting = gc.isenabled()
    # a container per item and row, none in a cycle: the collector's passes over them cost a
    # quarter of the time and find nothing
    gc.disable()
    try:
        return _check(store, progress, processes, ranges, against)
    finally:
        if collecting:
            gc.enable()


def _check(store: SqlStore, progress, processes: int | None, ranges: int | None, against: list[dict] | None) -> Verified:
    from banli.store import checkpoints

    engine = store.engine
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":  # one snapshot for the trace and the item rows, exported to the workers
            connection.execution_options(isolation_level="REPEATABLE READ")
        definitions, failures = effects(connection)
        joined, stored = _scan_trace(connection, processes, ranges, progress, definitions, against or [])
        row_failures = _named(connection, joined.failures)  # (row id, failure)
        item_failures = _compare_items(connection, stored, joined)
        failures = [failure for _id, failure in row_failures] + item_failures + failures + _verify_journal(connection)
        tree = SubtreeLog(joined.width, joined.subtrees, joined.tail, joined.kept)
        report = {"ok": not failures, "items": len(stored), "rows": joined.rows, "failures": failures,
                  "size": tree.size, "root": tree.root().hex()}
        if against:
            found, report["against"] = checkpoints.prove(connection, tree, against, row_failures)
            failures += found
            report["ok"] = not failures
    return Verified(report, tree)


def effects(connection) -> tuple[dict, list[dict]]:
    """What each event of each registered definition does to an item's fields, by def_hash (as
    `trace_scan.scan` takes it), and a failure for each definition whose stored source no
    longer gives its hash: the trace's meaning depends on them as on the rows."""
    from banli.engine.definitions import content_hash
    from banli.engine.load import load_text
    from banli.engine.parse import parse
    from banli.errors import BanliError

    parsed, failures = {}, []
    for row in connection.execute(select(definition_t).order_by(definition_t.c.id)):
        where = f"{row.workflow_id} v{row.version}"
        try:
            document = load_text(row.source, where)
            parsed[row.hash] = parse(document, where)
        except BanliError as error:
            failures.append({"ref": "@definition", "seq": row.id,
                             "reason": _("{where}: its stored source no longer reads ({error}); restore it").format(
                                 where=where, error=error)})
            continue
        if content_hash(document) != row.hash:
            failures.append({"ref": "@definition", "seq": row.id,
                             "reason": _("{where}: its stored source does not give its hash: changed after registration").format(
                                 where=where)})
    projector = Projector(parsed.__getitem__)
    table = {}
    for def_hash, definition in parsed.items():
        events = table[def_hash] = {CREATED: (None, None), MIGRATED: (), DEADLINE_RECOMPUTED: ()}
        for name in definition.events:
            keys, fixed = projector.field_effects(def_hash, name)
            events[name] = (keys, fixed) if keys or fixed else ()
    return table, failures


def _scan_trace(connection, processes: int | None, ranges: int | None, progress, definitions: dict,
                against: list[dict]) -> tuple[trace_scan.Joined, dict]:
    """Every trace row, by id: in worker processes when there are many (see verify), else
    here; and the item rows (see _read_items), read while the workers scan."""
    from banli.store.checkpoints import subtrees_needed

    engine = connection.engine
    low, high = connection.execute(select(func.min(trace_t.c.id), func.max(trace_t.c.id))).one()
    if low is None:
        return trace_scan.Joined(), _read_items(connection)
    count = high - low + 1
    width = trace_scan.subtree_width(count)  # rows <= count: ids only ever grow, with gaps on PostgreSQL
    keep = subtrees_needed(against, width)
    if processes is None:
        processes = min(trace_workers.cores(), trace_workers.MAX_PROCESSES) if count > trace_workers.SPLIT_FROM \
            else 1
    if processes > 1:
        splits = max(ranges or processes, processes)
        bounds = [low + count * part // splits for part in range(splits + 1)]
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar() \
            if engine.dialect.name == "postgresql" else None
        request = {"snapshot": snapshot, "origin": low, "definitions": definitions, "width": width, "keep": keep}
        workers = trace_workers.start(engine, list(zip(bounds, bounds[1:])), processes, request)
        if workers is not None:
            with workers:
                stored = _read_items(connection)
                parts = workers.results(progress)
            if parts is not None:
                return trace_scan.join(parts, width, keep), stored
    joined = trace_scan.join([trace_scan.scan(connection.connection.driver_connection, engine.dialect.name, low,
                                              high + 1, True, definitions, 0, width, keep, progress)], width, keep)
    return joined, _read_items(connection)


def _named(connection, found: list) -> list[tuple[int, dict]]:
    """The scan's failures, (row id, order, seq, reason) each, as (row id, {"ref", "seq", "reason"})."""
    ids = sorted({row_id for row_id, *_rest in found})
    refs = {}
    for start in range(0, len(ids), _IN_BATCH):
        refs.update(connection.execute(select(trace_t.c.id, trace_t.c.ref).where(
            trace_t.c.id.in_(ids[start:start + _IN_BATCH]))).all())
    return [(row_id, {"ref": refs.get(row_id, "?"), "seq": seq, "reason": reason})
            for row_id, _order, seq, reason in found]


def _read_items(connection) -> dict:
    """Every item row: id → (ref, seq, head_hash, state, version, fields), its fields parsed
    (None when they are not a JSON object)."""
    decode = json.JSONDecoder().scan_once  # json.loads without its wrappers, as in trace_scan
    stored = {}
    # the DBAPI cursor itself: SQLAlchemy's result fetches row by row (0.3 s per 100,000 items)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute("SELECT id, ref, seq, head_hash, state, version, fields FROM item")
        for item_id, ref, seq, head_hash, state, version, text in cursor:
            try:
                fields, end = decode(text, 0)
                if end != len(text) or fields.__class__ is not dict:
                    fields = None
            except (ValueError, TypeError, StopIteration):
                fields = None
            stored[item_id] = (ref, seq, head_hash, state, version, fields)
    finally:
        cursor.close()
    return stored


def _compare_items(connection, stored: dict, joined: trace_scan.Joined) -> list[dict]:
    """Every item row against what its trace establishes; every item without a trace, every
    trace without an item."""
    heads, fields_of = joined.heads, joined.fields
    failures = []
    for item_id, (ref, seq, head_hash, state, version, fields) in stored.items():
        head = heads.get(item_id)
        if head is None:
            failures.append({"ref": ref, "seq": seq, "reason": _("the item has no trace: no event establishes it")})
            continue
        last_seq, last_hash, last_state = head[0], head[1].decode("ascii", "replace"), head[2].decode("utf-8", "replace")
        projected = fields_of.get(item_id, {})
        if (last_seq, last_hash, last_state, last_seq) == (seq, head_hash, state, version) and fields == projected:
            continue
        reasons = [] if (last_seq, last_hash) == (seq, head_hash) else [
            _("the item's head is seq {seq} but its trace ends at seq {last_seq}").format(seq=seq, last_seq=last_seq)
            if last_seq != seq else
            _("the item's head is seq {seq} but its trace ends at seq {last_seq} with another hash").format(
                seq=seq, last_seq=last_seq)]
        failures.append({"ref": ref, "seq": seq, "reason": "; ".join(
            reasons + _differences(state, version, fields, last_state, last_seq, projected))})
    orphans = sorted(set(heads) - set(stored))
    for start in range(0, len(orphans), _IN_BATCH):
        for ref, first, count in connection.execute(
                select(trace_t.c.ref, func.min(trace_t.c.seq), func.count()).where(
                    trace_t.c.item_id.in_(orphans[start:start + _IN_BATCH])).group_by(trace_t.c.item_id, trace_t.c.ref)):
            failures.append({"ref": ref, "seq": first,
                             "reason": _("{count} trace row(s) of no item: the item row was deleted").format(
                                 count=count)})
    return failures


def _differences(state: str, version: int, fields: dict | None, projected_state: str, projected_version: int,
                 projected_fields: dict) -> list[str]:
    """What of the stored row differs from what its trace establishes, in words (none: [])."""
    found = []
    if state != projected_state:
        found.append(_("state {state} ≠ {projected_state}").format(state=state, projected_state=projected_state))
    if version != projected_version:
        found.append(_("version {version} ≠ {projected_version}").format(
            version=version, projected_version=projected_version))
    if fields is None:
        found.append(_("fields are not a JSON object"))
    elif fields != projected_fields:
        found += [f"{key} {_shown(fields, key)} ≠ {_shown(projected_fields, key)}"
                  for key in sorted(set(fields) | set(projected_fields), key=str)
                  if fields.get(key, _NONE) != projected_fields.get(key, _NONE)]
    return [_("stored row differs from what its trace establishes (stored ≠ trace): {differences}").format(
        differences="; ".join(found))] if found else []


_NONE = object()


def _shown(fields: dict, key: str) -> str:
    if key not in fields:
        return _("(none)")
    value = fields[key]
    return value if isinstance(value, str) else canonical_json(value)


def _verify_journal(connection) -> list[dict]:
    failures, expected_seq, prev = [], 1, GENESIS
    for row in connection.execute(select(journal_t).order_by(journal_t.c.id)):
        text = SEPARATOR.join(("@journal", str(row.seq), row.action, "", "", row.actor, row.recorded_at,
                               row.recorded_at, row.data, "", row.prev_hash))
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != row.hash:
            failures.append({"ref": "@journal", "seq": row.seq, "reason": _("row changed: its hash does not match its content")})
        if row.seq != expected_seq or row.prev_hash != prev:
            failures.append({"ref": "@journal", "seq": row.seq, "reason": _("chain broken")})
        expected_seq, prev = row.seq + 1, row.hash
    return failures


def checkpoint(store: SqlStore, *, at: datetime | None = None, actor: str = "system", progress=None) -> dict:
    """The log's checkpoint, once the whole trace verifies: {"size", "root", "at"} plus the
    heads of its aligned subtrees (see `checkpoints.document`), journaled. Raises AuditFailed
    (with the report as `report`) when the trace does not verify: a checkpoint vouches for it."""
    from banli.engine.times import utc_now
    from banli.errors import AuditFailed
    from banli.store import checkpoints

    verified = check(store, progress)
    if not verified.report["ok"]:
        raise AuditFailed(_("no checkpoint: the trace does not verify ({count} problem(s)); "
                            "run 'banli audit verify' to see them").format(count=len(verified.report["failures"])),
                          report=verified.report)
    made = checkpoints.document(verified.tree, at or utc_now())
    checkpoints.journal_it(store, made, actor)
    return made
