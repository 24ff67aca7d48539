"""Rows per second of `banli audit verify` over a million trace rows, against raw sqlite3 doing its chain checks.

A SQLite database with banli's schema gets `--rows` hash-chained trace rows, `--rows-per-item`
per item (not timed; reused by the next run with the same parameters). The rows are copies
of one real item's trace, made through banli (registered, walked to `handling`, urged):
each copy gets its own ref and its chain is hashed anew with `banli.engine.chain.row_hash`,
so the trace verifies; each item row is what its rows establish (state, version, fields, as
`banli.engine.projection` replays them). The rows are written round by round (every item's
seq 1, then every item's seq 2 …), as events of many items interleave in a real year. Then
banli's `verify` (`banli.store.audit.verify`, the work of `banli audit verify`: every row's
hash, seq, prev_hash and from_state, every item row against the projection of its trace, the
Merkle tree head over all rows) is timed against a raw sqlite3 loop doing the chain checks
only: fetch by rowid, SHA-256 of the `\\x1f`-joined text, sequence and prev_hash against a
dict of chain heads, the heads against the item rows. banli's verify runs as the command runs
it (a trace this large: one worker process per core), in one process (`processes=1`), and
`--against` a checkpoint of the whole log (the consistency proof on top). With `--pg URL` the
same rows are copied into a database created for the run on that PostgreSQL server, and
banli's verify is timed there against the raw checks on psycopg.

    .venv/bin/python bench/verify.py [--rows 1000000] [--rows-per-item 10] [--keep] [--profile] [--pg URL]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import multiprocessing
import os
import pstats
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path
from common import TO_HANDLING, open_store, stored_params  # noqa: E402 - bench/ is on sys.path when run as a script

WORKFLOW = "npc-suggestion"
LAYOUT = 2  # bump when the generated rows change, so that old databases are rebuilt
from banli.engine.chain import GENESIS, SEPARATOR  # noqa: E402
BATCH = 50_000
TRACE_COLUMNS = ("ref", "seq", "event", "from_state", "to_state", "actor", "occurred_at", "recorded_at", "data",
                 "def_hash", "prev_hash")
ITEM_COLUMNS = ("ref", "workflow_id", "definition_id", "parent_id", "title", "content", "state", "version", "seq",
                "head_hash", "fields", "created_at", "entered_at", "last_at", "deadline", "deadline_basis",
                "entered_seq", "next_due_at")


# -- the database ----------------------------------------------------------------------------

def remove_db(path: Path) -> None:
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)


def template(store, rows_per_item: int) -> tuple[dict, list[dict], list[tuple[str, str]]]:
    """One item made through banli, with `rows_per_item` trace rows: its item row, its trace,
    and (state, fields as stored) of an item that has only its first 1, 2 … rows."""
    import logging

    from banli.engine.runtime import Runtime

    logging.getLogger("banli").setLevel(logging.ERROR)  # deadlines run into a year with no holiday schedule
    runtime = Runtime(store)
    ref = "TEMPLATE"
    runtime.create(workflow_id=WORKFLOW, ref=ref, title="关于加强物业管理的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设"})
    for number in range(rows_per_item - 1):
        event, actor, data = TO_HANDLING[number] if number < len(TO_HANDLING) else \
            ("urge", "wang", {"note": f"请加快办理进度（第{number - len(TO_HANDLING) + 1}次催办）"})
        runtime.fire(ref, event, actor, data)
    with store.engine.connect() as connection:
        from sqlalchemy import text

        item = dict(connection.execute(text("SELECT * FROM item WHERE ref = :ref"), {"ref": ref}).one()._mapping)
        trace = [dict(row._mapping) for row in connection.execute(
            text("SELECT * FROM trace WHERE ref = :ref ORDER BY seq"), {"ref": ref})][:rows_per_item]
    from banli.engine.chain import canonical_json
    from banli.engine.projection import Projection, Projector

    projector, projection, prefixes = Projector(lambda def_hash: store.workflows.by_hash(def_hash).definition), \
        Projection(), []
    for row in trace:
        projector.apply(projection, row["seq"], row["event"], row["to_state"], row["data"], row["def_hash"])
        prefixes.append((projection.state, canonical_json(projection.fields)))
    return item, trace, prefixes


def build(path: Path, params: dict) -> dict:
    """Schema through banli, a template item through banli in a scratch database, then the
    copies through sqlite3: trace rows round by round, item rows with their chain heads."""
    from banli.engine.chain import row_hash

    timings = {}
    started = time.perf_counter()
    remove_db(path)
    scratch = path.with_name(path.name + ".template")
    remove_db(scratch)
    open_store(f"sqlite:///{path}", fresh=True).close()
    store = open_store(f"sqlite:///{scratch}", fresh=True)
    item_row, trace_rows, prefixes = template(store, params["rows_per_item"])
    store.close()
    remove_db(scratch)
    timings["schema"] = time.perf_counter() - started

    rows, per_item = params["rows"], params["rows_per_item"]
    items = -(-rows // per_item)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # a benchmark's scratch data: durability is not the point
    definition_id = conn.execute("SELECT id FROM workflow_definition WHERE workflow_id = ? ORDER BY version DESC",
                                 (WORKFLOW,)).fetchone()[0]
    started = time.perf_counter()
    conn.execute("BEGIN")
    refs = [f"V-{number:07d}" for number in range(1, items + 1)]
    heads = [GENESIS] * items
    counts = [0] * items
    insert_trace = (f"INSERT INTO trace (item_id, {', '.join(TRACE_COLUMNS)}, hash) "
                    f"VALUES ({', '.join(['?'] * (len(TRACE_COLUMNS) + 2))})")
    batch = []
    for number in range(rows):
        index, seq = number % items, number // items + 1
        source = trace_rows[seq - 1]
        fields = (refs[index], seq, source["event"], source["from_state"], source["to_state"], source["actor"],
                  source["occurred_at"], source["recorded_at"], source["data"], source["def_hash"], heads[index])
        digest = row_hash(*fields)
        heads[index] = digest
        counts[index] = seq
        batch.append((index + 1, *fields, digest))
        if len(batch) == BATCH:
            conn.executemany(insert_trace, batch)
            batch.clear()
    conn.executemany(insert_trace, batch)
    timings["trace"] = time.perf_counter() - started

    started = time.perf_counter()
    columns = ("id",) + ITEM_COLUMNS
    insert_item = f"INSERT INTO item ({', '.join(columns)}) VALUES ({', '.join(['?'] * len(columns))})"
    def item_rows():
        for index in range(items):
            state, fields = prefixes[counts[index] - 1]
            values = dict(item_row, ref=refs[index], definition_id=definition_id, seq=counts[index],
                          head_hash=heads[index], version=counts[index], state=state, fields=fields)
            yield (index + 1, *(values[name] for name in ITEM_COLUMNS))

    conn.executemany(insert_item, item_rows())
    conn.execute("CREATE TABLE bench_verify_params (params TEXT NOT NULL)")  # written last: marks a finished build
    conn.execute("INSERT INTO bench_verify_params VALUES (?)", (json.dumps(params, sort_keys=True),))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")  # pages in order in the file, so that a scan by rowid reads it front to back
    conn.close()
    timings["items"] = time.perf_counter() - started
    return timings


# -- the two verifiers -------------------------------------------------------------------------

def banli_verify(path: Path, progress=None, processes: int | None = None) -> dict:
    """banli's verify as `banli audit verify` runs it: at 1,000,000 rows, one worker process per core."""
    from banli.store.audit import verify

    store = open_store(f"sqlite:///{path}", fresh=False)
    try:
        return verify(store, progress, processes=processes)
    finally:
        store.close()


_CHECKPOINTS: dict[str, list[dict]] = {}


def banli_against(path: Path, progress=None) -> dict:
    """banli's verify as `banli audit verify --against FILE` runs it, FILE a checkpoint of the
    whole log (made once, untimed, by the first call)."""
    from banli.store.audit import check, verify
    from banli.store.checkpoints import _checked, document

    store = open_store(f"sqlite:///{path}", fresh=False)
    try:
        if str(path) not in _CHECKPOINTS:
            made = document(check(store).tree, datetime.now(timezone.utc))
            _CHECKPOINTS[str(path)] = [_checked("bench", 1, made)]
        return verify(store, progress, against=_CHECKPOINTS[str(path)])
    finally:
        store.close()


def raw_verify(path: Path, progress=None, as_bytes: bool = False) -> dict:
    """banli's checks on raw sqlite3: one pass by rowid, a dict of chain heads, then the items
    and the operator journal. `as_bytes` fetches text as bytes (no UTF-8 decode and re-encode)."""
    conn = sqlite3.connect(path)
    try:
        if as_bytes:
            conn.text_factory = bytes
            heads, failures, rows = _check_bytes(conn, "", (), progress)
            conn.text_factory = str
        else:
            heads, failures, rows = _check_text(conn, progress)
        return _finish(conn, {item_id: (seq, head if isinstance(head, str) else head.decode())
                              for item_id, (seq, head) in heads.items()}, failures, rows)
    finally:
        conn.close()


def _check_text(conn, progress) -> tuple[dict, list, int]:
    sha256, sep = hashlib.sha256, SEPARATOR
    heads: dict[int, tuple[int, str]] = {}
    failures, rows = [], 0
    for item_id, stored, ref, seq, event, from_state, to_state, actor, occurred, recorded, data, def_hash, prev \
            in conn.execute(f"SELECT item_id, hash, {', '.join(TRACE_COLUMNS)} FROM trace ORDER BY id"):
        rows += 1
        text = sep.join((ref, str(seq), event, from_state, to_state, actor, occurred, recorded, data, def_hash, prev))
        if sha256(text.encode("utf-8")).hexdigest() != stored:
            failures.append((ref, seq, "hash"))
        expected_seq, expected_prev = heads.get(item_id, (0, GENESIS))
        if seq != expected_seq + 1:
            failures.append((ref, seq, "seq"))
        elif prev != expected_prev:
            failures.append((ref, seq, "prev"))
        heads[item_id] = (seq, stored)
        if progress and rows % 10_000 == 0:
            progress(rows)
    return heads, failures, rows


def _check_bytes(conn, where: str, args: tuple, progress) -> tuple[dict, list, int]:
    """The pass on bytes; the heads hold, per item, the first (seq, prev_hash) and the last
    (seq, hash) seen, so that passes over ranges of rowids can be joined (see raw_parallel)."""
    sha256, sep, genesis = hashlib.sha256, SEPARATOR.encode(), GENESIS.encode()
    firsts: dict[int, tuple[int, bytes]] = {}
    heads: dict[int, tuple[int, bytes]] = {}
    failures, rows = [], 0
    for item_id, stored, ref, seq, event, from_state, to_state, actor, occurred, recorded, data, def_hash, prev \
            in conn.execute(f"SELECT item_id, hash, {', '.join(TRACE_COLUMNS)} FROM trace {where} ORDER BY id", args):
        rows += 1
        text = sep.join((ref, b"%d" % seq, event, from_state, to_state, actor, occurred, recorded, data, def_hash, prev))
        if sha256(text).hexdigest().encode() != stored:
            failures.append((ref.decode(), seq, "hash"))
        head = heads.get(item_id)
        if head is None:
            if where:
                firsts[item_id] = (seq, prev)
            elif seq != 1 or prev != genesis:
                failures.append((ref.decode(), seq, "seq" if seq != 1 else "prev"))
        elif seq != head[0] + 1:
            failures.append((ref.decode(), seq, "seq"))
        elif prev != head[1]:
            failures.append((ref.decode(), seq, "prev"))
        heads[item_id] = (seq, stored)
        if progress and rows % 10_000 == 0:
            progress(rows)
    return (heads, firsts) if where else heads, failures, rows


def _range_pass(path: str, low: int, high: int):
    conn = sqlite3.connect(path)
    conn.text_factory = bytes
    try:
        return _check_bytes(conn, "WHERE id >= ? AND id < ?", (low, high), None)
    finally:
        conn.close()


def raw_parallel(path: Path, progress=None, processes: int = 2) -> dict:
    """The bytes pass split into `processes` ranges of rowids, one process each (forked);
    the ranges' chain ends are then joined in order."""
    conn = sqlite3.connect(path)
    try:
        low, high = conn.execute("SELECT min(id), max(id) + 1 FROM trace").fetchone()
        bounds = [low + (high - low) * part // processes for part in range(processes + 1)]
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            parts = pool.starmap(_range_pass, [(str(path), bounds[i], bounds[i + 1]) for i in range(processes)])
        genesis = GENESIS.encode()
        heads: dict[int, tuple[int, bytes]] = {}
        failures, rows = [], 0
        for (part_heads, firsts), part_failures, part_rows in parts:
            failures += part_failures
            rows += part_rows
            for item_id, (seq, prev) in firsts.items():
                expected_seq, expected_prev = heads.get(item_id, (0, genesis))
                if seq != expected_seq + 1 or prev != expected_prev:
                    failures.append((item_id, seq, "chain across ranges"))
            heads.update(part_heads)
        if progress:
            progress(rows)
        return _finish(conn, {item_id: (seq, head.decode()) for item_id, (seq, head) in heads.items()},
                       failures, rows)
    finally:
        conn.close()


def _finish(conn, heads: dict, failures: list, rows: int) -> dict:
    """The chain heads against the item rows, and the operator journal."""
    sha256, sep = hashlib.sha256, SEPARATOR
    items = 0
    for item_id, ref, seq, head in conn.execute("SELECT id, ref, seq, head_hash FROM item"):
        items += 1
        if heads.get(item_id, (0, "")) != (seq, head):
            failures.append((ref, seq, "head"))
    expected_seq, prev = 1, GENESIS
    for seq, action, actor, recorded, data, prev_hash, stored in conn.execute(
            "SELECT seq, action, actor, recorded_at, data, prev_hash, hash FROM journal ORDER BY id"):
        text = sep.join(("@journal", str(seq), action, "", "", actor, recorded, recorded, data, "", prev_hash))
        if sha256(text.encode("utf-8")).hexdigest() != stored or seq != expected_seq or prev_hash != prev:
            failures.append(("@journal", seq, "journal"))
        expected_seq, prev = seq + 1, stored
    return {"ok": not failures, "items": items, "rows": rows, "failures": failures}


def raw_fetch(path: Path, progress=None) -> dict:
    """The floor: the same rows fetched by rowid, nothing checked."""
    conn = sqlite3.connect(path)
    rows = 0
    try:
        for _row in conn.execute(f"SELECT item_id, hash, {', '.join(TRACE_COLUMNS)} FROM trace ORDER BY id"):
            rows += 1
    finally:
        conn.close()
    return {"ok": True, "items": 0, "rows": rows, "failures": []}


BASELINE = "raw sqlite3 (chain checks)"
BANLI = "banli verify"
METHODS = {
    BASELINE: raw_verify,
    BANLI: banli_verify,
    "banli verify, 1 process": lambda path, progress=None: banli_verify(path, progress, processes=1),
    "banli verify --against": banli_against,
    "raw sqlite3, fetch only": raw_fetch,
    # the raw checks on text fetched as bytes (no UTF-8 decode and re-encode), then that on 2 cores
    "raw, bytes": lambda path, progress=None: raw_verify(path, progress, as_bytes=True),
    "raw, bytes, 2 processes": raw_parallel,
}
UNTRACED = {"raw, bytes, 2 processes"}  # its work is in forked children: no tracemalloc or RSS figure


# -- PostgreSQL (--pg) -------------------------------------------------------------------------

def load_postgres(path: Path, url: str) -> float:
    """banli's schema, workflows and test org in the empty database at `url` (through banli),
    then the SQLite database's items and trace rows by COPY; seconds taken (not measured)."""
    import psycopg

    started = time.perf_counter()
    open_store(url, fresh=True).close()
    item_columns = ("id",) + ITEM_COLUMNS
    trace_columns = ("id", "item_id") + TRACE_COLUMNS + ("hash",)
    with sqlite3.connect(path) as source, psycopg.connect(url) as target:
        definition_id = target.execute("SELECT id FROM workflow_definition WHERE workflow_id = %s "
                                       "ORDER BY version DESC", (WORKFLOW,)).fetchone()[0]
        at = item_columns.index("definition_id")
        with target.cursor().copy(f"COPY item ({', '.join(item_columns)}) FROM STDIN") as copy:
            for row in source.execute(f"SELECT {', '.join(item_columns)} FROM item ORDER BY id"):
                copy.write_row(row[:at] + (definition_id,) + row[at + 1:])
        with target.cursor().copy(f"COPY trace ({', '.join(trace_columns)}) FROM STDIN") as copy:
            for row in source.execute(f"SELECT {', '.join(trace_columns)} FROM trace ORDER BY id"):
                copy.write_row(row)
    with psycopg.connect(url, autocommit=True) as target:
        target.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def raw_pg_verify(url: str) -> dict:
    """The raw checks (as raw_verify's) on psycopg: a server-side cursor by id, 10,000 rows a fetch."""
    import psycopg

    with psycopg.connect(url) as conn:
        cursor = conn.cursor(name="raw_verify")
        cursor.itersize = 10_000
        heads, failures, rows = _check_text(cursor, None)  # its execute() returns itself, iterable
        cursor.close()
        return _finish(conn, heads, failures, rows)


def bench_postgres(path: Path, admin_url: str, repeat: int) -> None:
    import uuid

    import psycopg

    name = f"banli_bench_verify_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        version = admin.execute("SHOW server_version").fetchone()[0]
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        print(f"\nPostgreSQL {version}, database {name} (dropped after): loaded in {load_postgres(path, url):.1f} s "
              "(not measured)")

        def banli_pg(processes: int | None) -> dict:
            from banli.store.audit import verify

            store = open_store(url, fresh=False)
            try:
                return verify(store, processes=processes)
            finally:
                store.close()

        methods = {"raw psycopg (chain checks)": lambda: raw_pg_verify(url), "banli verify": lambda: banli_pg(None),
                   "banli verify, 1 process": lambda: banli_pg(1)}
        results = {label: run() for label, run in methods.items()}  # warm-up: shared buffers, imports
        seconds = {label: [] for label in methods}
        print(f"before: {_load()}")
        for _round in range(repeat):
            for label, run in methods.items():
                started = time.perf_counter()
                run()
                seconds[label].append(time.perf_counter() - started)
        print(f"after: {_load()}\n")
        print(f"{'method':<28} {'rows':>8} {'median s':>9} {'min s':>7} {'rows/s':>9} {'× raw':>6}")
        raw = statistics.median(seconds["raw psycopg (chain checks)"])
        for label, times in seconds.items():
            median, count = statistics.median(times), results[label]["rows"]
            print(f"{label:<28} {count:>8} {median:>9.2f} {min(times):>7.2f} {count / median:>9.0f} "
                  f"{raw / median:>6.2f}")
        print("; ".join(f"{label}: {'ok' if result['ok'] else 'FAILED'} ({len(result['failures'])} failures)"
                        for label, result in results.items()))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- measuring --------------------------------------------------------------------------------

def _high_water_kib() -> int:
    """This process's peak RSS. Not ru_maxrss: Linux carries that over from the parent across
    fork and exec, so a spawned child would report the parent's peak."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def _children_high_water(stop: threading.Event, peaks: dict) -> None:
    """Sample the peak RSS (VmHWM) of this process's children every 10 ms until `stop`: banli's
    verify workers. A child's last few milliseconds can be missed."""
    me = str(os.getpid())
    while not stop.wait(0.01):
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    if stat.read().rsplit(")", 1)[1].split()[1] != me:
                        continue
                with open(f"/proc/{pid}/status") as status:
                    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
            except (OSError, IndexError, StopIteration):
                continue  # gone, or not yet exec'd
            peaks[pid] = max(peaks.get(pid, 0), peak)


def _child_peak(name: str, path: str, queue) -> None:
    """In a fresh interpreter: run one method once, report the process's peak RSS and its
    children's (sampled)."""
    if name.startswith(BANLI):  # the imports are part of the command, but not of the verify
        import banli.store.audit  # noqa: F401
    before = _high_water_kib()
    stop, peaks = threading.Event(), {}
    sampler = threading.Thread(target=_children_high_water, args=(stop, peaks))
    sampler.start()
    METHODS[name](Path(path))
    stop.set()
    sampler.join()
    queue.put((before, _high_water_kib(), sum(peaks.values()), len(peaks)))


def peak_rss(name: str, path: Path) -> tuple[int, int, int, int]:
    """(KiB before, KiB peak, KiB peak of its child processes added up, how many) of a spawned
    process running the method once."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child_peak, args=(name, str(path), queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def traced(run, path: Path, total: int) -> tuple[int, list[tuple[int, int]]]:
    """tracemalloc peak of one more (untimed) run, and the current allocation at each tenth of the rows."""
    samples, step = [], max(total // 10, 1)
    next_mark = [step]

    def progress(rows):
        if rows >= next_mark[0]:
            samples.append((rows, tracemalloc.get_traced_memory()[0]))
            next_mark[0] += step

    tracemalloc.start()
    run(path, progress)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, samples


def print_table(rows) -> None:
    print(f"{'method':<28} {'rows':>8} {'median s':>9} {'min s':>7} {'rows/s':>9} {'× raw':>6} {'CPU s':>6} "
          f"{'traced MiB':>10} {'RSS MiB':>8}")
    raw = next((statistics.median(seconds) for name, _n, seconds, *_ in rows if name == BASELINE), None)
    for name, count, seconds, cpu, peak, rss in rows:
        median = statistics.median(seconds)
        memory = f"{peak / 2**20:>10.1f} {rss / 1024:>8.0f}" if peak is not None else f"{'–':>10} {'–':>8}"
        times_raw = f"{raw / median:>6.2f}" if raw else f"{'–':>6}"
        print(f"{name:<28} {count:>8} {median:>9.2f} {min(seconds):>7.2f} {count / median:>9.0f} "
              f"{times_raw} {statistics.median(cpu):>6.2f} {memory}")


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (banli's workers, the pool's)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def bench(path: Path, repeat: int, profile: bool, banli_only: bool = False, memory_runs: bool = True) -> None:
    methods = {name: run for name, run in METHODS.items() if name.startswith(BANLI) or not banli_only}
    print(f"before: {_load()}")
    results = {name: run(path) for name, run in methods.items()}  # warm-up: page cache, imports, statement caches
    seconds = {name: [] for name in methods}
    cpu = {name: [] for name in methods}
    for _round in range(repeat):  # round by round, so that other work on the machine hits every method alike
        for name, run in methods.items():
            started, cpu_started = time.perf_counter(), _cpu_seconds()
            run(path)
            seconds[name].append(time.perf_counter() - started)
            cpu[name].append(_cpu_seconds() - cpu_started)
    print(f"after the timed runs: {_load()}\n")
    rows, memory = [], {}
    for name, run in methods.items():
        if name in UNTRACED or not memory_runs:
            rows.append((name, results[name]["rows"], seconds[name], cpu[name], None, None))
            continue
        peak, samples = traced(run, path, results[name]["rows"])
        before, own_peak, workers_peak, workers = peak_rss(name, path)
        rows.append((name, results[name]["rows"], seconds[name], cpu[name], peak, own_peak + workers_peak))
        memory[name] = (samples, before, own_peak, workers_peak, workers)
    print_table(rows)
    verdicts = [f"{name}: {'ok' if results[name]['ok'] else 'FAILED'}" for name in methods
                if name != "raw sqlite3, fetch only"]
    banli = results[BANLI]
    print(f"\nbanli verify: {banli['rows']} rows of {banli['items']} items, {len(banli['failures'])} failures; "
          + "; ".join(verdicts))
    print("× raw is raw sqlite3's (chain checks) median over the method's; rows/s from the median. CPU s is the median "
          "CPU time of a run, its child processes' included (on a busy machine the wall time of the split methods "
          "suffers most: they need both cores at once). traced MiB is the "
          "tracemalloc peak of one more run (Python allocations of the calling process: not of banli's worker "
          "processes); RSS MiB the peak resident set of a fresh process running the method once (interpreter, "
          "imports and SQLite's page cache included), plus its worker processes' peaks, sampled every 10 ms.")
    for name in (BANLI, "banli verify, 1 process", BASELINE):
        if name not in memory:
            continue
        samples, before, own_peak, workers_peak, workers = memory[name]
        curve = ", ".join(f"{rows // 1000}k {current / 2**20:.1f}" for rows, current in samples)
        print(f"{name}: Python allocations (MiB) held after N rows: {curve}; RSS {before / 1024:.0f} MiB before "
              f"the verify, {own_peak / 1024:.0f} MiB at its peak"
              + (f"; {workers} worker processes, {workers_peak / 1024:.0f} MiB at their peaks together" if workers
                 else ""))
    if profile:
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.runcall(banli_verify, path, None, 1)
        print(f"\nbanli verify in one process under cProfile ({time.perf_counter() - started:.1f} s; profiled runs "
              "are slower), by own time:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(12)
    print(f"end: {_load()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="trace rows (default 1000000)")
    parser.add_argument("--rows-per-item", type=int, default=10, help="trace rows per item (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per method (default 3)")
    parser.add_argument("--db", type=Path, help="the SQLite file, kept (default: one in the temporary directory, "
                                                "removed after the run unless --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the default database for the next run")
    parser.add_argument("--profile", action="store_true", help="cProfile of banli's verify, top 12 by own time")
    parser.add_argument("--pg", metavar="URL", help="also on PostgreSQL: a database created on this server for "
                                                    "the run (the SQLite rows copied in), dropped after")
    parser.add_argument("--pg-only", action="store_true", help="with --pg: skip the SQLite methods")
    parser.add_argument("--banli-only", action="store_true", help="time banli's verify only, not the raw loops")
    parser.add_argument("--no-memory", action="store_true", help="skip the runs that measure memory")
    args = parser.parse_args()
    if args.rows_per_item < 1 or args.rows < 1:
        parser.error("--rows and --rows-per-item must be positive")

    path = args.db or Path(tempfile.gettempdir()) / "banli-bench-verify.db"
    params = {"rows": args.rows, "rows_per_item": args.rows_per_item, "layout": LAYOUT}
    print(f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, {path}")
    try:
        if stored_params(path, "bench_verify_params") == params:
            print("database reused (same parameters)")
        else:
            timings = build(path, params)
            print(f"built in {sum(timings.values()):.1f} s (not measured): schema and template item "
                  f"{timings['schema']:.1f} s, {args.rows} trace rows {timings['trace']:.1f} s, "
                  f"items and VACUUM {timings['items']:.1f} s; {path.stat().st_size / 2**20:.0f} MiB")
        with sqlite3.connect(path) as conn:
            items, rows = conn.execute("SELECT (SELECT count(*) FROM item), (SELECT count(*) FROM trace)").fetchone()
        print(f"{rows} trace rows of {items} items, {args.rows_per_item} per item; {args.repeat} timed runs each\n")
        if not args.pg_only:
            bench(path, args.repeat, args.profile, args.banli_only, not args.no_memory)
        if args.pg:
            bench_postgres(path, args.pg, args.repeat)
    finally:
        if not (args.db or args.keep):
            remove_db(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
