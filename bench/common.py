"""What every benchmark sets up the same way: a banli store with the schema, the built-in
workflows and the test organisation."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

ORG = Path(__file__).resolve().parent.parent / "tests" / "data" / "org.yaml"
SETUP_AT = "2026-01-01T00:00:00.000000"
# Registration → handling, as the smoke test walks it (business time: now).
TO_HANDLING = [
    ("sort", "reg", {"category": "城市建设"}),
    ("review", "reg", {}),
    ("audit", "reg", {}),
    ("approve", "npc", {}),
    ("assign", "wang", {"lead_unit": "zjj", "co_units": "czj", "mode": "会办"}),
    ("sign_for", "li", {"leader": "局长", "handler": "科员"}),
]


def open_store(url: str, fresh: bool):
    """A banli store; a fresh database gets the schema, the built-in workflows and the test org."""
    from banli.engine.definitions import builtin_files, register_file
    from banli.engine.org import read_org
    from banli.store.operator import apply_org
    from banli.store.repo import SqlStore
    from banli.store.schema import upgrade

    store = SqlStore(url)
    if fresh:
        upgrade(store.engine)
        for path in builtin_files():
            register_file(store, path, "bench")
        apply_org(store, read_org(ORG), "bench", SETUP_AT)
    return store


def stored_params(path: Path, table: str) -> dict | None:
    """The parameters a kept benchmark database was built with, or None if it is not one."""
    if not path.exists():
        return None
    try:
        with sqlite3.connect(path) as conn:
            return json.loads(conn.execute(f"SELECT params FROM {table}").fetchone()[0])
    except (sqlite3.Error, TypeError):
        return None  # not one of ours, or a build that did not finish
