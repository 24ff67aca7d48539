"""Events per second of banli's `fire`, against raw sqlite3 / psycopg doing the same writes.

Modes: `fire` (one transaction per event, `Runtime.fire`), `replay` (a round's events in one
transaction, as `banli replay --atomic` does), and for each a raw baseline: read the item's
chain head, update the item with the version check, insert the hash-chained trace row.
The event is `urge` by the supervisor on npc-suggestion items in `handling`: internal, no
state change, no side effects. Raw and banli take turns (fire: every 100 events; replay:
every round), so that both meet the same load. Every database's trace is checked with banli's `verify`.

    .venv/bin/python bench/fire.py [--events 5000] [--rounds 5] [--synchronous FULL|NORMAL] [--pg URL] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo
from common import TO_HANDLING, open_store  # noqa: E402 - bench/ is on sys.path when run as a script

WORKFLOW = "npc-suggestion"
ZONE = ZoneInfo("Asia/Shanghai")  # the workflow's timezone: trace times are local text
EVENT, ACTOR = "urge", "wang"
# `fire` turns are short: an fsync's cost on a shared disk changes within a second
FIRE_TURN = 100
from banli.engine.chain import GENESIS, SEPARATOR  # noqa: E402


# -- banli ---------------------------------------------------------------------------------

def make_items(store, prefix: str, count: int) -> list[str]:
    """`count` suggestions brought to `handling`, through banli (not timed)."""
    from banli.engine.runtime import Runtime

    runtime = Runtime(store)
    refs = [f"{prefix}-{number:04d}" for number in range(count)]
    for ref in refs:
        runtime.create(workflow_id=WORKFLOW, ref=ref, title="关于加强物业管理的建议", actor="reg",
                       deputies=["张三"], fields={"category": "城市建设"})
        for event, actor, data in TO_HANDLING:
            runtime.fire(ref, event, actor, data)
    return refs


def banli_fire(store, refs: list[str], events: int, offset: int = 0) -> None:
    from banli.engine.runtime import Runtime

    runtime = Runtime(store)
    for number in range(offset, offset + events):
        runtime.fire(refs[number % len(refs)], EVENT, ACTOR, {"note": f"催办 {number}"})


def banli_replay(store, refs: list[str], events: int, offset: int = 0) -> None:
    from banli.engine.runtime import Runtime

    runtime = Runtime(store)
    with store.write() as tx:
        for number in range(offset, offset + events):
            runtime.fire_in(tx, refs[number % len(refs)], EVENT, ACTOR, {"note": f"催办 {number}"}, None)


# -- raw -----------------------------------------------------------------------------------

class RawSqlite:
    """sqlite3 with banli's PRAGMAs and BEGIN IMMEDIATE, no ORM, no engine."""

    param = "?"

    def __init__(self, path: str, synchronous: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=60)
        for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "foreign_keys=ON", "busy_timeout=60000"):
            self.conn.execute(f"PRAGMA {pragma}")

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def execute(self, sql: str, args: tuple):
        return self.conn.execute(sql, args)

    def close(self) -> None:
        self.conn.close()


class RawPostgres:
    """psycopg 3 with explicit BEGIN/COMMIT (banli's isolation: read committed)."""

    param = "%s"

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def execute(self, sql: str, args: tuple):
        return self.conn.execute(sql, args)

    def close(self) -> None:
        self.conn.close()


def raw_events(db, refs: list[str], events: int, offset: int = 0, batched: bool = False) -> None:
    """The writes banli makes for an event that keeps the state, hash chain included."""
    p = db.param
    read = f"SELECT id, state, version, seq, head_hash, definition_id FROM item WHERE ref = {p}"
    update = (f"UPDATE item SET seq = {p}, head_hash = {p}, version = {p}, last_at = {p} "
              f"WHERE id = {p} AND version = {p}")
    append = ("INSERT INTO trace (item_id, ref, seq, event, from_state, to_state, actor, occurred_at, recorded_at, "
              f"data, def_hash, prev_hash, hash) VALUES ({', '.join([p] * 13)})")
    def_hashes: dict[int, str] = {}
    if batched:
        db.begin()
    for number in range(offset, offset + events):
        ref = refs[number % len(refs)]
        now = datetime.now(timezone.utc)
        if not batched:
            db.begin()
        item_id, state, version, seq, head, definition_id = db.execute(read, (ref,)).fetchone()
        def_hash = def_hashes.get(definition_id)
        if def_hash is None:
            def_hash = def_hashes[definition_id] = db.execute(
                f"SELECT hash FROM workflow_definition WHERE id = {p}", (definition_id,)).fetchone()[0]
        seq, prev, local = seq + 1, head or GENESIS, now.astimezone(ZONE).isoformat()
        data = json.dumps({"note": f"催办 {number}"}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        fields = (ref, str(seq), EVENT, state, state, ACTOR, local, local, data, def_hash, prev)
        digest = hashlib.sha256(SEPARATOR.join(fields).encode("utf-8")).hexdigest()
        cursor = db.execute(update, (seq, digest, version + 1, now.strftime("%Y-%m-%dT%H:%M:%S.%f"), item_id, version))
        if cursor.rowcount != 1:
            raise RuntimeError(f"{ref} changed under the benchmark")
        db.execute(append, (item_id, ref, seq, *fields[2:], digest))
        if not batched:
            db.commit()
    if batched:
        db.commit()


# -- running -------------------------------------------------------------------------------

def bench_backend(name: str, url_for, raw_for, args):
    """Rows (mode, events, seconds, raw seconds) for one backend, with --profile also the
    cProfile of banli's runs. Each mode runs raw and banli on their own items in alternating
    turns (`fire`: 100 events; replay: `--rounds`, a transaction each), which goes first
    alternating too, so that both meet the same load from the rest of the machine: on a shared
    2-core machine with a shared disk it changes within seconds."""
    modes = [  # (banli mode, raw mode, events per turn, banli runner, raw runner); a runner takes (events, offset)
        ("fire", "raw, 1 tx/event", FIRE_TURN,
         lambda store, refs: lambda n, o: banli_fire(store, refs, n, o),
         lambda db, refs: lambda n, o: raw_events(db, refs, n, o)),
        ("replay --atomic", "raw, 1 tx/round", max(1, args.events // args.rounds),
         lambda store, refs: lambda n, o: banli_replay(store, refs, n, o),
         lambda db, refs: lambda n, o: raw_events(db, refs, n, o, batched=True)),
    ]
    rows, stores, profiles = [], [], {}
    for mode, raw_mode, per_round, banli_runner, raw_runner in modes:
        runs, dbs = {}, []
        for kind in ("raw", "banli"):
            key = f"{mode.split()[0]}-{kind}"
            url, fresh = url_for(key)
            store = open_store(url, fresh)
            stores.append(store)
            refs = make_items(store, key, args.items)
            db = raw_for(url) if kind == "raw" else None
            dbs.append(db)
            runs[kind] = raw_runner(db, refs) if db else banli_runner(store, refs)
            runs[kind](args.items, 0)  # warm-up: compiled workflow, statement caches, pool
        seconds = {"raw": 0.0, "banli": 0.0}
        profile = profiles[mode] = cProfile.Profile() if args.profile else None
        for number in range(max(1, args.events // per_round)):
            offset = args.items + number * per_round
            for kind in (("raw", "banli") if number % 2 == 0 else ("banli", "raw")):
                started = time.perf_counter()
                if profile and kind == "banli":
                    profile.runcall(runs[kind], per_round, offset)
                else:
                    runs[kind](per_round, offset)
                seconds[kind] += time.perf_counter() - started
        for db in dbs:
            if db:
                db.close()
        events = per_round * max(1, args.events // per_round)
        rows.append((f"{name} {raw_mode}", events, seconds["raw"], None))
        rows.append((f"{name} banli {mode}", events, seconds["banli"], seconds["raw"]))
    return rows, stores, profiles


def report(name: str, rows, stores, profiles) -> None:
    print_table(rows)
    print("trace verified:", verify_all(stores))
    for mode, profile in profiles.items():
        if profile:
            print(f"\n{name}, banli {mode} under cProfile (slower than unprofiled; its row above is profiled too):")
            pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(12)


def verify_all(stores) -> str:
    from banli.store.audit import verify

    seen, rows, ok = set(), 0, True
    for store in stores:
        url = str(store.engine.url)
        if url not in seen:
            seen.add(url)
            result = verify(store)
            rows += result["rows"]
            ok = ok and result["ok"]
        store.close()
    return f"{'ok' if ok else 'FAILED'} ({rows} trace rows in {len(seen)} database(s))"


def print_table(rows) -> None:
    print(f"{'mode':<38} {'events':>7} {'seconds':>8} {'events/s':>9} {'vs raw':>7}")
    for mode, events, seconds, baseline in rows:
        ratio = f"{baseline / seconds:.2f}" if baseline else "1.00"
        print(f"{mode:<38} {events:>7} {seconds:>8.3f} {events / seconds:>9.0f} {ratio:>7}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000, help="timed events per mode (default 5000)")
    parser.add_argument("--items", type=int, default=100, help="items the events go round-robin over (default 100)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="replay rounds, raw and banli taking turns, each one transaction (default 5: "
                             "1000 events each); `fire` takes turns every 100 events")
    parser.add_argument("--db-dir", help="where the SQLite files go (default: a temporary directory, removed after)")
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL", type=str.upper)
    parser.add_argument("--pg", metavar="URL", help="also run on PostgreSQL: a database is created there and dropped")
    parser.add_argument("--profile", action="store_true", help="profile banli's runs (cProfile, top 12 per mode)")
    args = parser.parse_args()
    os.environ["BANLI_SQLITE_SYNCHRONOUS"] = args.synchronous  # read when banli opens its engine

    directory = Path(args.db_dir or tempfile.mkdtemp(prefix="banli-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    files = {}

    def sqlite_url(key: str) -> tuple[str, bool]:
        path = directory / f"{key}.db"
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        files[f"sqlite:///{path}"] = str(path)
        return f"sqlite:///{path}", True

    print(f"SQLite {sqlite3.sqlite_version}, WAL, synchronous={args.synchronous}, {directory}; "
          f"{args.events} events over {args.items} items per mode (fire: turns of {FIRE_TURN}; replay: "
          f"{args.rounds} rounds, a transaction each); "
          f"load average {os.getloadavg()[0]:.2f}")
    try:
        report("sqlite", *bench_backend("sqlite", sqlite_url, lambda url: RawSqlite(files[url], args.synchronous), args))
    finally:
        if not args.db_dir:
            shutil.rmtree(directory, ignore_errors=True)

    if args.pg:
        import psycopg

        name = f"banli_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            version = admin.execute("SHOW server_version").fetchone()[0]
        url = args.pg.rsplit("/", 1)[0] + "/" + name
        created = set()

        def pg_url(_key: str) -> tuple[str, bool]:
            fresh = not created
            created.add(url)
            return url, fresh

        print(f"\nPostgreSQL {version}, database {name} (dropped after); load average {os.getloadavg()[0]:.2f}")
        try:
            report("pg", *bench_backend("pg", pg_url, RawPostgres, args))
        finally:
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
