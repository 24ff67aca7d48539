"""What every benchmark sets up the same way: a banli store with the schema, the built-in
workflows and the test organisation."""

from __future__ import annotations

from pathlib import Path

ORG = Path(__file__).resolve().parent.parent / "tests" / "data" / "org.yaml"
SETUP_AT = "2026-01-01T00:00:00.000000"


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
