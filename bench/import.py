"""Time and memory of `banli item import` on a large file (target: 100,000 rows in < 5 s, < 300 MB).

Generates a CSV of N suggestions (GB18030, as Excel writes it on a Chinese Windows; `--xlsx`
for a workbook instead), imports it into a fresh SQLite database through the steps
`banli item import` runs (read → check → register, `banli.engine.importer`), and reports the
wall time of each step and the peak memory of the process (ru_maxrss). `--tracemalloc` runs
a second import with tracemalloc on for the peak of Python allocations (slower; its times are
not the ones to quote). `--profile` prints the top of a cProfile of a third import.

    .venv/bin/python bench/import.py [--rows 100000] [--xlsx] [--tracemalloc] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import pstats
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from common import open_store  # noqa: E402 - bench/ is on sys.path when run as a script

HEADER = ["编号", "标题", "代表", "类别", "届次", "提交日期", "内容"]
CATEGORIES = ["科教文卫", "工交财贸", "农业农村", "城市建设", "社会建设"]
TOPICS = ["老旧小区物业管理", "农村公交线路", "中小学食堂条件", "特色农业合作社", "城区停车秩序", "社区养老服务",
          "河道综合治理", "背街小巷路灯", "基层医疗人才", "农贸市场改造"]
DEPUTIES = ["张三", "李四", "王五"]


def rows(count: int, seed: int = 7):
    rng = random.Random(seed)
    start = date(2026, 1, 5)
    for number in range(1, count + 1):
        topic = rng.choice(TOPICS)
        yield [f"16-1-{number:06d}", f"关于加强{topic}的建议（{number}）", "、".join(rng.sample(DEPUTIES, rng.randint(1, 3))),
               rng.choice(CATEGORIES), "十六届一次", (start + timedelta(days=rng.randint(0, 20))).isoformat(),
               f"{topic}方面存在的问题较多，建议有关部门统筹研究、分步解决。" * rng.randint(1, 3)]


def write_csv(path: Path, count: int) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows(count))
    path.write_bytes(buffer.getvalue().encode("gb18030"))


def write_xlsx(path: Path, count: int) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows(count):
        row[5] = datetime.fromisoformat(row[5])
        sheet.append(row)
    workbook.save(path)


def fresh_store(path: Path):
    """A new SQLite database with the schema, the built-in workflows and the test org."""
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    return open_store(f"sqlite:///{path}", fresh=True)


def run_import(store, file: Path) -> dict[str, float]:
    """`banli item import FILE` step by step (the same functions `import_file` calls), timed."""
    from banli.engine.importer import check, read_sheet, register, registering_actor
    from banli.engine.runtime import Runtime

    runtime = Runtime(store)
    seconds = {}
    started = time.perf_counter()
    actor = registering_actor(runtime, "reg")
    workflow = store.workflow("npc-suggestion")
    sheet = read_sheet(file)
    seconds["read"] = time.perf_counter() - started
    mark = time.perf_counter()
    plan = check(runtime, workflow, sheet)
    del sheet  # as in import_file: the rows live on in the plan only
    seconds["check"] = time.perf_counter() - mark
    mark = time.perf_counter()
    imported = register(runtime, plan, actor)
    seconds["write"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - started
    if imported != plan.rows:
        raise RuntimeError(f"imported {imported} of {plan.rows} rows")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true", help="an XLSX workbook instead of a GB18030 CSV")
    parser.add_argument("--tracemalloc", action="store_true", help="a second run with tracemalloc: peak allocations")
    parser.add_argument("--profile", action="store_true", help="a third run under cProfile: the top 25 by own time")
    parser.add_argument("--db-dir", help="where files go (default: a temporary directory, removed after)")
    args = parser.parse_args()

    directory = Path(args.db_dir or tempfile.mkdtemp(prefix="banli-import-"))
    directory.mkdir(parents=True, exist_ok=True)
    try:
        file = directory / ("suggestions.xlsx" if args.xlsx else "suggestions.csv")
        started = time.perf_counter()
        (write_xlsx if args.xlsx else write_csv)(file, args.rows)
        print(f"{file.name}: {args.rows} rows, {file.stat().st_size / 1e6:.1f} MB, "
              f"generated in {time.perf_counter() - started:.1f} s (not counted)")
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        store = fresh_store(directory / "import.db")
        seconds = run_import(store, file)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        with store.engine.connect() as connection:
            items, traces = (connection.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("item", "trace"))
        store.close()
        print(f"imported {items} items ({traces} trace rows) into SQLite (WAL, synchronous=FULL)")
        print("  " + ", ".join(f"{step} {value:.2f} s" for step, value in seconds.items())
              + f"; {args.rows / seconds['total']:.0f} rows/s")
        print(f"  peak RSS {peak / 1024:.0f} MB (before the import: {baseline / 1024:.0f} MB)")

        if args.tracemalloc:
            store = fresh_store(directory / "traced.db")
            tracemalloc.start()
            run_import(store, file)
            _current, traced = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            store.close()
            print(f"  tracemalloc peak {traced / 1e6:.0f} MB (Python allocations, second run)")
        if args.profile:
            store = fresh_store(directory / "profiled.db")
            profile = cProfile.Profile()
            profile.runcall(run_import, store, file)
            store.close()
            print("\ncProfile of a third import (slower than unprofiled), by own time:")
            pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(25)
    finally:
        if not args.db_dir:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
