"""Seconds to build and write the ledger (台账) and the annual report of a demo year of
`--suggestions` items (5,000 by default), as `banli ledger export` and `banli report annual`
do, now and as of an instant mid-year.

The database is the demo county's year played through the runtime (`banli.demo.year`,
co-units, re-handling and the look-back included); it is built once (not timed) and kept at
`--db` for the next run with the same size.

    .venv/bin/python bench/ledger.py [--suggestions 5000] [--db /tmp/ledger-5000.db] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from common import stored_params  # noqa: E402 - bench/ is on sys.path when run as a script

SESSION = "16-1"
LAYOUT = 1  # bump when the generated year changes, so that old databases are rebuilt


def build(path: Path, suggestions: int) -> None:
    import json

    from banli.demo.timeline import YEAR_END
    from banli.demo.year import play_year, prepare
    from banli.engine.definitions import builtin_files, register_file
    from banli.engine.runtime import Runtime
    from banli.store.repo import SqlStore
    from banli.store.schema import upgrade

    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    store = SqlStore(f"sqlite:///{path}")
    upgrade(store.engine)
    for definition in builtin_files():
        register_file(store, definition, "bench")
    prepare(store)
    started = time.perf_counter()
    summary = play_year(store, Runtime(store, now=lambda: YEAR_END), suggestions=suggestions,
                        progress=lambda done, total: done % 500 or print(f"  played {done}/{total}", file=sys.stderr))
    with store.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE bench_ledger (params TEXT)")
        connection.exec_driver_sql("INSERT INTO bench_ledger VALUES (?)",
                                   (json.dumps({"suggestions": suggestions, "layout": LAYOUT}),))
    store.close()
    print(f"  built in {time.perf_counter() - started:.0f} s: {summary['trace_rows']} trace rows", file=sys.stderr)


def timed(run, repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of `repeat` runs (CPU time is steadier on a busy machine;
    SQLite runs in the process, so it counts the database's work too)."""
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suggestions", type=int, default=5000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile of one ledger build, top 15")
    args = parser.parse_args()
    path = args.db or Path(tempfile.gettempdir()) / f"banli-ledger-{args.suggestions}.db"
    if stored_params(path, "bench_ledger") != {"suggestions": args.suggestions, "layout": LAYOUT}:
        build(path, args.suggestions)

    from banli.demo.timeline import ZONE
    from banli.reports.annual import build_annual
    from banli.reports.ledger import build_ledger
    from banli.sheets.writing import write_ledger
    from banli.store.repo import SqlStore

    store = SqlStore(f"sqlite:///{path}")
    year_end, mid_year = datetime(2023, 5, 10, 9, 0, tzinfo=ZONE), datetime(2022, 7, 1, tzinfo=ZONE)
    out = Path(tempfile.mkdtemp())
    rows = len(build_ledger(store, as_of=year_end).rows)
    print(f"{rows} ledger rows, {path}")
    cases = [
        ("ledger, built", lambda: build_ledger(store, as_of=year_end)),
        ("ledger, built as of 2022-07-01", lambda: build_ledger(store, as_of=mid_year)),
        ("ledger export .xlsx", lambda: write_ledger(build_ledger(store, as_of=year_end), out / "ledger.xlsx")),
        ("ledger export .csv", lambda: write_ledger(build_ledger(store, as_of=year_end), out / "ledger.csv")),
        ("annual report figures", lambda: build_annual(store, SESSION, year_end)),
    ]
    for name, run in cases:
        wall, cpu = timed(run, args.repeat)
        print(f"  {name:34} {wall:6.2f} s  (CPU {cpu:5.2f} s)")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(build_ledger, store, as_of=year_end)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(15)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
