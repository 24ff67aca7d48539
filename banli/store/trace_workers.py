"""Scanning the trace in worker processes: the trace split by id into ranges, each worker
process (`trace_scan.work`) scanning a run of them on its own connection to one snapshot, the
results sent back pickled. `audit.verify` reads the item rows meanwhile and joins the results;
it scans in-process when workers cannot open the database or fail."""

from __future__ import annotations

import logging
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading

from banli.i18n import _, language
from banli.store import trace_scan

logger = logging.getLogger("banli")
SPLIT_FROM = 200_000  # rows: a worker process starts in ~50 ms (~0.2 s with psycopg), worth it from here
MAX_PROCESSES = 8


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def worker_request(engine) -> dict | None:
    """How a worker process opens the database itself, or None when it cannot (an in-memory
    SQLite database, an engine built around a connection factory of its own)."""
    args, kwargs = engine.dialect.create_connect_args(engine.url)
    if engine.dialect.driver == "pysqlite":
        database = engine.url.database
        if not database or database == ":memory:" or not os.path.isfile(args[0]):
            return None
        return {"dialect": "sqlite", "args": args, "kwargs": dict(kwargs, timeout=60)}
    if engine.dialect.driver == "psycopg":
        kwargs = {key: value for key, value in kwargs.items() if key != "context"}  # SQLAlchemy's adapters
        return {"dialect": "postgresql", "args": args, "kwargs": kwargs}
    return None


class Workers:
    """Worker processes scanning a run of ranges each; `results` waits for them. Use it as a
    context manager: leaving it ends any worker still running."""

    def __init__(self) -> None:
        self.messages: queue.Queue = queue.Queue()
        self.children: list[tuple[subprocess.Popen, object]] = []

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc) -> None:
        for child, errors in self.children:
            if child.poll() is None:
                child.kill()
                child.wait()
            for stream in (child.stdin, child.stdout, errors):
                stream.close()

    def results(self, progress) -> list | None:
        """The workers' results in range order, reporting their progress as it comes; None if one failed."""
        done: dict[int, list[trace_scan.RangeResult]] = {}
        counts = [0] * len(self.children)
        ended = 0
        while ended < len(self.children):
            index, kind, value = self.messages.get()
            if kind == "progress":
                counts[index] = value
                if progress:
                    progress(sum(counts))
                continue
            ended += 1
            if kind == "done":
                done[index] = value
        for index, (child, errors) in enumerate(self.children):
            if child.wait() != 0 or index not in done:
                errors.seek(0)
                lines = errors.read().decode("utf-8", "replace").strip().splitlines() or [_("it said nothing")]
                logger.warning(_("audit verify: a worker process failed ({reason}); scanning in this process instead")
                               .format(reason=lines[-1]))
                return None
        return [result for index in range(len(self.children)) for result in done[index]]


def start(engine, ranges: list[tuple[int, int]], processes: int, request: dict) -> Workers | None:
    """`processes` worker processes (see trace_scan.BOOTSTRAP) started on the ranges, each
    taking a run of consecutive ones; `request` adds what every worker needs (snapshot, origin,
    definitions, width, keep). None (the caller then scans in-process) if the database cannot
    be opened from another process or a worker cannot start."""
    opening = worker_request(engine)
    if opening is None or not sys.executable:
        return None
    shares = [[(low, high, number == 0) for number, (low, high) in enumerate(ranges)
               if len(ranges) * part <= number * processes < len(ranges) * (part + 1)] for part in range(processes)]
    workers = Workers()
    try:
        for index, share in enumerate(shares):
            errors = tempfile.TemporaryFile()
            child = subprocess.Popen([sys.executable, "-I", "-c", trace_scan.BOOTSTRAP], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=errors)
            workers.children.append((child, errors))
            child.stdin.write(pickle.dumps(dict(opening, **request, ranges=share, path=sys.path,
                                                 language=language())))
            child.stdin.close()
            threading.Thread(target=_read_messages, args=(index, child.stdout, workers.messages), daemon=True).start()
    except OSError as error:  # no such program, or a worker that ended before reading its request
        workers.__exit__()
        logger.warning(_("audit verify: could not start a worker process ({error}); scanning in this process instead")
                       .format(error=error))
        return None
    return workers


def _read_messages(index: int, stream, messages: queue.Queue) -> None:
    """A worker's pickled messages onto the queue, up to its ("done", …); ("end", None) if its
    output stops before that."""
    kind = None
    try:
        while kind != "done":
            kind, value = pickle.load(stream)
            messages.put((index, kind, value))
    except Exception:  # noqa: BLE001 - whatever cut its output short, the worker failed: the caller says so
        messages.put((index, "end", None))
