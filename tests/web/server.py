"""A real `banli serve` for the tests: a subprocess on 127.0.0.1 and a free port, waited for
until it answers /healthz, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(db_url: str, *extra: str):
    """Yields (base URL, the process); stops the server on leaving and checks it stopped cleanly."""
    port = free_port()
    command = [sys.executable, "-m", "banli", "--db", db_url, "serve", "--port", str(port), *extra]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONUNBUFFERED": "1", "BANLI_LANG": "zh_CN"})
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60  # a deadline for starting up, not a timed assertion
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"banli serve exited with {process.returncode}: {process.stderr.read().decode()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("banli serve did not answer /healthz within 60 s")
