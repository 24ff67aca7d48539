"""Time and memory of `banli item import` on a large file (target: 100,000 rows in < 5 s, < 300 MB).

Generates a file of N suggestions (a GB18030 CSV, as Excel writes it on a Chinese Windows;
`--xlsx` for a workbook laid out as Excel writes one) and imports it into a fresh database through the steps
`banli item import` runs (read → check → register: `banli.sheets.reading`, then
`banli.engine.importer`). The baseline, measured in the same run: the same steps with the
write as it was before the bulk path (`Runtime.create_in` per row, all in one transaction) on
the file's first `--baseline-rows` rows (at ~2,500 rows/s, 100,000 would take a minute). Each
import runs in a process of its own, so that its peak RSS (VmHWM) is its own; it prints the
wall time of each step, the CPU time of the process (on PostgreSQL the server's is not
counted), and the trace is verified afterwards (not timed). "× per-row" is rows/s over the
baseline's rows/s.

    .venv/bin/python bench/import.py                       # 100,000 rows, SQLite (WAL, synchronous=FULL)
    .venv/bin/python bench/import.py --pg postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/import.py --tracemalloc --profile

`--tracemalloc` adds a run of the bulk import with tracemalloc on (its peak of Python
allocations; slower, its times are not the ones to quote); `--profile` a run under cProfile
(the top 25 by own time). `--pg URL` creates a database per run on that server and drops it.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import date, timedelta
from pathlib import Path

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
    """A workbook as Excel writes one: every text in the shared-string table, the sheet's size in
    <dimension>, dates as serial numbers in a date style (openpyxl writes inline strings instead,
    and a write-only workbook has no size, so openpyxl would read the whole sheet twice)."""
    import zipfile
    from xml.sax.saxutils import escape

    strings: dict[str, int] = {}
    lines = []
    for number, row in enumerate([HEADER, *rows(count)], start=1):
        cells = []
        for column, value in enumerate(row):
            reference = f"{'ABCDEFG'[column]}{number}"
            if column == 5 and number > 1:  # 提交日期: days since 1899-12-30
                serial = (date.fromisoformat(value) - date(1899, 12, 30)).days
                cells.append(f'<c r="{reference}" s="1"><v>{serial}</v></c>')
            else:
                cells.append(f'<c r="{reference}" t="s"><v>{strings.setdefault(value, len(strings))}</v></c>')
        lines.append(f'<row r="{number}" spans="1:7">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006"
    kinds = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{package}/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kinds}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kinds}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{kinds}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kinds}.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            f'<Relationships xmlns="{package}/relationships"><Relationship Id="rId1" '
            f'Type="{relationships}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{relationships}">'
            f'<sheets><sheet name="建议" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{relationships}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{relationships}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{relationships}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
        "xl/styles.xml": (
            f'<styleSheet xmlns="{main}"><fonts count="1"><font><sz val="11"/></font></fonts>'
            f'<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
            f'<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/>'
            f'<xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
            f'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
        "xl/sharedStrings.xml": (
            f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{escape(text)}</t></si>" for text in strings) + "</sst>"),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{main}"><dimension ref="A1:G{count + 1}"/><sheetData>'
            + "".join(lines) + "</sheetData></worksheet>"),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)


# -- one import, in a process of its own -------------------------------------------------------

def register_one_by_one(runtime, plan, actor) -> int:
    """The import's write before the bulk path: `Runtime.create_in` per row, one transaction."""
    with runtime.store.write() as tx:
        for item in plan.candidates:
            runtime.create_in(tx, workflow=plan.workflow, ref=item.ref, title=item.title, actor=actor,
                              deputies=item.deputies, fields=item.fields, content=item.content, at=item.at)
    return len(plan.candidates)


def run_import(store, file: Path, method: str) -> dict[str, float]:
    """`banli item import FILE` step by step (`read_sheet`, then what `import_sheet` calls), timed."""
    from banli.engine.importer import check, register, registering_actor
    from banli.engine.runtime import Runtime
    from banli.sheets.reading import read_sheet

    runtime = Runtime(store)
    seconds = {}
    started, cpu = time.perf_counter(), time.process_time()
    actor = registering_actor(runtime, "reg")
    workflow = store.workflows.get("npc-suggestion")
    sheet = read_sheet(file)
    seconds["read"] = time.perf_counter() - started
    mark = time.perf_counter()
    plan = check(runtime, workflow, sheet)
    del sheet  # as in import_sheet: the rows live on in the plan only
    seconds["check"] = time.perf_counter() - mark
    mark = time.perf_counter()
    imported = (register if method == "bulk" else register_one_by_one)(runtime, plan, actor)
    seconds["write"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - started
    seconds["cpu"] = time.process_time() - cpu
    if imported != plan.rows:
        raise RuntimeError(f"imported {imported} of {plan.rows} rows")
    return seconds


def memory_kib(field: str) -> int:
    """VmRSS or VmHWM of this process (ru_maxrss would include what the parent had: fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child(args) -> int:
    from banli.store.audit import verify

    store = open_store(args.url, fresh=True)
    rss_before = memory_kib("VmRSS")
    result = {"method": args.child, "rss_before": rss_before}
    if args.mode == "tracemalloc":
        tracemalloc.start()
        run_import(store, Path(args.file), args.child)
        result["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    elif args.mode == "profile":
        profile = cProfile.Profile()
        profile.runcall(run_import, store, Path(args.file), args.child)
        print(f"\ncProfile of the {args.child} import (slower than unprofiled), by own time:", file=sys.stderr)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        result.update(run_import(store, Path(args.file), args.child))
        result["peak"] = memory_kib("VmHWM")
    verified = verify(store, processes=1)
    result.update(verified=verified["ok"], trace_rows=verified["rows"])
    store.close()
    print(json.dumps(result))
    return 0


# -- the run -----------------------------------------------------------------------------------

class Databases:
    """A fresh database per import: a SQLite file, or one created on a PostgreSQL server."""

    def __init__(self, directory: Path, pg: str | None) -> None:
        self.directory, self.pg, self.made = directory, pg, []

    def new(self, name: str) -> str:
        if not self.pg:
            path = self.directory / f"{name}.db"
            for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):  # from a run with --db-dir
                stale.unlink(missing_ok=True)
            return f"sqlite:///{path}"
        import psycopg

        database = f"banli_bench_import_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.pg, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        self.made.append(database)
        return f"{self.pg.rsplit('/', 1)[0]}/{database}"

    def drop(self) -> None:
        if self.pg and self.made:
            import psycopg

            with psycopg.connect(self.pg, autocommit=True) as connection:
                for database in self.made:
                    connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def run_child(method: str, file: Path, url: str, mode: str = "time") -> dict:
    command = [sys.executable, __file__, "--child", method, "--file", str(file), "--url", url, "--mode", mode]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000,
                        help="rows of the per-row baseline (0: none)")
    parser.add_argument("--xlsx", action="store_true", help="an XLSX workbook instead of a GB18030 CSV")
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server (a database is created per run)")
    parser.add_argument("--tracemalloc", action="store_true", help="a run with tracemalloc: peak allocations")
    parser.add_argument("--profile", action="store_true", help="a run under cProfile: the top 25 by own time")
    parser.add_argument("--db-dir", help="where files go (default: a temporary directory, removed after)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="time", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    directory = Path(args.db_dir or tempfile.mkdtemp(prefix="banli-import-"))
    directory.mkdir(parents=True, exist_ok=True)
    databases = Databases(directory, args.pg)
    suffix, write = (".xlsx", write_xlsx) if args.xlsx else (".csv", write_csv)
    try:
        files = {"bulk": (directory / f"suggestions{suffix}", args.rows)}
        if args.baseline_rows:
            files["per-row"] = (directory / f"baseline{suffix}", min(args.baseline_rows, args.rows))
        for file, count in files.values():
            started = time.perf_counter()
            write(file, count)
            print(f"{file.name}: {count} rows, {file.stat().st_size / 1e6:.1f} MB, "
                  f"generated in {time.perf_counter() - started:.1f} s (not counted)")
        backend = "PostgreSQL" if args.pg else "SQLite (WAL, synchronous=FULL)"
        print(f"{backend}; before: {load()}")
        results = [run_child(method, file, databases.new(method)) for method, (file, _count) in reversed(files.items())]
        print(f"after: {load()}\n")
        print(f"{'method':<8} {'rows':>7} {'read s':>7} {'check s':>8} {'write s':>8} {'total s':>8} {'CPU s':>6} "
              f"{'rows/s':>7} {'× per-row':>9} {'peak RSS MiB':>12} {'before':>6}  trace")
        baseline = next((r for r in results if r["method"] == "per-row"), None)
        for result in results:
            count = result["trace_rows"]
            speed = count / result["total"]
            ratio = f"{speed / (baseline['trace_rows'] / baseline['total']):.1f}" if baseline else "–"
            print(f"{result['method']:<8} {count:>7} {result['read']:>7.2f} {result['check']:>8.2f} "
                  f"{result['write']:>8.2f} {result['total']:>8.2f} {result['cpu']:>6.2f} {speed:>7.0f} {ratio:>9} "
                  f"{result['peak'] / 1024:>12.0f} {result['rss_before'] / 1024:>6.0f}  "
                  f"{'verified' if result['verified'] else 'BROKEN'}")
        file = files["bulk"][0]
        if args.tracemalloc:
            traced = run_child("bulk", file, databases.new("traced"), "tracemalloc")
            print(f"\nbulk, under tracemalloc: peak of Python allocations {traced['traced_peak'] / 2**20:.0f} MiB")
        if args.profile:
            sys.stdout.flush()
            run_child("bulk", file, databases.new("profiled"), "profile")
    finally:
        databases.drop()
        if not args.db_dir:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
