"""Reading and verifying the trace.

`verify` walks every trace row once in insertion order, keeping one chain head per item:
each row must follow its item's previous row (seq + 1, prev_hash = previous hash), and its
stored hash must be the SHA-256 of its stored text. The end of each chain must match the
head recorded on the item row, so a deleted last row is caught too. Memory grows with the
number of items, not rows. A large trace is split by id into ranges scanned by worker
processes (`banli.store.trace_scan`), all reading one snapshot; the ranges' chain ends are
joined in id order, so the result is that of one pass.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from banli.engine.chain import GENESIS, SEPARATOR
from banli.store import trace_scan
from banli.store.schema import item_t, journal_t, trace_t

if TYPE_CHECKING:
    from banli.store.repo import SqlStore

logger = logging.getLogger("banli")
SPLIT_FROM = 200_000  # rows: a worker process starts in ~50 ms (~0.2 s with psycopg), worth it from here
MAX_PROCESSES = 8


def log(store: SqlStore, ref: str | None = None) -> list[dict]:
    query = select(trace_t).order_by(trace_t.c.ref, trace_t.c.seq) if ref is None else \
        select(trace_t).where(trace_t.c.ref == ref).order_by(trace_t.c.seq)
    with store.engine.connect() as connection:
        return [{"ref": row.ref, "seq": row.seq, "event": row.event, "from": row.from_state, "to": row.to_state,
                 "actor": row.actor, "occurred_at": row.occurred_at, "recorded_at": row.recorded_at,
                 "data": json.loads(row.data), "prev_hash": row.prev_hash, "hash": row.hash}
                for row in connection.execute(query)]


def verify(store: SqlStore, progress=None, *, processes: int | None = None, ranges: int | None = None) -> dict:
    """Check every chain; returns {"ok", "items", "rows", "failures": [{"ref", "seq", "reason"}]}.

    `progress(rows)` is called as rows are checked. A trace of more than SPLIT_FROM rows in
    a database file or server is split by id into one range per core (at most MAX_PROCESSES),
    each scanned by a worker process; `processes` sets their number (1: no workers, the scan
    runs here), `ranges` splits the trace finer (each worker then scans its share in turn).
    """
    engine = store.engine
    postgresql = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        if postgresql:  # one snapshot for the trace and the item rows, exported to the workers
            connection.execution_options(isolation_level="REPEATABLE READ")
        heads, found, rows = trace_scan.join(_scan_trace(connection, processes, ranges, progress))
        failures = [{"ref": ref, "seq": seq, "reason": reason} for _id, _order, ref, seq, reason in found]
        items = 0
        # the DBAPI cursor itself: SQLAlchemy's result fetches row by row (0.3 s per 100,000 items)
        cursor = connection.connection.driver_connection.cursor()
        try:
            cursor.execute("SELECT id, ref, seq, head_hash FROM item")
            for item_id, ref, seq, head_hash in cursor:
                items += 1
                last_seq, last_hash = heads.get(item_id, (0, ""))
                if (last_seq, last_hash) != (seq, head_hash):
                    failures.append({"ref": ref, "seq": seq,
                                     "reason": f"the item's head is seq {seq} but its trace ends at seq {last_seq}"
                                     + ("" if last_seq != seq else " with another hash")})
        finally:
            cursor.close()
        failures.extend(_verify_journal(connection))
    return {"ok": not failures, "items": items, "rows": rows, "failures": failures}


def _scan_trace(connection, processes: int | None, ranges: int | None, progress) -> list[trace_scan.RangeResult]:
    """Every trace row, by id: in worker processes when there are many (see verify), else here."""
    engine = connection.engine
    low, high = connection.execute(select(func.min(trace_t.c.id), func.max(trace_t.c.id))).one()
    if low is None:
        return []
    count = high - low + 1
    if processes is None:
        processes = min(_cores(), MAX_PROCESSES) if count > SPLIT_FROM else 1
    if processes > 1:
        splits = max(ranges or processes, processes)
        bounds = [low + count * part // splits for part in range(splits + 1)]
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar() \
            if engine.dialect.name == "postgresql" else None
        parts = _scan_in_workers(engine, list(zip(bounds, bounds[1:])), processes, snapshot, progress)
        if parts is not None:
            return parts
    return [trace_scan.scan(connection.connection.driver_connection, engine.dialect.name, low, high + 1, True,
                            progress)]


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _worker_request(engine) -> dict | None:
    """How a worker process opens the database itself, or None when it cannot (an in-memory
    SQLite database, an engine built around a connection factory of its own)."""
    args, kwargs = engine.dialect.create_connect_args(engine.url)
    if engine.dialect.driver == "pysqlite":
        database = engine.url.database
        if not database or database == ":memory:" or not os.path.isfile(args[0]):
            return None
        return {"dialect": "sqlite", "args": args, "kwargs": dict(kwargs, timeout=60)}
    if engine.dialect.driver == "psycopg":
        kwargs = {key: value for key, value in kwargs.items() if key != "context"}  # SQLAlchemy's adapters
        return {"dialect": "postgresql", "args": args, "kwargs": kwargs}
    return None


def _scan_in_workers(engine, ranges: list[tuple[int, int]], processes: int, snapshot: str | None,
                     progress) -> list | None:
    """The ranges scanned by `processes` worker processes (see trace_scan.BOOTSTRAP), each
    taking a run of consecutive ranges; None (the caller then scans in-process) if the
    database cannot be opened from another process or a worker fails."""
    request = _worker_request(engine)
    if request is None or not sys.executable:
        return None
    shares = [[(low, high, number == 0) for number, (low, high) in enumerate(ranges)
               if len(ranges) * part <= number * processes < len(ranges) * (part + 1)] for part in range(processes)]
    messages: queue.Queue = queue.Queue()
    workers: list[tuple[subprocess.Popen, object]] = []
    try:
        try:
            for index, share in enumerate(shares):
                errors = tempfile.TemporaryFile()
                child = subprocess.Popen([sys.executable, "-I", "-c", trace_scan.BOOTSTRAP], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=errors)
                workers.append((child, errors))
                child.stdin.write(pickle.dumps(dict(request, ranges=share, snapshot=snapshot, path=sys.path)))
                child.stdin.close()
                threading.Thread(target=_read_messages, args=(index, child.stdout, messages), daemon=True).start()
        except OSError as error:  # no such program, or a worker that ended before reading its request
            logger.warning("audit verify: could not start a worker process (%s); scanning in this process instead",
                           error)
            return None
        done: dict[int, list[trace_scan.RangeResult]] = {}
        counts = [0] * processes
        ended = 0
        while ended < processes:
            index, kind, value = messages.get()
            if kind == "progress":
                counts[index] = value
                if progress:
                    progress(sum(counts))
                continue
            ended += 1
            if kind == "done":
                done[index] = value
        for index, (child, errors) in enumerate(workers):
            if child.wait() != 0 or index not in done:
                errors.seek(0)
                lines = errors.read().decode("utf-8", "replace").strip().splitlines() or ["it said nothing"]
                logger.warning("audit verify: a worker process failed (%s); scanning in this process instead",
                               lines[-1])
                return None
        return [result for index in range(processes) for result in done[index]]
    finally:
        for child, errors in workers:
            if child.poll() is None:
                child.kill()
                child.wait()
            for stream in (child.stdin, child.stdout, errors):
                stream.close()


def _read_messages(index: int, stream, messages: queue.Queue) -> None:
    """A worker's pickled messages onto the queue, up to its ("done", …); ("end", None) if its
    output stops before that."""
    kind = None
    try:
        while kind != "done":
            kind, value = pickle.load(stream)
            messages.put((index, kind, value))
    except Exception:  # noqa: BLE001 - whatever cut its output short, the worker failed: the caller says so
        messages.put((index, "end", None))


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
