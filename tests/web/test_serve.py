"""`banli serve` as an operator runs it: uvicorn on the database of `--db`, answering until
SIGTERM, then stopping cleanly; a database that is not banli's is refused with one line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request

from tests.web.server import ROOT, serving


def test_serve_answers_and_stops_cleanly_on_sigterm(store, db_url):
    with serving(db_url) as (base, process):
        with urllib.request.urlopen(base + "/healthz") as answer:
            assert json.load(answer) == {"ok": True}
        try:
            urllib.request.urlopen(base + "/api/items")
            raise AssertionError("the API answered without sign-in")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401 and json.load(refused)["error"]["exit_code"] == 4
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        stderr = process.stderr.read().decode()
        assert "Traceback" not in stderr


def test_serve_refuses_a_database_that_is_not_initialised(tmp_path):
    (tmp_path / "empty.db").touch()
    result = subprocess.run([sys.executable, "-m", "banli", "--db", f"sqlite:///{tmp_path / 'empty.db'}", "serve",
                             "--port", "1"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 9
    assert "尚未初始化" in result.stderr and " init " in result.stderr and "Traceback" not in result.stderr
