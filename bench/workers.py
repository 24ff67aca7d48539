"""Items per second of `banli remind` run by 1, 2 and 4 worker processes on one PostgreSQL database.

A template database gets banli's schema, workflows and the test org through banli, and one
item brought to `handling` through banli's runtime in January 2026 (as
tests/integration/test_workers.py does), so that by now its deadline has passed and all three
reminder rules of `handling` are due (before, overdue → urge, supervise). Copies of it are then
loaded with COPY: the item row (its own ref, its trace rehashed with
`banli.engine.chain.row_hash`, the chain head, version, deadline, next_due_at and
entered_seq), its deputy and its assignment. The first `--history` copies are swept once by
banli, so that `reminder` and `notification` hold rows (and statistics) when the workers
start, as in a database that has been running; the other `--items` are due. Every run gets a
fresh database made from the template (CREATE DATABASE … TEMPLATE), on which N processes run
`python -m banli --db URL remind --json` at once; the run is timed from the first start to
the last exit, then checked: every item reminded once per rule, one notification per key, one
urge and one supervise per item, nothing left due, the trace verified. The database is dropped.

    .venv/bin/python bench/workers.py [--pg URL] [--items 100000] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from common import open_store  # noqa: E402 - bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
ORG = ROOT / "tests" / "data" / "org.yaml"
WORKFLOW = "npc-suggestion"
TEMPLATE_REF = "W-0000000"
# As tests/integration/test_workers.py: registered 5 January 2026, in handling from the 11th.
CREATED_AT = "2026-01-05T09:00"
STEPS = [("reg", "sort", {"category": "城市建设"}), ("reg", "review", {}), ("reg", "audit", {}), ("npc", "approve", {}),
         ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}),
         ("li", "sign_for", {"leader": "王局长", "handler": "李科长"})]
TRACE_COLUMNS = ("ref", "seq", "event", "from_state", "to_state", "actor", "occurred_at", "recorded_at", "data",
                 "def_hash", "prev_hash")
# Tables with an item_id the template item may have rows in: those the loader copies, and
# those it expects to be empty (the loader refuses to run if an item brought to handling
# starts writing elsewhere, rather than load items that are not what banli would make).
COPIED = ("item_deputy", "assignment", "trace")
EMPTY = ("reminder", "notification", "campaign_task")


# -- the template database ---------------------------------------------------------------------

def make_template_item(store) -> None:
    from banli.engine.runtime import Runtime

    runtime = Runtime(store)
    with store.write() as tx:
        runtime.create_in(tx, workflow=store.workflows.get(WORKFLOW), ref=TEMPLATE_REF, title="关于小区加装电梯的建议",
                          actor=runtime.actor("reg"), deputies=["张三"], fields={"category": "城市建设"},
                          at=CREATED_AT)
        for step, (user, event, data) in enumerate(STEPS):
            runtime.fire_in(tx, TEMPLATE_REF, event, user, data, f"2026-01-{6 + step:02d}T09:00")


def load_copies(conn, count: int) -> dict:
    """`count` copies of the template item, written with COPY; returns the template's row counts."""
    from banli.engine.chain import GENESIS, row_hash

    def rows(table: str, where: str, *args):
        cursor = conn.execute(f"SELECT * FROM {table} WHERE {where}", args)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    (item,) = rows("item", "ref = %s", TEMPLATE_REF)
    template = {table: rows(table, "item_id = %s ORDER BY 1, 2", item["id"]) for table in COPIED + EMPTY}
    if any(template[table] for table in EMPTY) or item["next_due_at"] is None or item["state"] != "handling":
        raise SystemExit(f"the template item is not a plain item in handling with a reminder due: {item}, "
                         + ", ".join(f"{table}: {len(template[table])}" for table in EMPTY))
    trace = sorted(template["trace"], key=lambda row: row["seq"])
    first_id = conn.execute("SELECT max(id) + 1 FROM item").fetchone()[0]
    item_columns = [name for name in item if name != "id"]

    def chain(number: int):
        """The template's trace rows for copy `number`, hashed anew; the last hash is the head."""
        ref, prev = f"W-{number:07d}", GENESIS
        for row in trace:
            fields = (ref, row["seq"], row["event"], row["from_state"], row["to_state"], row["actor"],
                      row["occurred_at"], row["recorded_at"], row["data"], row["def_hash"], prev)
            prev = row_hash(*fields)
            yield (*fields, prev)

    with conn.cursor() as cursor:
        # items first (the trace refers to them), so the chains are hashed twice: once for the heads
        with cursor.copy(f"COPY item (id, {', '.join(item_columns)}) FROM STDIN") as copy:
            for number in range(1, count + 1):
                *_rows, last = chain(number)
                values = dict(item, ref=f"W-{number:07d}", head_hash=last[-1])
                copy.write_row((first_id + number - 1, *(values[name] for name in item_columns)))
        with cursor.copy(f"COPY trace (item_id, {', '.join(TRACE_COLUMNS)}, hash) FROM STDIN") as copy:
            for number in range(1, count + 1):
                for row in chain(number):
                    copy.write_row((first_id + number - 1, *row))
        for table in ("item_deputy", "assignment"):
            for row in template[table]:
                columns = list(row)
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for number in range(1, count + 1):
                        copy.write_row([first_id + number - 1 if name == "item_id" else row[name] for name in columns])
        cursor.execute("SELECT setval(pg_get_serial_sequence('item', 'id'), (SELECT max(id) FROM item))")
    return {table: len(template[table]) for table in COPIED}


def build_template(admin_url: str, name: str, items: int, history: int, check: bool) -> dict:
    """`items` due items; before them, `history` more that banli's sweep has already acted on,
    so that `reminder` and `notification` are not empty when the workers start (see the README)."""
    import psycopg

    url = database_url(admin_url, name)
    started = time.perf_counter()
    store = open_store(url, fresh=True)
    make_template_item(store)
    store.close()
    timings = {"banli": time.perf_counter() - started}
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        per_item = load_copies(conn, items + history - 1)
        conn.commit()
    timings["copy"] = time.perf_counter() - started
    started = time.perf_counter()
    if history:
        from banli.engine.runtime import Runtime
        from banli.engine.sweep import sweep
        from banli.engine.times import utc_now

        store = open_store(url, fresh=False)
        swept = sweep(Runtime(store), utc_now(), limit=history)  # the first `history` refs: W-0000000 …
        store.close()
        if swept.items != history:
            raise SystemExit(f"the history sweep acted on {swept.items} items, not {history}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # hint bits and statistics, as an old database has them
        timings["before"] = counts(conn)
    timings["history"] = time.perf_counter() - started
    if check:
        from banli.store.audit import verify

        started = time.perf_counter()
        store = open_store(url, fresh=False)
        result = verify(store)
        store.close()
        timings["verify"] = time.perf_counter() - started
        timings["verified"] = result
    timings["per_item"] = per_item
    return timings


def database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


# -- CPU accounting (PostgreSQL on this machine) ------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class BackendCpu(threading.Thread):
    """CPU seconds of the PostgreSQL processes working on one database (their command lines name
    it: backends, autovacuum workers), sampled from /proc every second while the run lasts. Only
    when the server runs on this machine; the last second of a backend's life may be missed."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.needle = f" {database} ".encode()
        self.seen: dict[int, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(1.0):
            self.sample()

    def sample(self) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    if self.needle not in cmdline.read().replace(b"\0", b" ") + b" ":
                        continue
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.seen[int(entry)] = int(fields[11]) + int(fields[12])  # utime + stime

    def stop(self) -> float:
        self.sample()
        self.done.set()
        self.join()
        return sum(self.seen.values()) / TICKS


# -- one run --------------------------------------------------------------------------------------

def run_workers(url: str, workers: int) -> tuple[float, list[dict], dict]:
    argv = [sys.executable, "-m", "banli", "--db", url, "remind", "--json"]
    children_before = os.times()
    busy_before, total_before = machine_jiffies()
    backends = BackendCpu(url.rsplit("/", 1)[1])
    backends.start()
    started = time.perf_counter()
    processes = [subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(workers)]
    outputs = [process.communicate() for process in processes]
    seconds = time.perf_counter() - started
    postgres = backends.stop()
    busy_after, total_after = machine_jiffies()
    children_after = os.times()
    failed = [(process.returncode, err[-2000:]) for process, (_out, err) in zip(processes, outputs) if process.returncode]
    if failed:
        raise SystemExit(f"a worker failed: {failed}")
    reports = [json.loads(out) for out, _err in outputs]
    worker_cpu = (children_after.children_user + children_after.children_system
                  - children_before.children_user - children_before.children_system)
    busy = (busy_after - busy_before) / TICKS
    cpu = {"workers": worker_cpu, "postgres": postgres, "others": busy - worker_cpu - postgres,
           "busy": (busy_after - busy_before) / max(total_after - total_before, 1)}
    return seconds, reports, cpu


def counts(conn) -> dict:
    one = lambda sql: conn.execute(sql).fetchone()[0]
    return {
        "reminders": one("SELECT count(*) FROM reminder"),
        "reminders twice": one("SELECT count(*) FROM (SELECT 1 FROM reminder GROUP BY item_id, entered_seq, rule "
                               "HAVING count(*) > 1) d"),
        "notifications": one("SELECT count(*) FROM notification"),
        "notifications twice": one("SELECT count(*) FROM (SELECT 1 FROM notification GROUP BY key "
                                   "HAVING count(*) > 1) d"),
        "urge": one("SELECT count(*) FROM trace WHERE event = 'urge'"),
        "supervise": one("SELECT count(*) FROM trace WHERE event = 'supervise'"),
        "items not urged and supervised once": one(
            "SELECT count(*) FROM item i WHERE (SELECT count(*) FROM trace t WHERE t.item_id = i.id "
            "AND t.event = 'urge') <> 1 OR (SELECT count(*) FROM trace t WHERE t.item_id = i.id "
            "AND t.event = 'supervise') <> 1"),
        "left due": one("SELECT count(*) FROM item WHERE next_due_at IS NOT NULL "
                        "AND next_due_at <= to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"),
    }


def check(url: str, items: int, before: dict, verify_trace: bool) -> dict:
    """Nothing done twice, nothing left undone, the trace intact; reminders, notifications and
    events counted beyond the template's (its history)."""
    import psycopg

    with psycopg.connect(url) as conn:
        result = counts(conn)
        scans = conn.execute("SELECT seq_scan, seq_tup_read FROM pg_stat_user_tables WHERE relname = 'reminder'").fetchone()
    for key in ("reminders", "notifications", "urge", "supervise"):
        result[key] -= before[key]
    result["reminder seq scans (rows read)"] = f"{scans[0]} ({scans[1]})"
    if verify_trace:
        from banli.store.audit import verify

        store = open_store(url, fresh=False)
        verified = verify(store)
        store.close()
        result["verify"] = f"{'ok' if verified['ok'] else 'FAILED'} ({verified['rows']} rows)"
    expected = {"reminders": 3 * items, "reminders twice": 0, "notifications twice": 0, "urge": items,
                "supervise": items, "items not urged and supervised once": 0, "left due": 0}
    result["ok"] = all(result[key] == value for key, value in expected.items()) and \
        result.get("verify", "ok").startswith("ok")
    return result


# -- running ------------------------------------------------------------------------------------

def print_table(rows) -> None:
    print(f"{'workers':>7} {'items':>7} {'seconds':>8} {'items/s':>8} {'reminders/s':>11} {'× 1 worker':>10} "
          f"{'CPU busy':>8} {'workers CPU s':>13} {'PG CPU s':>8} {'others':>6}  items acted on per worker")
    one = rows[0][1] / rows[0][2] if rows[0][0] == 1 else None
    for workers, items, seconds, reminders, cpu, split in rows:
        ratio = f"{(items / seconds) / one:.2f}" if one else "–"
        print(f"{workers:>7} {items:>7} {seconds:>8.1f} {items / seconds:>8.0f} {reminders / seconds:>11.0f} "
              f"{ratio:>10} {cpu['busy'] * 100:>7.0f}% {cpu['workers']:>13.1f} {cpu['postgres']:>8.1f} "
              f"{cpu['others']:>6.1f}  {'/'.join(map(str, split))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="a database on the server to use (default postgresql://postgres@127.0.0.1:5432/test); "
                             "the benchmark creates its own databases there and drops them")
    parser.add_argument("--items", type=int, default=100_000, help="due items (default 100000)")
    parser.add_argument("--history", type=int, default=1000,
                        help="items already swept before the run, so reminder and notification hold rows when the "
                             "workers start (default 1000; 0 to start them empty)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run, comma-separated (default 1,2,4)")
    parser.add_argument("--no-verify", action="store_true", help="skip banli's verify of the loaded and swept traces")
    args = parser.parse_args()
    import psycopg

    counts = [int(value) for value in args.workers.split(",")]
    prefix = f"banli_bench_workers_{uuid.uuid4().hex[:8]}"
    template = f"{prefix}_template"
    with psycopg.connect(args.pg, autocommit=True) as admin:
        version = admin.execute("SHOW server_version").fetchone()[0]
        settings = {name: admin.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("synchronous_commit", "shared_buffers", "max_connections")}
        admin.execute(f'CREATE DATABASE "{template}"')
    print(f"PostgreSQL {version} ({', '.join(f'{k}={v}' for k, v in settings.items())}), {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}; databases {prefix}_* (dropped after)")
    rows, created = [], [template]
    try:
        timings = build_template(args.pg, template, args.items, args.history, check=not args.no_verify)
        verified = timings.get("verified")
        print(f"template: {args.items} items in handling, all three reminders due; 1 through banli, "
              f"{args.items + args.history - 1} copied with COPY ({timings['per_item']} rows per item) in "
              f"{timings['banli'] + timings['copy']:.1f} s, of which the first {args.history} were then swept by "
              f"banli ({timings['history']:.1f} s; not timed)"
              + (f"; loaded trace verified by banli: {'ok' if verified['ok'] else 'FAILED'} ({verified['rows']} rows, "
                 f"{verified['items']} items, {timings['verify']:.1f} s)" if verified else ""))
        if verified and not verified["ok"]:
            raise SystemExit(f"the loaded trace does not verify: {verified['failures'][:5]}")
        for workers in counts:
            name = f"{prefix}_{workers}w"
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            created.append(name)
            url = database_url(args.pg, name)
            seconds, reports, cpu = run_workers(url, workers)
            reminders = sum(report["reminders"] for report in reports)
            split = [report["items"] for report in reports]
            checked = check(url, args.items, timings["before"], verify_trace=not args.no_verify)
            rows.append((workers, args.items, seconds, reminders, cpu, split))
            notified = sum(r["notifications"] for r in reports)
            print(f"{workers} worker(s): {seconds:.1f} s; the workers' reports: {sum(split)} items, {reminders} "
                  f"reminders, {notified} notifications, {sum(r['events'] for r in reports)} events; in the database: "
                  + ", ".join(f"{key} {value}" for key, value in checked.items()))
            if notified != checked["notifications"]:
                print(f"    NOTE: the workers reported {notified} notifications, the outbox holds "
                      f"{checked['notifications']} (`banli remind --json` miscounts them on this backend)")
            if not checked["ok"]:
                raise SystemExit("the run did something twice, or left something undone")
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            created.remove(name)
        print()
        print_table(rows)
        print("× 1 worker is items/s over one worker's. CPU busy: all CPUs of this machine during the run; workers CPU "
              "s: user + system of the worker processes; PG CPU s: the PostgreSQL processes working on the run's "
              "database (0 if the server is not on this machine); others: the rest of the machine's busy CPU seconds "
              "(anything else running; it disturbs the figures).")
    finally:
        with psycopg.connect(args.pg, autocommit=True) as admin:
            for name in created:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
