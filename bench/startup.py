"""Wall time of banli commands run as processes, against an interpreter that does nothing.

Builds a demo database once (`banli demo --suggestions 30`, not timed), then times each
command as a subprocess, `--runs` times after `--warmup` runs (hyperfine when it is
installed, else a loop here): `banli --help`, `banli item show REF` (the item with the longest
trace), `banli item list --json`, next to `python -c pass` and `python -c "import click"`.
Then `-X importtime` (PYTHONPROFILEIMPORTTIME) of `banli item show`: the top-level imports
by cumulative time, the chain of imports through which each heavy package arrives, and,
from banli's sources, every banli module on that path that imports a heavy package at module
level (what to make lazy).

The commands run with a bytecode cache, as an installed banli has: PYTHONDONTWRITEBYTECODE is
dropped from their environment and PYTHONPYCACHEPREFIX points to a temporary directory that
the warm-up runs fill (`--no-bytecode-cache` keeps the caller's environment; with
PYTHONDONTWRITEBYTECODE=1 banli's own modules are then compiled from source in every run).
`--compare DIR` also times `banli --help` and `banli item show REF` with another banli source
tree first on PYTHONPATH (say `git archive REV | tar -x -C DIR`), in the same loop.

    .venv/bin/python bench/startup.py [--runs 10] [--warmup 2] [--keep DIR] [--compare DIR]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# What a command that reads one row should not pay for (PERFORMANCE.md, "Start-up").
HEAVY = ("sqlmodel", "sqlalchemy", "pydantic", "pydantic_core", "alembic", "transitions", "yaml", "apscheduler",
         "openpyxl", "docx", "matplotlib", "numpy", "PIL", "psycopg", "chinese_calendar", "mako", "lxml")
TARGETS = {"banli --help": 0.1, "banli item show REF": 0.4}


# -- timing -----------------------------------------------------------------------------------

def commands(url: str, ref: str, show_imports: list[str], compare: Path | None) -> list[tuple[str, list[str]]]:
    banli = str(BIN / "banli")
    runs = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ('python -c "import click"', [sys.executable, "-c", "import click"]),
        ("banli --help", [banli, "--help"]),
        ("banli item show REF", [banli, "--db", url, "item", "show", ref]),
        ("  its imports alone", [sys.executable, "-c", "import " + ", ".join(show_imports)]),
        ("banli item list --json", [banli, "--db", url, "item", "list", "--json"]),
    ]
    if compare:
        # `env` costs the compared rows one exec (~1 ms): PYTHONPATH puts the other tree first
        other = ["env", f"PYTHONPATH={compare}", banli]
        runs += [("  --compare: banli --help", other + ["--help"]),
                 ("  --compare: item show REF", other + ["--db", url, "item", "show", ref])]
    return runs


def child_environment(pycache: Path | None) -> dict[str, str]:
    """The environment of the timed commands: with a bytecode cache in `pycache`, or as given."""
    env = dict(os.environ)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


ENV = dict(os.environ)  # set by main()


def show_imports(url: str, ref: str, cwd: Path) -> list[str]:
    """What `banli item show REF` imports at the top level, beyond what `python -c pass` does."""
    banli = str(BIN / "banli")
    tree, _medians = profile_imports([banli, "--db", url, "item", "show", ref], 1, cwd)
    base, _medians = profile_imports([sys.executable, "-c", "pass"], 1, cwd)
    already = {node.name for node in walk(base)}
    return [node.name for node in tree if node.name not in already]


def time_python(argvs: list[list[str]], runs: int, warmup: int, cwd: Path) -> tuple[list[list[float]], list[list[float]]]:
    """Wall and CPU (user + system) seconds of each run. Round by round, each command once per
    round: a burst of other work on the machine then slows every command a little instead of
    one command a lot. CPU time moves less than wall time when other work competes for the cores."""
    walls: list[list[float]] = [[] for _ in argvs]
    cpus: list[list[float]] = [[] for _ in argvs]
    for round_ in range(warmup + runs):
        for index, argv in enumerate(argvs):
            started = time.perf_counter()
            child = subprocess.Popen(argv, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _pid, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode:
                raise subprocess.CalledProcessError(child.returncode, argv)
            if round_ >= warmup:
                walls[index].append(wall)
                cpus[index].append(usage.ru_utime + usage.ru_stime)
    return walls, cpus


def time_hyperfine(hyperfine: str, argvs: list[list[str]], runs: int, warmup: int, cwd: Path) -> list[list[float]]:
    export = cwd / "hyperfine.json"
    subprocess.run([hyperfine, "--shell=none", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
                    "--export-json", str(export), *[shlex.join(argv) for argv in argvs]],
                   cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return [result["times"] for result in json.loads(export.read_text())["results"]]


def print_times(rows: list[tuple[str, list[float]]], cpus: list[list[float]] | None) -> None:
    base = statistics.median(rows[0][1])
    print(f"{'command':<28} {'median ms':>9} {'min ms':>7} {'CPU ms':>7} {'× pass':>7} {'+ms vs pass':>11} {'target':>7}")
    for index, (name, seconds) in enumerate(rows):
        median = statistics.median(seconds)
        cpu = f"{statistics.median(cpus[index]) * 1000:>7.1f}" if cpus else f"{'-':>7}"
        target = TARGETS.get(name)
        verdict = "" if target is None else f"< {target * 1000:.0f} ms " + ("met" if median < target else "MISSED")
        print(f"{name:<28} {median * 1000:>9.1f} {min(seconds) * 1000:>7.1f} {cpu} {median / base:>7.2f} "
              f"{(median - base) * 1000:>11.1f}  {verdict}")
    names = [name for name, _seconds in rows]
    for name in ("banli --help", "banli item show REF"):
        other = "  --compare: " + name.replace("banli item", "item")
        if other in names:
            this, that = names.index(name), names.index(other)
            ratio = statistics.median(rows[this][1]) / statistics.median(rows[that][1])
            cpu = f", CPU {statistics.median(cpus[this]) / statistics.median(cpus[that]):.2f}" if cpus else ""
            print(f"{name}: this tree / the --compare tree, median wall {ratio:.2f}{cpu}")


# -- import time ------------------------------------------------------------------------------

class Node:
    def __init__(self, name: str, own: int, total: int, depth: int) -> None:
        self.name, self.own, self.total, self.depth = name, own, total, depth
        self.children: list[Node] = []
        self.parent: Node | None = None


def import_tree(stderr: str) -> list[Node]:
    """The top-level imports of one `-X importtime` run, each with its subtree. Python prints
    a module after the imports it triggered, indented by two spaces per level."""
    pending: dict[int, list[Node]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, total, name = line[len("import time:"):].split("|", 2)
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        node = Node(name.strip(), int(own), int(total), depth)
        node.children = pending.pop(depth + 1, [])
        for child in node.children:
            child.parent = node
        pending.setdefault(depth, []).append(node)
    return pending.get(0, [])


def walk(nodes: list[Node]):
    for node in nodes:
        yield node
        yield from walk(node.children)


def profile_imports(argv: list[str], runs: int, cwd: Path) -> tuple[list[Node], dict[str, float]]:
    """The tree of one run, and each module's median cumulative time (µs) over `runs` runs."""
    trees = []
    for _ in range(runs):
        env = dict(ENV, PYTHONPROFILEIMPORTTIME="1")
        done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              check=True)
        trees.append(import_tree(done.stderr))
    totals: dict[str, list[int]] = {}
    for tree in trees:
        for node in walk(tree):
            totals.setdefault(node.name, []).append(node.total)
    return trees[-1], {name: statistics.median(values) for name, values in totals.items()}


def chain(node: Node) -> list[str]:
    names = []
    while node is not None:
        names.append(node.name)
        node = node.parent
    return names


def module_level_imports(module: str) -> set[str]:
    """Top-level packages a banli module imports at module level (not inside functions, not
    under `if TYPE_CHECKING`)."""
    path = ROOT / Path(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    if not path.exists():
        return set()
    found = set()

    def visit(statements):
        for statement in statements:
            if isinstance(statement, ast.Import):
                found.update(alias.name for alias in statement.names)
            elif isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
                found.add(statement.module)
            elif isinstance(statement, ast.If) and "TYPE_CHECKING" not in ast.unparse(statement.test):
                visit(statement.body + statement.orelse)
            elif isinstance(statement, ast.Try):
                visit(statement.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def report_imports(name: str, argv: list[str], runs: int, wall: float, base: tuple[float, float], cwd: Path,
                   detail: bool) -> list[Node]:
    """Import time of a command beyond what `python -c pass` imports (site, encodings …)."""
    tree, medians = profile_imports(argv, runs, cwd)
    _base_wall, base_imports = base
    imports = sum(medians[node.name] for node in tree) / 1e6 - base_imports
    print(f"\n{name}: -X importtime, median of {runs} runs: {imports * 1000:.0f} ms of imports beyond python -c "
          f"pass's (wall time {wall * 1000:.0f} ms; importtime's own overhead inflates its figures a little)")
    top = sorted((node for node in tree if node.name.split(".")[0] == "banli" or node.name in HEAVY),
                 key=lambda node: -medians[node.name])[:8 if detail else 4]
    print("  top-level imports, cumulative ms: " + ", ".join(
        f"{node.name} {medians[node.name] / 1000:.0f}" for node in top))
    if not detail:
        return tree
    own: dict[str, int] = {}
    for node in walk(tree):
        own[node.name.split(".")[0]] = own.get(node.name.split(".")[0], 0) + node.own
    print("  own import time by top-level package, ms (one run): " + ", ".join(
        f"{package} {micro / 1000:.0f}" for package, micro in sorted(own.items(), key=lambda kv: -kv[1])[:12]))
    banli = sorted((node for node in walk(tree) if node.name.split(".")[0] == "banli"), key=lambda node: -medians[node.name])
    print("  banli modules, cumulative ms (own ms): " + ", ".join(
        f"{node.name} {medians[node.name] / 1000:.0f} ({node.own / 1000:.0f})" for node in banli[:10]))
    print("  modules by own import time, ms (one run): " + ", ".join(
        f"{node.name} {node.own / 1000:.0f}" for node in sorted(walk(tree), key=lambda node: -node.own)[:10]))
    print("  heavy packages: cumulative ms where first imported, and the chain that pulls them in "
          "(importer ← … ← top-level import):")
    for node in walk(tree):
        if node.name in HEAVY:
            print(f"    {node.name:<16} {medians[node.name] / 1000:>5.0f}  " + " ← ".join(chain(node)[1:] or ["(top level)"]))
    loaded = sorted({node.name for node in walk(tree) if node.name.split(".")[0] == "banli"})
    print("  banli modules on this path that import a heavy package at module level (from the source), "
          "and the banli modules they import:")
    for module in loaded:
        imported = module_level_imports(module)
        heavy = sorted({name.split(".")[0] for name in imported} & set(HEAVY))
        if heavy:
            banli = sorted(name for name in imported if name.startswith("banli."))
            print(f"    {module:<24} {', '.join(heavy):<22} ← imports {', '.join(banli) or '-'}")
    return tree


def base_imports(runs: int, cwd: Path) -> float:
    """Seconds `python -c pass` spends importing (site, encodings …), median of `runs` runs."""
    tree, medians = profile_imports([sys.executable, "-c", "pass"], runs, cwd)
    return sum(medians[node.name] for node in tree) / 1e6


def profile_work(url: str, ref: str, modules: list[str]) -> None:
    """In this process: import what `banli item show REF` imports, then run it under cProfile
    (its first run: engine, first queries, workflow compile), then once more (warm)."""
    import cProfile
    import importlib
    import io
    import pstats
    from contextlib import redirect_stdout, suppress

    for module in modules:
        with suppress(ImportError):  # a module that only imports in its own context
            importlib.import_module(module)
    from banli.cli import cli

    argv = ["--db", url, "item", "show", ref]
    with redirect_stdout(io.StringIO()):
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.runcall(cli, argv, prog_name="banli", standalone_mode=False)
        first = time.perf_counter() - started
        started = time.perf_counter()
        cli(argv, prog_name="banli", standalone_mode=False)
        second = time.perf_counter() - started
    print(f"\nbanli item show REF in one process after its imports: first run {first * 1000:.0f} ms under cProfile, "
          f"a second run {second * 1000:.0f} ms; the first run by cumulative time:")
    stats = pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative")
    stats.print_stats(r"banli|sqlalchemy/engine/(base|create)|yaml/__init__|transitions/core", 16)


# -- running ----------------------------------------------------------------------------------

def build_demo(directory: Path) -> tuple[str, str, float]:
    """The demo database (30 suggestions), and the ref of its item with the longest trace."""
    path = directory / "demo.db"
    url = f"sqlite:///{path}"
    started = time.perf_counter()
    if not path.exists():
        subprocess.run([str(BIN / "banli"), "demo", "--suggestions", "30", "--db", url, "--json"], cwd=directory,
                       check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    with sqlite3.connect(path) as conn:
        ref = conn.execute("SELECT ref FROM item WHERE parent_id IS NULL ORDER BY seq DESC, ref LIMIT 1").fetchone()[0]
    return url, ref, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (default 2)")
    parser.add_argument("--importtime-runs", type=int, default=5, help="-X importtime runs per command (default 5)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build the demo in DIR and keep it (reused when there)")
    parser.add_argument("--no-hyperfine", action="store_true", help="time in Python even if hyperfine is installed")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="run the commands in this environment as it is (default: with a temporary bytecode cache)")
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="also time --help and item show with the banli source tree in DIR (DIR/banli) first on PYTHONPATH")
    parser.add_argument("--profile-work", nargs=3, metavar=("URL", "REF", "MODULES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile_work:
        url, ref, modules = args.profile_work
        profile_work(url, ref, json.loads(Path(modules).read_text()))
        return 0

    directory = args.keep or Path(tempfile.mkdtemp(prefix="banli-bench-startup-"))
    directory.mkdir(parents=True, exist_ok=True)
    pycache = None if args.no_bytecode_cache else Path(tempfile.mkdtemp(prefix="banli-bench-pycache-"))
    global ENV
    ENV = child_environment(pycache)
    if args.compare and not (args.compare / "banli" / "__init__.py").exists():
        parser.error(f"--compare {args.compare}: no banli/__init__.py there")
    try:
        url, ref, seconds = build_demo(directory)
        with sqlite3.connect(directory / "demo.db") as conn:
            items, rows = conn.execute("SELECT (SELECT count(*) FROM item), (SELECT count(*) FROM trace)").fetchone()
            trace = conn.execute("SELECT count(*) FROM trace WHERE ref = ?", (ref,)).fetchone()[0]
        hyperfine = None if args.no_hyperfine else shutil.which("hyperfine")
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; demo database {directory / 'demo.db'} "
              f"({items} items, {rows} trace rows; built in {seconds:.1f} s, not timed); REF = {ref} "
              f"({trace} trace rows)")
        print(f"timed with {'hyperfine' if hyperfine else 'subprocess.run, the commands in turn (hyperfine not installed)'}: "
              f"{args.warmup} warm-up runs, then {args.runs} runs each; "
              + (f"bytecode cached in {pycache}" if pycache else
                 f"environment as given (PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})")
              + (f"; --compare {args.compare.resolve()}" if args.compare else "") + f"; load {load_average()}\n")
        runs = commands(url, ref, show_imports(url, ref, directory), args.compare and args.compare.resolve())
        if hyperfine:
            times, cpus = time_hyperfine(hyperfine, [argv for _name, argv in runs], args.runs, args.warmup, directory), None
        else:
            times, cpus = time_python([argv for _name, argv in runs], args.runs, args.warmup, directory)
        rows = [(name, seconds) for (name, _argv), seconds in zip(runs, times)]
        print_times(rows, cpus)
        print("× pass is the command's median over `python -c pass`'s. \"its imports alone\" is python -c \"import …\" "
              "of the modules `banli item show` imports at the top level (imports and interpreter exit, no work). "
              "CPU ms is the median user + system time of the command's process.")
        base = (statistics.median(rows[0][1]), base_imports(args.importtime_runs, directory))
        for (name, argv), seconds in zip(runs[2:], times[2:]):
            if name.startswith(" "):
                continue
            tree = report_imports(name, argv, args.importtime_runs, statistics.median(seconds), base, directory,
                                  detail=name == "banli item show REF")
            if name == "banli item show REF":
                modules = directory / "modules.json"
                modules.write_text(json.dumps([node.name for node in walk(tree)]))
        subprocess.run([sys.executable, __file__, "--profile-work", url, ref, str(modules)], cwd=directory, env=ENV,
                       check=True)
        print(f"\nload average at the end: {load_average()}")
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
        if pycache:
            shutil.rmtree(pycache, ignore_errors=True)
    return 0


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg()) + " (1, 5, 15 min)"


if __name__ == "__main__":
    sys.exit(main())
