"""Time and peak memory of the exports over many overdue items (targets: the ledger of 20,000
items as XLSX < 10 s, the annual report as DOCX < 20 s, memory flat-ish in items).

A SQLite database per size holds N suggestions of session 16-1, all brought to `handling` in
January 2025 through banli's runtime (created, sorted, reviewed, audited, approved, assigned
to one of three units, signed for; written 1,000 items per transaction, not timed), so that
every one of them is overdue from April 2025 on: each is a red row of the ledger and a row
of the annual report's table of problems (表5). Databases are kept in `--db-dir` (default:
the temporary directory) and reused when built with the same parameters.

Each export runs in a process of its own, as `banli ledger export`, `banli report annual
--out` and `banli report bulletin --out` run (build the figures from the store, then write
the file), judged as of 2025-12-31. It prints the wall and CPU seconds of each step (CPU
seconds are the steadier figure on a busy machine; SQLite runs in the process, so they count
the database's work too), the process's peak RSS (VmHWM) and its RSS before the export (after
imports and opening the store), and the size of the file written.

    .venv/bin/python bench/export.py                          # 1,000, 5,000 and 20,000 items
    .venv/bin/python bench/export.py --sizes 1000,5000 --exports ledger.xlsx,annual.docx
    .venv/bin/python bench/export.py --profile annual.docx --sizes 5000

Exports: ledger.xlsx, ledger.csv, annual.docx, annual.html, annual.md, bulletin.docx (the
bulletin of 2025-06: one row per unit, so its document does not grow with the items, its
figures do). `--timeout S` (default 900) stops an export that runs longer and says so.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import open_store, stored_params  # noqa: E402 - bench/ is on sys.path when run as a script

LAYOUT = 1  # bump when the generated items change, so that old databases are rebuilt
SESSION = "16-1"
AS_OF = "2025-12-31T12:00:00+08:00"
PERIOD = "2025-06"
UNITS = (("zjj", "li"), ("czj", "zhao"), ("jyj", "sun"))  # lead unit, the clerk who signs for it
CATEGORIES = ("科教文卫", "工交财贸", "农业农村", "城市建设", "社会建设")
DEPUTIES = ("张三", "李四", "王五")
EXPORTS = ("ledger.xlsx", "annual.docx", "bulletin.docx")
ALL_EXPORTS = ("ledger.xlsx", "ledger.csv", "annual.docx", "annual.html", "annual.md", "bulletin.docx")
CHUNK = 1000  # items per transaction while building


# -- the database -------------------------------------------------------------------------------

def build(path: Path, items: int) -> None:
    """`items` suggestions in `handling` since January 2025, through the runtime (not timed)."""
    from banli.engine.runtime import Runtime

    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    store = open_store(f"sqlite:///{path}", fresh=True)
    runtime = Runtime(store)
    workflow = store.workflows.get("npc-suggestion")
    registrar = runtime.actor("reg")
    for first in range(1, items + 1, CHUNK):
        with store.write() as tx:
            for number in range(first, min(first + CHUNK, items + 1)):
                ref = f"16-1-{number:05d}"
                unit, clerk = UNITS[number % len(UNITS)]
                day = 6 + number % 5  # Monday 6 January 2025 to Friday the 10th
                category = CATEGORIES[number % len(CATEGORIES)]
                runtime.create_in(tx, workflow=workflow, ref=ref, title=f"关于加强社区养老服务的建议（{number}）",
                                  actor=registrar, deputies=[DEPUTIES[number % len(DEPUTIES)]],
                                  fields={"session": SESSION, "category": category}, at=f"2025-01-{day:02d}T09:00")
                steps = [("sort", "reg", {"category": category, "session": SESSION}),
                         ("review", "reg", {}), ("audit", "reg", {}), ("approve", "npc", {}),
                         ("assign", "wang", {"lead_unit": unit, "mode": "单独办理"}),
                         ("sign_for", clerk, {"leader": "局长", "handler": "科员"})]
                for hour, (event, actor, data) in enumerate(steps, start=10):
                    runtime.fire_in(tx, ref, event, actor, data, f"2025-01-{day:02d}T{hour:02d}:00")
    with store.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE bench_export (params TEXT)")
        connection.exec_driver_sql("INSERT INTO bench_export VALUES (?)",
                                   (json.dumps({"items": items, "layout": LAYOUT}),))
    store.close()
    print(f"  built {items} items in {time.perf_counter() - started:.0f} s: {path}", file=sys.stderr)


def database(directory: Path, items: int) -> Path:
    path = directory / f"banli-export-{items}.db"
    if stored_params(path, "bench_export") != {"items": items, "layout": LAYOUT}:
        build(path, items)
    return path


# -- one export, in a process of its own -------------------------------------------------------

def memory_kib(field: str) -> int:
    """VmRSS or VmHWM of this process (ru_maxrss would include what the parent had: fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def export(store, kind: str, out: Path) -> dict[str, float]:
    """What the command behind `kind` runs: the figures from the store, then the file."""
    from datetime import datetime

    as_of = datetime.fromisoformat(AS_OF)
    seconds = {}
    started, cpu = time.perf_counter(), time.process_time()
    if kind.startswith("ledger."):
        from banli.reports.ledger import build_ledger
        from banli.sheets.writing import write_ledger

        built = build_ledger(store, as_of=as_of, session=SESSION)
        seconds["build"], seconds["build_cpu"] = time.perf_counter() - started, time.process_time() - cpu
        write_ledger(built, out)
    elif kind.startswith("annual."):
        from banli.reports.annual import build_annual
        from banli.reports.render import write

        built = build_annual(store, SESSION, as_of)
        seconds["build"], seconds["build_cpu"] = time.perf_counter() - started, time.process_time() - cpu
        write(built.document, out)
    else:
        from banli.reports.bulletin import build_bulletin, write_bulletin

        built = build_bulletin(store, PERIOD, now=as_of, session=SESSION)
        seconds["build"], seconds["build_cpu"] = time.perf_counter() - started, time.process_time() - cpu
        write_bulletin(built, out)
    seconds["write"] = time.perf_counter() - started - seconds["build"]
    seconds["write_cpu"] = time.process_time() - cpu - seconds["build_cpu"]
    return seconds


def child(args) -> int:
    from banli.store.repo import SqlStore

    store = SqlStore(f"sqlite:///{args.db}")
    out = Path(args.out)
    result = {"rss_before": memory_kib("VmRSS")}
    started, cpu = time.perf_counter(), time.process_time()
    if args.mode == "profile":
        profile = cProfile.Profile()
        profile.runcall(export, store, args.child, out)
        print(f"\ncProfile of {args.child} (slower than unprofiled), by cumulative time:", file=sys.stderr)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    else:
        result.update(export(store, args.child, out))
    result.update(total=time.perf_counter() - started, cpu=time.process_time() - cpu, peak=memory_kib("VmHWM"),
                  bytes=out.stat().st_size)
    store.close()
    print(json.dumps(result))
    return 0


def run_child(kind: str, db: Path, out: Path, timeout: float, mode: str = "time") -> dict | None:
    command = [sys.executable, __file__, "--child", kind, "--db", str(db), "--out", str(out), "--mode", mode]
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the run -----------------------------------------------------------------------------------

def load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000", help="numbers of items, comma-separated")
    parser.add_argument("--exports", default=",".join(EXPORTS), help=f"comma-separated, of {', '.join(ALL_EXPORTS)}")
    parser.add_argument("--db-dir", help="where the databases are kept (default: the temporary directory)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds an export may take before it is stopped")
    parser.add_argument("--profile", metavar="EXPORT", help="also run this export under cProfile (top 25)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="time", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    sizes = [int(size) for size in args.sizes.split(",")]
    kinds = args.exports.split(",")
    unknown = [kind for kind in kinds + ([args.profile] if args.profile else []) if kind not in ALL_EXPORTS]
    if unknown:
        parser.error(f"unknown export {', '.join(unknown)}; exports: {', '.join(ALL_EXPORTS)}")
    directory = Path(args.db_dir or tempfile.gettempdir())
    directory.mkdir(parents=True, exist_ok=True)
    databases = {size: database(directory, size) for size in sizes}
    out_dir = Path(tempfile.mkdtemp(prefix="banli-export-"))
    print(f"SQLite, all items overdue, judged as of {AS_OF}; before: {load()}")
    print(f"{'export':<14} {'items':>6} {'build s':>8} {'CPU':>5} {'write s':>8} {'CPU':>5} {'total s':>8} {'CPU s':>6} "
          f"{'peak RSS MiB':>12} {'before':>6} {'file KiB':>9}")
    for size in sizes:
        for kind in kinds:
            out = out_dir / f"{size}-{kind}"
            result = run_child(kind, databases[size], out, args.timeout)
            if result is None:
                print(f"{kind:<14} {size:>6}   stopped after {args.timeout:.0f} s")
            else:
                print(f"{kind:<14} {size:>6} {result['build']:>8.2f} {result['build_cpu']:>5.2f} {result['write']:>8.2f} "
                      f"{result['write_cpu']:>5.2f} {result['total']:>8.2f} {result['cpu']:>6.2f} "
                      f"{result['peak'] / 1024:>12.0f} {result['rss_before'] / 1024:>6.0f} {result['bytes'] / 1024:>9.0f}")
            sys.stdout.flush()
    print(f"after: {load()}")
    if args.profile:
        run_child(args.profile, databases[sizes[-1]], out_dir / f"profiled-{args.profile}", args.timeout, "profile")
    shutil.rmtree(out_dir, ignore_errors=True)  # with a Markdown report's chart folders
    return 0


if __name__ == "__main__":
    sys.exit(main())
