"""Notifications per second of `banli notify deliver` through the `log` channel (target: ≥ 5,000/s).

Fills the outbox of a fresh database with N notifications through the store's outbox insert
(`banli.store.outbox.enqueue_rows`, not the engine: only delivery is timed), writes a
banli.toml whose only channel is `log` (a file in the run's folder), then times
`banli.notify.deliver` as `banli notify deliver` calls it. With `--workers K`, K processes
deliver at once (each with its own log file); the run is timed from the first start to the
last end, and each worker's CPU time is printed (on a busy machine it moves less than the wall time). Afterwards (not timed) it checks that every notification is marked sent, that every
key is in the log files exactly once, and that nothing is pending.

    .venv/bin/python bench/notify.py                       # 80,000 notifications, SQLite (WAL, synchronous=FULL)
    .venv/bin/python bench/notify.py --pg postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/notify.py --pg postgresql://postgres@127.0.0.1:5432/test --workers 2
    .venv/bin/python bench/notify.py --profile             # cProfile of the run, top 20 by own time

`--pg URL` creates a database for the run on that server and drops it after.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import os
import pstats
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from common import open_store  # noqa: E402 - bench/ is on sys.path when run as a script

REF = "16-1-{:06d}"
SUBJECT = "【已逾期】{} 关于加强老旧小区物业管理的建议"
BODY = "县人大常委会代表工委：{}《关于加强老旧小区物业管理的建议》\n当前状态：办理中\n办理期限：2026年6月2日\n" \
       "该事项已超过办理期限，请抓紧办理并及时答复。\n—— banli 办理系统"
CHUNK = 5000  # outbox rows per insert transaction


def fill(store, count: int, at: str) -> None:
    from banli.store.outbox import enqueue_rows

    for start in range(0, count, CHUNK):
        rows = [{"key": f"{REF.format(n)}#7#handling:1>wang", "item_id": None, "ref": REF.format(n),
                 "recipient": "wang", "recipient_name": "王明", "email": None, "subject": SUBJECT.format(REF.format(n)),
                 "body": BODY.format(REF.format(n)), "created_at": at}
                for n in range(start, min(start + CHUNK, count))]
        with store.engine.begin() as connection:
            enqueue_rows(connection, rows)


def write_config(folder: Path, worker: int, batch: int | None) -> Path:
    path = folder / f"banli-{worker}.toml"
    lines = ["[notify]", 'channels = ["log"]'] + ([f"batch = {batch}"] if batch else [])
    lines += ["[notify.log]", f'file = "sent-{worker}.log"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_worker(url: str, config_path: str, profile: bool, results) -> None:
    from banli.config import load_config
    from banli.engine.times import utc_now
    from banli.notify import deliver
    from banli.store.repo import SqlStore

    store = SqlStore(url)
    config = load_config(config_path)
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    counts = deliver(store, config, utc_now(), clock=utc_now)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(20)
    results.put({"counts": counts, "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu})
    store.close()


def check(store, folder: Path, workers: int, count: int) -> list[str]:
    """Every notification sent once: the problems found, or none."""
    from sqlalchemy import func, select

    from banli.store.schema import delivery_t

    keys: list[str] = []
    for worker in range(workers):
        log = folder / f"sent-{worker}.log"
        if log.exists():
            keys += [json.loads(line)["key"] for line in log.read_text(encoding="utf-8").splitlines()]
    problems = []
    if len(keys) != len(set(keys)):
        problems.append(f"{len(keys) - len(set(keys))} keys logged more than once")
    if len(set(keys)) != count:
        problems.append(f"{len(set(keys))} distinct keys logged, not {count}")
    with store.engine.connect() as connection:
        by_status = dict(connection.execute(select(delivery_t.c.status, func.count()).group_by(delivery_t.c.status)).all())
    if by_status != {"sent": count}:
        problems.append(f"deliveries by status: {by_status}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=80_000, help="notifications in the outbox (default 80000)")
    parser.add_argument("--pg", metavar="URL", help="run on PostgreSQL: a database is created there and dropped after")
    parser.add_argument("--workers", type=int, default=1, help="processes delivering at once (default 1)")
    parser.add_argument("--batch", type=int, help="[notify] batch (default: banli's)")
    parser.add_argument("--profile", action="store_true", help="cProfile each worker, top 20 by own time")
    args = parser.parse_args()

    from banli.engine.times import utc_now, utc_text

    with tempfile.TemporaryDirectory(prefix="banli-bench-notify-") as temp:
        folder = Path(temp)
        drop = None
        if args.pg:
            import psycopg

            name = f"banli_bench_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            url = f"{args.pg.rsplit('/', 1)[0]}/{name}"

            def drop() -> None:
                with psycopg.connect(args.pg, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            url = f"sqlite:///{folder / 'banli.db'}"
        try:
            store = open_store(url, fresh=True)
            started = time.perf_counter()
            fill(store, args.count, utc_text(utc_now() - timedelta(minutes=1)))
            filled = time.perf_counter() - started
            configs = [write_config(folder, worker, args.batch) for worker in range(args.workers)]
            load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
            print(f"{args.count:,} notifications in the outbox ({filled:.1f} s, not timed), "
                  f"{'PostgreSQL' if args.pg else 'SQLite (WAL, synchronous=FULL)'}, {args.workers} worker(s); "
                  f"load average {load}")
            results = multiprocessing.Queue()
            processes = [multiprocessing.Process(target=run_worker, args=(url, str(config), args.profile, results))
                         for config in configs]
            started = time.perf_counter()
            for process in processes:
                process.start()
            outcomes = [results.get() for _ in processes]
            for process in processes:
                process.join()
            elapsed = time.perf_counter() - started
            sent = sum(outcome["counts"]["sent"] for outcome in outcomes)
            for number, outcome in enumerate(outcomes):
                print(f"  worker {number}: {outcome['counts']} in {outcome['seconds']:.2f} s "
                      f"({outcome['cpu']:.2f} s of CPU in the worker process)")
            print(f"deliver: {sent:,} sent in {elapsed:.2f} s: {sent / elapsed:,.0f} notifications/s")
            problems = check(store, folder, args.workers, args.count)
            store.close()
        finally:
            if drop:
                drop()
    print("check: every notification sent once" if not problems else "check FAILED: " + "; ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
