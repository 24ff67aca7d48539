"""One pass over a range of trace rows by id: each row's hash, its place in its item's chain
(seq, prev_hash, from_state), the fields it sets, and its Merkle leaf. `audit.verify` runs it
in-process, or in worker processes (`work`, a run of ranges each), and joins the ranges.

The database builds each row's hash input, the fields as text joined by U+001F as UTF-8 bytes
(exactly `banli.engine.chain.row_hash`'s), and sends little else: the fields the checks need
are split off those bytes (a column costs more to fetch than a split). So a row costs Python
a fetch of four values, a split, three SHA-256 (its hash, its leaf, on average one tree node)
and a few dict look-ups; only the rows of events that set fields parse their data. This
module imports no SQLAlchemy: a worker starts in ~50 ms.
"""

from __future__ import annotations

import binascii
import gc
import hashlib
import json
import pickle
import sys
from dataclasses import dataclass, field
from itertools import islice

from banli.engine.chain import GENESIS, HASHED_FIELDS
from banli.engine.merkle import LEAF_PREFIX, root_of
from banli.i18n import N_, _, language, use

FETCH = 10_000  # rows per fetch, and between progress reports
MAX_HEADS = 4096  # aligned subtree heads a scan keeps at most (and a checkpoint carries)
# A worker runs `python -I -c BOOTSTRAP` with its request pickled on stdin: isolated (no
# current directory or PYTHON* variables on its path), then given the caller's sys.path, so
# that it imports the same banli and drivers as the caller.
BOOTSTRAP = ("import pickle, sys; request = pickle.load(sys.stdin.buffer); sys.path[:] = request['path']; "
             "from banli.store.trace_scan import work; work(request)")
# the reasons of a failed row, translated where a failure is made
CHANGED = N_("row changed: its hash does not match its content")
CHAIN_BROKEN = N_("chain broken: prev_hash is not the previous row's hash")
UNKNOWN_DEFINITION = N_("recorded under no registered workflow definition (its def_hash is unknown)")
BAD_DATA = N_("its data is not a JSON object, so the fields it sets cannot be told")
START = (0, GENESIS.encode(), b"")  # before an item's first row: seq 0, the genesis hash, no state
SEPARATOR = b"\x1f"
_SEQ, _EVENT, _FROM, _TO, _DATA, _DEFINITION, _PREV = (HASHED_FIELDS.index(name) for name in (
    "seq", "event", "from_state", "to_state", "data", "def_hash", "prev_hash"))


def _hash_input(dialect: str) -> str:
    """SQL for a row's hash input as UTF-8 bytes, built in one step (printf, concat_ws: a third
    of the cost of `||` ten times over); integers render as decimal on both databases. A NULL,
    which the schema refuses, gives other bytes: the row then fails its hash check. SQLite's
    printf stops at a NUL, which PostgreSQL's text cannot hold: a row whose bytes do not split
    into its eleven fields, or do not give its hash, is read again with `exact_fields`."""
    if dialect == "sqlite":  # CAST(text AS BLOB) is the text's bytes in the database's encoding (UTF-8)
        return "CAST(printf('%s" + "\x1f%s" * (len(HASHED_FIELDS) - 1) + "', " + ", ".join(HASHED_FIELDS) + ") AS BLOB)"
    return "convert_to(concat_ws(chr(31), " + ", ".join(HASHED_FIELDS) + "), 'UTF8')"


def exact_fields(dialect: str) -> str:
    """The hashed fields of the row with id = the parameter as UTF-8 bytes, every character kept."""
    as_bytes = "CAST({} AS BLOB)" if dialect == "sqlite" else "convert_to({}::text, 'UTF8')"
    return (f"SELECT {', '.join(as_bytes.format(name) for name in HASHED_FIELDS)} FROM trace "
            f"WHERE id = {_placeholder(dialect)}")


def subtree_width(rows: int) -> int:
    """Leaves under each aligned subtree head a scan of up to `rows` rows keeps: the smallest
    power of two that needs no more than MAX_HEADS heads (1 up to 4,096 rows, 256 at 1M)."""
    width = 1
    while width * MAX_HEADS < rows:
        width *= 2
    return width


def _placeholder(dialect: str) -> str:
    return "?" if dialect == "sqlite" else "%s"


def range_query(dialect: str) -> str:
    """The rows of one id range, [low, high), in id order: (id, item_id, hash, hash input),
    the last two as bytes; parameters low and high."""
    mark = _placeholder(dialect)
    stored = "CAST(hash AS BLOB)" if dialect == "sqlite" else "convert_to(hash, 'UTF8')"
    return (f"SELECT id, item_id, {stored}, {_hash_input(dialect)} FROM trace "
            f"WHERE id >= {mark} AND id < {mark} ORDER BY id")


def sequence_broken(expected: int, found: int) -> str:
    return _("sequence broken: expected seq {expected}, found {found} (a row was deleted or rows were reordered)").format(
        expected=expected, found=found)


def state_broken(from_state: bytes, state: bytes) -> str:
    return _("state broken: the row leaves from {from_state} but the row before left the item in {state}").format(
        from_state=_text(from_state) or _("(none)"), state=_text(state))


def not_an_event(event: bytes) -> str:
    return _("{event} is not an event of the workflow definition that recorded it").format(event=_text(event))


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


@dataclass
class RangeResult:
    """What one range found. `failures` are (row id, order within the row, seq, reason).
    `heads` holds each item's last row in the range, (seq, hash, to_state); unless the range
    opens the chains (it starts at the first row), `firsts` holds each item's first row in
    it, (row id, seq, prev_hash, from_state), checked against the ranges before when joined.
    `fields` holds the fields each item's rows set, in order; for the items in `resets` a
    `created` row began them. `leaves` are the range's Merkle leaves, folded from `start`."""

    start: int = 0
    rows: int = 0
    failures: list = field(default_factory=list)
    heads: dict = field(default_factory=dict)
    firsts: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    resets: set = field(default_factory=set)
    leaves: "Leaves" = None


class Leaves:
    """Leaf hashes at consecutive positions from `start`, folded into the heads of the aligned
    `width`-leaf subtrees as they complete: `lead` are the leaves before the first aligned
    position, `rest` those after the last complete subtree. The leaves of the subtrees
    numbered in `keep` are kept too (a consistency proof needs nodes inside them)."""

    def __init__(self, start: int, width: int, keep: frozenset = frozenset()) -> None:
        self.start, self.width, self.keep = start, width, keep
        self.lead: list[bytes] = []
        self.heads: list[bytes] = []
        self.rest: list[bytes] = []
        self.kept: dict[int, list[bytes]] = {}
        self._aligned = start % width == 0

    def add(self, leaves: list[bytes]) -> None:
        width = self.width
        if not self._aligned:  # the leaves up to the first aligned position stay as they are
            need = -(self.start + len(self.lead)) % width
            self.lead += leaves[:need]
            leaves = leaves[need:]
            self._aligned = (self.start + len(self.lead)) % width == 0
            if not self._aligned:
                return
        if self.rest:
            leaves = self.rest + leaves
        whole = len(leaves) - len(leaves) % width
        number = (self.start + len(self.lead)) // width + len(self.heads)
        for offset in range(0, whole, width):
            subtree = leaves[offset:offset + width]
            if number in self.keep:
                self.kept[number] = subtree
            self.heads.append(root_of(subtree))
            number += 1
        self.rest = leaves[whole:]


def scan(connection, dialect: str, low: int, high: int, opens_chains: bool, definitions: dict, start: int = 0,
         width: int = 1, keep: frozenset = frozenset(), progress=None) -> RangeResult:
    """Check the trace rows with low <= id < high on a DBAPI connection (sqlite3 or psycopg),
    the first of them at position `start` of the log; their leaves fold into `width`-leaf
    subtree heads (see Leaves). `definitions` maps each def_hash to {event: what it does to
    the fields}: () nothing, (keys, fixed) the data keys it takes as fields and the values it
    fixes, (None, None) a `created` row's base (see audit.effects). Hashes and states are
    compared as the bytes they arrive as; `heads` and `firsts` hold them so."""
    result = RangeResult(start=start, leaves=Leaves(start, width, keep))
    failures, heads, firsts, fields_of, resets = (result.failures, result.heads, result.firsts, result.fields,
                                                  result.resets)
    tables = {def_hash.encode(): {event.encode(): effect for event, effect in table.items()}
              for def_hash, table in definitions.items()}
    # the C scanner under json.loads, without its wrappers (a third of its time): (value, end)
    sha256, hexlify, decode, prefix = hashlib.sha256, binascii.hexlify, json.JSONDecoder().scan_once, LEAF_PREFIX
    begin, fields_count = START if opens_chains else None, len(HASHED_FIELDS)
    if dialect == "sqlite":
        cursor = connection.cursor()
    else:  # a server-side cursor: memory stays constant; binary, so bytea arrives as it is
        cursor = connection.cursor(name=f"banli_trace_scan_{low}", binary=True)
        cursor.itersize = FETCH
    try:
        cursor.execute(range_query(dialect), (low, high))
        count = FETCH
        while count == FETCH:  # rows straight off the cursor (a list per fetch is ~30% slower), FETCH at a time
            count, leaves = 0, []
            leaf = leaves.append
            for count, (row_id, item_id, stored, text) in enumerate(islice(cursor, FETCH), 1):
                parts = text.split(SEPARATOR)
                digest = sha256(text).digest()
                if len(parts) != fields_count or hexlify(digest) != stored:
                    parts, digest = _exact(connection, dialect, row_id)
                    if hexlify(digest) != stored:
                        failures.append((row_id, 0, _seq(parts), _(CHANGED)))
                leaf(sha256(prefix + digest).digest())
                try:
                    seq = int(parts[_SEQ])
                except ValueError:  # a tampered seq that is not a number
                    seq = 0
                head = heads.get(item_id, begin)
                if head is None:  # the item's chain goes on from an earlier range: checked when joined
                    firsts[item_id] = (row_id, seq, parts[_PREV], parts[_FROM])
                elif seq != head[0] + 1:
                    failures.append((row_id, 1, seq, sequence_broken(head[0] + 1, seq)))
                elif parts[_PREV] != head[1]:
                    failures.append((row_id, 1, seq, _(CHAIN_BROKEN)))
                elif parts[_FROM] != head[2]:
                    failures.append((row_id, 2, seq, state_broken(parts[_FROM], head[2])))
                heads[item_id] = (seq, stored, parts[_TO])
                table = tables.get(parts[_DEFINITION])
                effect = None if table is None else table.get(parts[_EVENT])
                if effect:
                    keys, fixed = effect
                    try:
                        data = parts[_DATA].decode()
                        given, end = decode(data, 0) if data != "{}" else ({}, 2)
                        if end != len(data) or given.__class__ is not dict:
                            raise ValueError(data)
                    except (ValueError, StopIteration):  # UnicodeDecodeError is a ValueError
                        failures.append((row_id, 3, seq, _(BAD_DATA)))
                        continue
                    if keys is None:  # `created`: the fields at registration, the start of the item's own
                        base = given.get("fields") or {}
                        fields_of[item_id] = dict(base) if isinstance(base, dict) else {}
                        resets.add(item_id)
                        continue
                    current = fields_of.get(item_id)
                    if current is None:
                        current = fields_of[item_id] = {}
                    for key, value in given.items():
                        if key in keys:
                            current[key] = value
                    if fixed:
                        current.update(fixed)
                elif effect is None:
                    failures.append((row_id, 3, seq,
                                     _(UNKNOWN_DEFINITION) if table is None else not_an_event(parts[_EVENT])))
            result.leaves.add(leaves)
            result.rows += count
            if progress and count:
                progress(result.rows)
    finally:
        cursor.close()
    return result


def _exact(connection, dialect: str, row_id: int) -> tuple[list[bytes], bytes]:
    """The row's hashed fields as UTF-8 bytes, every character kept, and the SHA-256 of them
    joined: for a row the fast hash input may have cut short (see _hash_input)."""
    cursor = connection.cursor()
    try:
        cursor.execute(exact_fields(dialect), (row_id,))
        parts = [b"" if value is None else bytes(value) for value in cursor.fetchone()]
    finally:
        cursor.close()
    return parts, hashlib.sha256(SEPARATOR.join(parts)).digest()


def _seq(parts: list[bytes]) -> int:
    try:
        return int(parts[_SEQ])
    except ValueError:
        return 0


@dataclass
class Joined:
    """The ranges' results as one pass would have found them."""

    rows: int = 0
    failures: list = field(default_factory=list)  # (row id, order, seq, reason), in row order
    heads: dict = field(default_factory=dict)  # item id → (seq, hash, state) of its last row
    fields: dict = field(default_factory=dict)  # item id → the fields its rows establish
    width: int = 1  # leaves under each subtree head
    subtrees: list = field(default_factory=list)  # heads of the complete `width`-leaf subtrees
    tail: list = field(default_factory=list)  # the leaves after them
    kept: dict = field(default_factory=dict)  # subtree number → its leaves, for those asked for


def join(results: list[RangeResult], width: int = 1, keep: frozenset = frozenset()) -> Joined:
    """Each item's first row in a range must follow its last row before; its fields go on from
    where they were, unless a `created` row began them anew; the leaves fold on in order."""
    joined = Joined(width=width)
    heads, fields, pending = joined.heads, joined.fields, joined.tail
    for result in results:
        for item_id, (row_id, seq, prev, from_state) in result.firsts.items():
            last_seq, last_hash, state = heads.get(item_id, START)
            if seq != last_seq + 1:
                joined.failures.append((row_id, 1, seq, sequence_broken(last_seq + 1, seq)))
            elif prev != last_hash:
                joined.failures.append((row_id, 1, seq, _(CHAIN_BROKEN)))
            elif from_state != state:
                joined.failures.append((row_id, 2, seq, state_broken(from_state, state)))
        heads.update(result.heads)
        for item_id, given in result.fields.items():
            current = fields.get(item_id)
            if current is None or item_id in result.resets:
                fields[item_id] = given
            else:
                current.update(given)
        joined.failures += result.failures
        joined.rows += result.rows
        leaves = result.leaves
        joined.kept.update(leaves.kept)
        pending += leaves.lead
        if len(pending) == width:  # a subtree that began in the ranges before ends in this one
            if len(joined.subtrees) in keep:
                joined.kept[len(joined.subtrees)] = list(pending)
            joined.subtrees.append(root_of(pending))
            pending.clear()
        joined.subtrees += leaves.heads
        pending += leaves.rest
    joined.failures.sort(key=lambda failure: failure[:2])
    return joined


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


def rows_before(connection, dialect: str, origin: int, low: int) -> int:
    """How many trace rows have origin <= id < low: the log position of the row at `low`."""
    if low <= origin:
        return 0
    mark = _placeholder(dialect)
    cursor = connection.cursor()
    try:
        cursor.execute(f"SELECT count(*) FROM trace WHERE id >= {mark} AND id < {mark}", (origin, low))
        return cursor.fetchone()[0]
    finally:
        cursor.close()


def work(request: dict) -> None:
    """In a worker process: scan request["ranges"], (low, high, opens_chains) each, in turn,
    the first at the log position its rows from request["origin"] give; write ("progress",
    rows so far) messages to stdout, then ("done", [RangeResult, …]), pickled. The reasons of
    failures are in the caller's language (request["language"])."""
    with use(request.get("language") or language()):
        _work(request)


def _work(request: dict) -> None:
    gc.disable()  # as in audit.check: many containers, no cycles
    out = sys.stdout.buffer
    results: list[RangeResult] = []

    def report(rows: int) -> None:
        pickle.dump(("progress", sum(result.rows for result in results) + rows), out)
        out.flush()

    connection = _connect(request)
    dialect = request["dialect"]
    try:
        position = rows_before(connection, dialect, request["origin"], request["ranges"][0][0])
        for low, high, opens_chains in request["ranges"]:
            results.append(scan(connection, dialect, low, high, opens_chains, request["definitions"], position,
                                request["width"], request["keep"], report))
            position += results[-1].rows
    finally:
        connection.close()
    pickle.dump(("done", results), out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()
