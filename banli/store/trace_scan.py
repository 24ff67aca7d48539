"""One pass over a range of trace rows by id: each row's hash, and each item's chain within
the range. `audit.verify` runs it in-process, or in worker processes (`work`, a run of
ranges each), and joins the ranges' chain ends.

The database builds each row's hash input, the fields as text joined by U+001F as
UTF-8 bytes (exactly `banli.engine.chain.row_hash`'s), so a row costs Python a fetch, one
SHA-256 and a dict look-up. This module imports no SQLAlchemy: a worker starts in ~50 ms.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from dataclasses import dataclass, field
from itertools import islice

from banli.engine.chain import GENESIS, HASHED_FIELDS

CHUNK = 10_000  # rows per fetch, and between progress reports
# A worker runs `python -I -c BOOTSTRAP` with its request pickled on stdin: isolated (no
# current directory or PYTHON* variables on its path), then given the caller's sys.path, so
# that it imports the same banli and drivers as the caller.
BOOTSTRAP = ("import pickle, sys; request = pickle.load(sys.stdin.buffer); sys.path[:] = request['path']; "
             "from banli.store.trace_scan import work; work(request)")
CHANGED = "row changed: its hash does not match its content"
CHAIN_BROKEN = "chain broken: prev_hash is not the previous row's hash"


def _hash_input(dialect: str) -> str:
    """SQL for a row's hash input as UTF-8 bytes: integers render as decimal on both databases,
    and `||` keeps every character (SQLite's printf() would be faster but stops at a NUL). A
    NULL, which the schema refuses, gives empty bytes: the row then fails its hash check."""
    if dialect == "sqlite":  # CAST(text AS BLOB) is the text's bytes in the database's encoding (UTF-8)
        return "CAST(ifnull(" + " || char(31) || ".join(HASHED_FIELDS) + ", '') AS BLOB)"
    return "convert_to(coalesce(" + " || chr(31) || ".join(HASHED_FIELDS) + ", ''), 'UTF8')"


def range_query(dialect: str) -> str:
    """The rows of one id range, [low, high), in id order; parameters low and high."""
    placeholder = "?" if dialect == "sqlite" else "%s"
    # a tampered SQLite row can hold text in `seq` (the column is only INTEGER by affinity)
    seq = "ifnull(CAST(seq AS INTEGER), 0)" if dialect == "sqlite" else "coalesce(seq, 0)"
    return (f"SELECT id, item_id, ref, {seq}, prev_hash, hash, {_hash_input(dialect)} FROM trace "
            f"WHERE id >= {placeholder} AND id < {placeholder} ORDER BY id")


def sequence_broken(expected: int, found: int) -> str:
    return f"sequence broken: expected seq {expected}, found {found} (a row was deleted or rows were reordered)"


@dataclass
class RangeResult:
    """What one range found. `failures` are (row id, order within the row, ref, seq, reason).
    `heads` holds each item's last row in the range, (seq, hash); unless the range opens the
    chains (it starts at the first row), `firsts` holds each item's first row in it,
    (row id, ref, seq, prev_hash), to be checked against the head of the ranges before."""

    rows: int = 0
    failures: list = field(default_factory=list)
    heads: dict = field(default_factory=dict)
    firsts: dict = field(default_factory=dict)


def scan(connection, dialect: str, low: int, high: int, opens_chains: bool, progress=None) -> RangeResult:
    """Check the trace rows with low <= id < high on a DBAPI connection (sqlite3 or psycopg)."""
    result = RangeResult()
    failures, heads, firsts = result.failures, result.heads, result.firsts
    sha256 = hashlib.sha256
    start = (0, GENESIS) if opens_chains else None
    if dialect == "sqlite":
        cursor = connection.cursor()
    else:  # a server-side cursor: memory stays constant; binary, so bytea arrives as it is
        cursor = connection.cursor(name=f"banli_trace_scan_{low}", binary=True)
        cursor.itersize = CHUNK
    try:
        cursor.execute(range_query(dialect), (low, high))
        count = CHUNK
        while count == CHUNK:  # rows straight off the cursor (a list per fetch is ~30% slower), CHUNK at a time
            count = 0
            for count, (row_id, item_id, ref, seq, prev, stored, text) in enumerate(islice(cursor, CHUNK), 1):
                if sha256(text).hexdigest() != stored:
                    failures.append((row_id, 0, ref, seq, CHANGED))
                head = heads.get(item_id, start)
                if head is None:  # the item's chain goes on from an earlier range: checked when joined
                    firsts[item_id] = (row_id, ref, seq, prev)
                elif seq != head[0] + 1:
                    failures.append((row_id, 1, ref, seq, sequence_broken(head[0] + 1, seq)))
                elif prev != head[1]:
                    failures.append((row_id, 1, ref, seq, CHAIN_BROKEN))
                heads[item_id] = (seq, stored)
            result.rows += count
            if progress and count:
                progress(result.rows)
    finally:
        cursor.close()
    return result


def join(results: list[RangeResult]) -> tuple[dict, list, int]:
    """The ranges' results, in id order, as one pass would have found them: (heads, failures
    in row order, rows). Each item's first row in a range must follow its last row before."""
    heads: dict = results[0].heads if results and not results[0].firsts else {}  # no copy of the first
    failures: list = []
    rows = 0
    for result in results:
        for item_id, (row_id, ref, seq, prev) in result.firsts.items():
            last_seq, last_hash = heads.get(item_id, (0, GENESIS))
            if seq != last_seq + 1:
                failures.append((row_id, 1, ref, seq, sequence_broken(last_seq + 1, seq)))
            elif prev != last_hash:
                failures.append((row_id, 1, ref, seq, CHAIN_BROKEN))
        if result.heads is not heads:
            heads.update(result.heads)
        failures += result.failures
        rows += result.rows
    failures.sort(key=lambda failure: failure[:2])
    return heads, failures, rows


# -- a worker process ----------------------------------------------------------------------------

def _connect(request: dict):
    if request["dialect"] == "sqlite":
        import sqlite3

        return sqlite3.connect(*request["args"], **request["kwargs"])
    import psycopg

    connection = psycopg.connect(*request["args"], **request["kwargs"])
    connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    connection.read_only = True
    # the coordinator's snapshot: every worker sees exactly the rows it sees
    connection.execute("SET TRANSACTION SNAPSHOT %s" % _quote(request["snapshot"]))
    return connection


def _quote(snapshot: str) -> str:
    if not all(char.isalnum() or char == "-" for char in snapshot):  # e.g. 00000003-0000001B-1
        raise ValueError(f"unexpected snapshot id {snapshot!r}")
    return f"'{snapshot}'"


def work(request: dict) -> None:
    """In a worker process: scan request["ranges"], (low, high, opens_chains) each, in turn;
    write ("progress", rows so far) messages to stdout, then ("done", [RangeResult, …]), pickled."""
    out = sys.stdout.buffer
    results: list[RangeResult] = []

    def report(rows: int) -> None:
        pickle.dump(("progress", sum(result.rows for result in results) + rows), out)
        out.flush()

    connection = _connect(request)
    try:
        for low, high, opens_chains in request["ranges"]:
            results.append(scan(connection, request["dialect"], low, high, opens_chains, report))
    finally:
        connection.close()
    pickle.dump(("done", results), out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()
