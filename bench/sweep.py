"""How fast banli's reminder sweep finds the due items among a million, against raw sqlite3.

A SQLite database with banli's schema gets N open npc-suggestion items, written straight
into `item` with sqlite3 (not timed; reused by the next run with the same parameters): most
have their next reminder within the coming year, `--due-fraction` are due before the as-of
instant, `--null-fraction` have no reminder left. Each way of asking for the due refs runs
`--repeat` times: banli's `SqlStore.due_refs` (SQLAlchemy Core over the partial index
`ix_item_next_due`), the same SQL on raw sqlite3, the raw SQL with `NOT INDEXED` (a full
scan), and SQLModel ORM entities (what to avoid). `--e2e N` also times `sweep()` acting on
N items brought to `handling` through banli, in a database of their own: banli's batches of
items per transaction, next to the same sweep taking one item per transaction (the baseline).

    .venv/bin/python bench/sweep.py [--items 1000000] [--due-fraction 0.01] [--db FILE] [--keep] [--e2e N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo
from common import open_store, stored_params  # noqa: E402 - bench/ is on sys.path when run as a script

WORKFLOW = "npc-suggestion"
AS_OF = datetime(2026, 6, 1, 0, 0, tzinfo=timezone.utc)
UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"  # banli's utc_text
LAYOUT = 1  # bump when the generated rows change, so that old databases are rebuilt
BATCH = 50_000

DUE_SQL = "SELECT ref FROM item WHERE next_due_at IS NOT NULL AND next_due_at <= ? ORDER BY next_due_at"
SCAN_SQL = DUE_SQL.replace("FROM item", "FROM item NOT INDEXED")


# -- the database ----------------------------------------------------------------------------

def remove_db(path: Path) -> None:
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)


def item_rows(count: int, definition_id: int, due_fraction: float, null_fraction: float, seed: int):
    """Rows for `item`, in ref order; next_due_at in random order with respect to the rows."""
    rng = random.Random(seed)
    year, week, day = 365 * 86400.0, 7 * 86400.0, 86400.0
    for number in range(1, count + 1):
        ref = f"B-{number:07d}"
        created = AS_OF - timedelta(seconds=rng.uniform(30 * day, 200 * day))
        draw = rng.random()
        if draw < null_fraction:
            due = None
            deadline = AS_OF + timedelta(seconds=rng.uniform(-week, year))
        elif draw < null_fraction + due_fraction:
            due = AS_OF - timedelta(seconds=rng.uniform(0, week))  # a sweep that was down for up to a week
            deadline = due + timedelta(days=7)
        else:
            due = AS_OF + timedelta(seconds=rng.uniform(1, year))
            deadline = due + timedelta(days=7)
        at = created.strftime(UTC_FORMAT)
        yield (ref, WORKFLOW, definition_id, f"关于加强物业管理的建议（{number}）", "", "handling", 1, 1,
               hashlib.sha256(ref.encode()).hexdigest(), "{}", at, at, at, deadline.strftime(UTC_FORMAT), "cn", 1,
               due.strftime(UTC_FORMAT) if due else None)


def build(path: Path, params: dict) -> dict:
    """banli's schema through banli, then the items through sqlite3 with item's indexes dropped
    and recreated afterwards (one sort instead of a million random index inserts)."""
    timings = {}
    started = time.perf_counter()
    remove_db(path)
    open_store(f"sqlite:///{path}", fresh=True).close()
    timings["schema"] = time.perf_counter() - started

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # a benchmark's scratch data: durability is not the point
    definition_id = conn.execute("SELECT id FROM workflow_definition WHERE workflow_id = ? ORDER BY version DESC",
                                 (WORKFLOW,)).fetchone()[0]
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'item' "
                           "AND sql IS NOT NULL").fetchall()
    insert = ("INSERT INTO item (ref, workflow_id, definition_id, title, content, state, version, seq, head_hash, "
              "fields, created_at, entered_at, last_at, deadline, deadline_basis, entered_seq, next_due_at) "
              f"VALUES ({', '.join(['?'] * 17)})")
    started = time.perf_counter()
    conn.execute("BEGIN")
    for name, _sql in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.executemany(insert, item_rows(params["items"], definition_id, params["due_fraction"],
                                       params["null_fraction"], params["seed"]))
    timings["rows"] = time.perf_counter() - started
    started = time.perf_counter()
    for _name, sql in indexes:
        conn.execute(sql)
    conn.execute("CREATE TABLE bench_sweep_params (params TEXT NOT NULL)")  # written last: marks a finished build
    conn.execute("INSERT INTO bench_sweep_params VALUES (?)", (json.dumps(params, sort_keys=True),))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    timings["indexes"] = time.perf_counter() - started
    return timings


# -- the ways of asking ----------------------------------------------------------------------

def methods(store, conn, as_of: str) -> list[tuple[str, callable]]:
    from sqlmodel import Session, select

    from banli.store.tables import Item

    def banli_core():
        return store.due_refs(as_of)

    def raw():
        return [ref for (ref,) in conn.execute(DUE_SQL, (as_of,))]

    def raw_scan():
        return [ref for (ref,) in conn.execute(SCAN_SQL, (as_of,))]

    def orm():
        query = select(Item).where(Item.next_due_at.is_not(None), Item.next_due_at <= as_of).order_by(Item.next_due_at)
        with Session(store.engine) as session:
            return [item.ref for item in session.exec(query).all()]

    return [("banli due_refs (Core)", banli_core), ("raw sqlite3", raw),
            ("raw sqlite3, NOT INDEXED (full scan)", raw_scan), ("SQLModel ORM entities", orm)]


def measure(run, repeat: int) -> tuple[list[str], list[float], int]:
    """(result, seconds per run, tracemalloc peak bytes of one more, untimed, run)."""
    result = run()  # warm-up: page cache, statement caches, pool
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def banli_statement(store, as_of: str) -> tuple[str, tuple]:
    """The SQL and parameters banli's `due_refs` sends to the driver."""
    from sqlalchemy import event

    seen = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.due_refs(as_of)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    return next((sql, params) for sql, params in seen if "next_due_at" in sql)


def print_plan(conn, title: str, sql: str, params) -> str:
    rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    print(f"{title}:\n    {' '.join(sql.split())}")
    for row in rows:
        print(f"    plan: {row[-1]}")
    return " ".join(row[-1] for row in rows)


def print_table(rows) -> None:
    print(f"{'method':<38} {'due':>7} {'median ms':>10} {'min ms':>8} {'× raw':>6} {'peak KiB':>9}")
    raw_median = next(statistics.median(s) for name, _n, s, _p in rows if name == "raw sqlite3")
    for name, count, seconds, peak in rows:
        median = statistics.median(seconds)
        print(f"{name:<38} {count:>7} {median * 1000:>10.2f} {min(seconds) * 1000:>8.2f} "
              f"{median / raw_median:>6.2f} {peak / 1024:>9.0f}")


def bench_query(path: Path, repeat: int) -> None:
    as_of = AS_OF.strftime(UTC_FORMAT)
    store = open_store(f"sqlite:///{path}", fresh=False)
    conn = sqlite3.connect(path)
    try:
        total, with_due = conn.execute("SELECT count(*), count(next_due_at) FROM item").fetchone()
        print(f"{total} items, {with_due} with a reminder to come; as of {as_of} (UTC)\n")
        sql, params = banli_statement(store, as_of)
        plan = print_plan(conn, "banli's query", sql, params)
        print_plan(conn, "full-scan baseline", SCAN_SQL, (as_of,))
        if "ix_item_next_due" not in plan:
            print("WARNING: banli's query does not use ix_item_next_due")
        print()
        rows, results = [], {}
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for name, run in methods(store, conn, as_of):
            result, seconds, peak = measure(run, repeat)
            results[name] = result
            rows.append((name, len(result), seconds, peak))
            if name.startswith("banli"):
                rss_banli = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print_table(rows)
        reference = results["raw sqlite3"]
        same = all(result == reference for result in results.values())
        print(f"\nall methods return the same {len(reference)} refs in the same order: {'yes' if same else 'NO'}")
        print(f"process peak RSS (ru_maxrss): {rss_before / 1024:.0f} MiB before the queries, "
              f"{rss_banli / 1024:.0f} MiB after banli's; peak KiB above is tracemalloc "
              "(Python allocations of one call; SQLite's page cache not included)")
    finally:
        conn.close()
        store.close()
    if not same:
        raise SystemExit("the methods disagree about the due items")


# -- end to end ------------------------------------------------------------------------------

def e2e_database(path: Path, count: int, now: datetime) -> float:
    """`count` items brought to `handling` through banli (as tests/integration/test_sweep.py
    assigned_on(): reply due at the end of 2 June 2026), 500 per transaction; returns seconds."""
    from banli.engine.runtime import Runtime

    remove_db(path)
    started = time.perf_counter()
    store = open_store(f"sqlite:///{path}", fresh=True)
    runtime = Runtime(store, now=lambda: now)
    steps = [
        ("reg", "sort", {"category": "城市建设"}, "2026-01-06T09:00"), ("reg", "review", {}, "2026-01-07T09:00"),
        ("reg", "audit", {}, "2026-01-08T09:00"), ("npc", "approve", {}, "2026-01-09T09:00"),
        ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}, "2026-03-02T09:00"),
        ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-03-02T15:00"),
    ]
    workflow, registrar = store.workflows.get(WORKFLOW), runtime.actor("reg")
    for first in range(0, count, 500):
        with store.write() as tx:
            for number in range(first, min(first + 500, count)):
                ref = f"E-{number:06d}"
                runtime.create_in(tx, workflow=workflow, ref=ref, title="关于城区道路积水治理的建议", actor=registrar,
                                  deputies=["张三"], fields={"category": "城市建设"}, at="2026-01-05T09:00")
                for user, event, data, at in steps:
                    runtime.fire_in(tx, ref, event, user, data, at)
    store.close()
    with sqlite3.connect(path) as conn:  # everything in the main file, so that a copy is the whole database
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - started


def high_water_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def reset_high_water() -> bool:
    """Start the peak RSS afresh from the current RSS (Linux: clear_refs 5); False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def e2e_run(source: Path, work: Path, now: datetime, as_of: datetime, batch: int | None, traced: bool) -> dict:
    """One `sweep()` on a copy of the set-up database; `batch` None is banli's own batch size."""
    from banli.engine.runtime import Runtime
    from banli.engine.sweep import sweep
    from banli.store.audit import verify
    from banli.store.repo import SqlStore

    remove_db(work)
    shutil.copyfile(source, work)
    store_class = SqlStore if batch is None else type("Batched", (SqlStore,), {"sweep_batch": batch})
    store = store_class(f"sqlite:///{work}")
    runtime = Runtime(store, now=lambda: now)
    store.workflows.get(WORKFLOW)  # compiled before the clock starts, as in a running scheduler
    result = {"batch": store.sweep_batch}
    rss_reset = reset_high_water()
    rss_before = high_water_kib()
    if traced:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    report = sweep(runtime, as_of)
    result.update(seconds=time.perf_counter() - started, cpu=time.process_time() - cpu, items=report.items,
                  reminders=len(report.actions), notifications=report.notifications, events=report.events)
    if traced:
        result["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    result["rss_growth"] = high_water_kib() - rss_before if rss_reset else None
    result["again"] = sweep(runtime, as_of).items
    result["verified"] = verify(store)
    with store.engine.connect() as connection:
        result["rows"] = tuple(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                               for table in ("reminder", "notification", "trace"))
    store.close()
    remove_db(work)
    return result


def bench_e2e(directory: Path, count: int) -> None:
    """`sweep()` acting on `count` items whose reminders are due: banli's batches, next to the
    same sweep taking one item per transaction (the baseline), each on a copy of one database."""
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 9, 1, 12, tzinfo=zone)
    as_of = datetime(2026, 6, 4, 9, tzinfo=zone)  # the `before` rule and the `overdue` one (fires urge) are due
    source, work = directory / "banli-bench-sweep-e2e.db", directory / "banli-bench-sweep-e2e-run.db"
    try:
        setup = e2e_database(source, count, now)
        runs = [("one item per transaction", e2e_run(source, work, now, as_of, 1, False)),
                ("banli sweep", e2e_run(source, work, now, as_of, None, False))]
        traced = e2e_run(source, work, now, as_of, None, True)
    finally:
        remove_db(source)
        remove_db(work)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"\nend to end: sweep() as of {as_of.isoformat()} over {count} items in handling (set up through "
          f"banli in {setup:.1f} s, not timed), synchronous=FULL; load average {load}")
    print(f"{'method':<26} {'batch':>5} {'items':>6} {'remind.':>7} {'notif.':>6} {'events':>6} {'seconds':>8} "
          f"{'CPU s':>6} {'remind./s':>9} {'10k remind. s':>13} {'× base':>6} {'RSS+ MiB':>8}")
    base_rate = runs[0][1]["reminders"] / runs[0][1]["seconds"]
    for name, run in runs:
        rate = run["reminders"] / run["seconds"]
        growth = f"{run['rss_growth'] / 1024:.1f}" if run["rss_growth"] is not None else "–"
        print(f"{name:<26} {run['batch']:>5} {run['items']:>6} {run['reminders']:>7} {run['notifications']:>6} "
              f"{run['events']:>6} {run['seconds']:>8.2f} {run['cpu']:>6.2f} {rate:>9.0f} {10_000 / rate:>13.2f} "
              f"{rate / base_rate:>6.2f} {growth:>8}")
    banli = runs[1][1]
    per_item = banli["reminders"] / max(banli["items"], 1)
    print(f"    '10k remind. s': 10,000 reminders at that rate ({per_item:.0f} per item here: "
          f"{10_000 / max(per_item, 1):.0f} items); RSS+: the process's peak RSS during the sweep over its RSS before")
    print(f"    peak Python allocation of banli's sweep (tracemalloc, one more, untimed run): "
          f"{traced['traced_peak'] / 2**20:.1f} MiB")
    failed = False
    for name, run in runs + [("traced run", traced)]:
        ok = run["verified"]["ok"] and run["again"] == 0 and run["rows"] == runs[0][1]["rows"]
        failed = failed or not ok
        print(f"    {name}: a second sweep found {run['again']} items; reminder, notification and trace rows "
              f"{run['rows']}; trace verified: {'ok' if run['verified']['ok'] else 'FAILED'}"
              f"{'' if ok else '  <- WRONG'}")
    if failed:
        raise SystemExit("the end-to-end sweeps did not all do the same work once, or a trace failed to verify")


# -- running ---------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="open items in the database (default 1000000)")
    parser.add_argument("--due-fraction", type=float, default=0.01, help="share due by the as-of instant (0.01)")
    parser.add_argument("--null-fraction", type=float, default=0.2, help="share with no reminder left (0.2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per method (default 7)")
    parser.add_argument("--db", type=Path, help="the SQLite file, kept (default: one in the temporary directory, "
                                                "removed after the run unless --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the default database for the next run")
    parser.add_argument("--e2e", type=int, metavar="N", help="also time sweep() acting on N due items")
    args = parser.parse_args()
    if not 0 <= args.due_fraction + args.null_fraction <= 1:
        parser.error("--due-fraction plus --null-fraction must be between 0 and 1")

    path = args.db or Path(tempfile.gettempdir()) / "banli-bench-sweep.db"
    params = {"items": args.items, "due_fraction": args.due_fraction, "null_fraction": args.null_fraction,
              "seed": args.seed, "as_of": AS_OF.isoformat(), "layout": LAYOUT}
    print(f"SQLite {sqlite3.sqlite_version}, {path}")
    try:
        if stored_params(path, "bench_sweep_params") == params:
            print("database reused (same parameters)")
        else:
            timings = build(path, params)
            print(f"built in {sum(timings.values()):.1f} s (not measured): banli schema, workflows and org "
                  f"{timings['schema']:.1f} s, {args.items} rows {timings['rows']:.1f} s, "
                  f"indexes {timings['indexes']:.1f} s; {path.stat().st_size / 2**20:.0f} MiB")
        bench_query(path, args.repeat)
        if args.e2e:
            bench_e2e(path.parent, args.e2e)
    finally:
        if not (args.db or args.keep):
            remove_db(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
