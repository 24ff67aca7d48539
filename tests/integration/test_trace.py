"""The trace: append-only in the database itself, and `audit verify` names every changed,
deleted or reordered row by ref and seq, the same whether one process scans it or many
worker processes scan it in ranges."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from banli.store.audit import checkpoint, verify
from tests.integration.tamper import tamper

STEPS = [("reg", "sort", {"category": "城市建设"}), ("reg", "review", {}), ("reg", "audit", {}), ("npc", "approve", {})]


@pytest.fixture
def filed(runtime, clock):
    """Two items walked to `filed`: 16-1-001 and 16-1-002 (5 trace rows each)."""
    for ref in ("16-1-001", "16-1-002"):
        runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于道路维修的建议", actor="reg",
                       deputies=["张三"], fields={"category": "城市建设"})
        for user, event, data in STEPS:
            clock.advance(hours=1)
            runtime.fire(ref, event, user, data)
    return runtime


def test_intact_trace_verifies(filed, store):
    result = verify(store)
    assert {key: result[key] for key in ("ok", "items", "rows", "failures")} == \
        {"ok": True, "items": 2, "rows": 10, "failures": []}
    assert result["size"] == 10 and len(bytes.fromhex(result["root"])) == 32


@pytest.mark.parametrize("statement", [
    "UPDATE trace SET actor = 'x' WHERE seq = 1",
    "DELETE FROM trace WHERE seq = 1",
], ids=["update", "delete"])
def test_database_refuses_to_change_the_trace(filed, store, statement):
    with pytest.raises(DatabaseError, match="append-only"):
        with store.engine.begin() as connection:
            connection.execute(text(statement))
    assert verify(store)["ok"]


def test_changed_row_is_named(filed, store, db_url):
    tamper(db_url, "UPDATE trace SET data = '{\"category\":\"农业农村\"}' WHERE ref = '16-1-002' AND seq = 2")
    result = verify(store)
    assert not result["ok"]
    assert result["failures"] == [
        {"ref": "16-1-002", "seq": 2, "reason": "row changed: its hash does not match its content"},
        {"ref": "16-1-002", "seq": 5, "reason": "stored row differs from what its trace establishes (stored ≠ trace): "
                                                "category 城市建设 ≠ 农业农村"}]


def test_deleted_row_is_named(filed, store, db_url):
    tamper(db_url, "DELETE FROM trace WHERE ref = '16-1-001' AND seq = 3")
    failures = verify(store)["failures"]
    assert failures and all(f["ref"] == "16-1-001" for f in failures)
    assert failures[0]["seq"] == 4 and "expected seq 3" in failures[0]["reason"]


def test_deleted_last_row_is_caught_by_the_item_head(filed, store, db_url):
    tamper(db_url, "DELETE FROM trace WHERE ref = '16-1-001' AND seq = 5")
    failures = verify(store)["failures"]
    assert [(f["ref"], f["seq"]) for f in failures] == [("16-1-001", 5)]
    assert "trace ends at seq 4" in failures[0]["reason"]


def test_reordered_rows_are_named(filed, store, db_url):
    # swap the sequence numbers of rows 2 and 3 (through a free number, UNIQUE(item_id, seq))
    tamper(db_url,
           "UPDATE trace SET seq = 99 WHERE ref = '16-1-002' AND seq = 2",
           "UPDATE trace SET seq = 2 WHERE ref = '16-1-002' AND seq = 3",
           "UPDATE trace SET seq = 3 WHERE ref = '16-1-002' AND seq = 99")
    failures = verify(store)["failures"]
    assert {(f["ref"], f["seq"]) for f in failures} >= {("16-1-002", 2), ("16-1-002", 3)}
    assert all(f["ref"] == "16-1-002" for f in failures)


def test_checkpoint_changes_with_any_event(filed, store, runtime):
    before = checkpoint(store)
    assert (before["size"], before["root"]) == (checkpoint(store)["size"], checkpoint(store)["root"]) == \
        (10, verify(store)["root"])
    runtime.fire("16-1-001", "assign", "wang", {"lead_unit": "zjj", "mode": "单独办理"})
    after = checkpoint(store)
    assert after["size"] == 11 and after["root"] != before["root"]


# -- the scan split over worker processes (audit.verify's `processes`) --------------------------

REFS = ("16-1-001", "16-1-002", "16-1-003")
CHANGED = "row changed: its hash does not match its content"


@pytest.fixture
def interleaved(runtime, clock):
    """Three items walked to `filed` in turns, so that their rows interleave as a year's do:
    15 trace rows, every item's seq 1, then every item's seq 2 …"""
    for ref in REFS:
        runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于道路维修的建议", actor="reg",
                       deputies=["张三"], fields={"category": "城市建设"})
    for user, event, data in STEPS:
        for ref in REFS:
            clock.advance(minutes=10)
            runtime.fire(ref, event, user, data)
    return runtime


def _rehash(db_url: str, ref: str, seq: int, data: str) -> list[str]:
    """An attacker who changes a row and writes its new hash: only the chain can tell."""
    from sqlalchemy import create_engine

    from banli.engine.chain import HASHED_FIELDS, row_hash
    from banli.store.db import normalise_url

    engine = create_engine(normalise_url(db_url))
    with engine.connect() as connection:
        row = connection.execute(text(f"SELECT {', '.join(HASHED_FIELDS)} FROM trace WHERE ref = :ref AND seq = :seq"),
                                 {"ref": ref, "seq": seq}).one()._mapping
    engine.dispose()
    digest = row_hash(**dict(row, data=data))
    return [f"UPDATE trace SET data = '{data}', hash = '{digest}' WHERE ref = '{ref}' AND seq = {seq}"]


# each case: the tampering, and what one pass must name (ref, seq, words of the reason), in order
TAMPERING = {
    "intact": (lambda url: [], []),
    "changed": (lambda url: ["UPDATE trace SET data = '{\"category\":\"农业农村\"}' WHERE ref = '16-1-002' AND seq = 2"],
                [("16-1-002", 2, CHANGED), ("16-1-002", 5, "category 城市建设 ≠ 农业农村")]),
    "deleted": (lambda url: ["DELETE FROM trace WHERE ref = '16-1-001' AND seq = 3"],
                [("16-1-001", 4, "expected seq 3, found 4")]),
    "deleted-first-row": (lambda url: ["DELETE FROM trace WHERE ref = '16-1-001' AND seq = 1"],
                          [("16-1-001", 2, "expected seq 1, found 2")]),
    "deleted-last": (lambda url: ["DELETE FROM trace WHERE ref = '16-1-003' AND seq = 5"],
                     [("16-1-003", 5, "trace ends at seq 4")]),
    "reordered": (lambda url: ["UPDATE trace SET seq = 99 WHERE ref = '16-1-002' AND seq = 2",
                               "UPDATE trace SET seq = 2 WHERE ref = '16-1-002' AND seq = 3",
                               "UPDATE trace SET seq = 3 WHERE ref = '16-1-002' AND seq = 99"],
                  [("16-1-002", 3, CHANGED), ("16-1-002", 3, "expected seq 2, found 3"),
                   ("16-1-002", 2, CHANGED), ("16-1-002", 2, "expected seq 4, found 2"),
                   ("16-1-002", 4, "expected seq 3, found 4")]),
    "rehashed": (lambda url: _rehash(url, "16-1-001", 2, '{"category":"农业农村"}'),
                 [("16-1-001", 3, "chain broken"), ("16-1-001", 5, "category 城市建设 ≠ 农业农村")]),
}


@pytest.mark.parametrize("processes, ranges", [(1, None), (3, None), (2, 15)],
                         ids=["one-process", "3-processes", "a-range-per-row"])
@pytest.mark.parametrize("case", list(TAMPERING))
def test_split_scan_names_what_one_pass_names(interleaved, store, db_url, case, processes, ranges, caplog):
    """Split by id into ranges scanned by worker processes (15 ranges: every row starts one,
    so every chain link is checked across a boundary), verify reports what one pass reports."""
    make_statements, expected = TAMPERING[case]
    statements = make_statements(db_url)
    if statements:
        tamper(db_url, *statements)
    one_pass = verify(store, processes=1)
    assert [(f["ref"], f["seq"]) for f in one_pass["failures"]] == [(ref, seq) for ref, seq, _ in expected]
    assert all(words in f["reason"] for f, (_, _, words) in zip(one_pass["failures"], expected))
    calls: list[int] = []
    result = verify(store, calls.append, processes=processes, ranges=ranges)
    assert result == one_pass
    assert calls and calls[-1] == result["rows"] == (14 if case.startswith("deleted") else 15)
    assert not [record for record in caplog.records if record.levelname == "WARNING"]  # the workers did the work


def test_hash_input_built_by_the_database_is_row_hash_input(filed, store, db_url):
    """The bytes the database joins are those banli.engine.chain hashes: integers in decimal,
    non-ASCII text as UTF-8, every character kept — a NUL (SQLite's text can hold one, its
    printf stops there) by the exact query verify checks a row on again before naming it."""
    import hashlib

    from banli.engine.chain import HASHED_FIELDS, SEPARATOR, row_hash
    from banli.store.trace_scan import exact_fields, range_query

    dialect = store.engine.dialect.name
    text_fields = [name for name in HASHED_FIELDS if name != "seq"]
    texts = ["苏州·建议 №7 ü", "😀 emoji", "tab\tnew\nline", "sep\x1finside", "\\ '' \"", "100% %s %d"]
    if dialect == "sqlite":
        texts.append("nul\x00inside")  # PostgreSQL text cannot hold NUL; SQLite's can
    with store.engine.begin() as connection:
        item_id = connection.execute(text("SELECT id FROM item WHERE ref = '16-1-001'")).scalar()
        for number, value in enumerate(texts):
            values = {name: f"{value} {name}" for name in text_fields}
            connection.execute(text(f"INSERT INTO trace (item_id, seq, hash, {', '.join(text_fields)}) VALUES "
                                    f"(:item_id, :seq, '', {', '.join(':' + name for name in text_fields)})"),
                               dict(values, item_id=item_id, seq=1000 + number * 98765))
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(range_query(dialect), (0, 10**9)).all()
        exact = [SEPARATOR.encode().join(bytes(value) for value in connection.exec_driver_sql(
            exact_fields(dialect), (row[0],)).one()) for row in rows]
        fields = connection.execute(text("SELECT ref, seq, event, from_state, to_state, actor, occurred_at, "
                                         "recorded_at, data, def_hash, prev_hash, hash FROM trace ORDER BY id")).all()
    assert len(rows) == len(fields) == 10 + len(texts)
    for row, joined, values in zip(rows, exact, fields):
        assert joined == SEPARATOR.join(str(value) for value in values[:-1]).encode("utf-8")
        assert hashlib.sha256(joined).hexdigest() == row_hash(*values[:-1])
        assert bytes(row[2]) == values[-1].encode()
        if "\x00" not in values[0]:
            assert bytes(row[-1]) == joined
    assert [hashlib.sha256(bytes(row[-1])).hexdigest().encode() == bytes(row[2]) for row in rows] == \
        [True] * 10 + [False] * len(texts)


def test_a_row_with_a_nul_verifies_when_its_hash_is_right(filed, store, db_url):
    """SQLite: a NUL inside a field stops the fast hash input short; the row is checked again
    on every character before it would be named, so it is not named."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL text cannot hold a NUL")
    from tests.integration.insider import rewrite

    def nul(row: dict) -> None:
        if row["seq"] == 4:
            row["actor"] = "reg\x00"
    rewrite(store, db_url, "16-1-002", nul)
    assert verify(store)["failures"] == []
    tamper(db_url, "UPDATE trace SET actor = 'reg' || char(0) || 'x' WHERE ref = '16-1-002' AND seq = 4")
    assert [(f["ref"], f["seq"], f["reason"]) for f in verify(store)["failures"]] == [("16-1-002", 4, CHANGED)]


def test_worker_processes_that_fail_leave_the_scan_to_this_process(interleaved, store, db_url, monkeypatch, caplog):
    import shutil
    import sys

    false = shutil.which("false")
    if not false:
        pytest.skip("no `false` command to stand in for a Python that cannot start")
    tamper(db_url, "DELETE FROM trace WHERE ref = '16-1-002' AND seq = 3")
    expected = verify(store, processes=1)
    monkeypatch.setattr(sys, "executable", false)
    assert verify(store, processes=3) == expected
    assert "scanning in this process instead" in caplog.text


# -- the Merkle tree and the checkpoints, split or not --------------------------------------------

def _leaves(db_url: str) -> list[bytes]:
    """Every row's leaf, worked out here: SHA-256(0x00 ‖ SHA-256 of the row's hash input)."""
    from sqlalchemy import create_engine

    from banli.engine.chain import HASHED_FIELDS, row_hash
    from banli.engine.merkle import leaf_hash
    from banli.store.db import normalise_url

    engine = create_engine(normalise_url(db_url))
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT {', '.join(HASHED_FIELDS)} FROM trace ORDER BY id")).all()
    engine.dispose()
    return [leaf_hash(bytes.fromhex(row_hash(*row))) for row in rows]


@pytest.mark.parametrize("most_heads", [4096, 4, 2], ids=["width-1", "width-4", "width-8"])
@pytest.mark.parametrize("processes, ranges", [(1, None), (3, None), (2, 15)],
                         ids=["one-process", "3-processes", "a-range-per-row"])
def test_split_scan_gives_the_one_tree_and_the_same_proofs(interleaved, store, db_url, monkeypatch, most_heads,
                                                           processes, ranges):
    """The leaves fold into aligned subtrees of 1, 4 or 8 leaves across range boundaries as in
    one pass: the same root (RFC 6962's, of every row's leaf), and checkpoints taken at every
    earlier size are proved (their leaves kept where a size falls inside a subtree)."""
    from datetime import datetime, timezone

    from banli.engine.merkle import SubtreeLog, root_of
    from banli.store import checkpoints, trace_scan

    monkeypatch.setattr(trace_scan, "MAX_HEADS", most_heads)
    leaves = _leaves(db_url)
    at = datetime(2026, 6, 1, tzinfo=timezone.utc)
    taken = [dict(checkpoints.document(SubtreeLog(1, leaves[:size], []), at), file="-", line=size)
             for size in range(len(leaves) + 1)]
    assert [len(made["heads"]) for made in taken][-1] == -(-15 // {4096: 1, 4: 4, 2: 8}[most_heads])
    against = [checkpoints._checked("-", made["line"], made) for made in taken]
    one_pass = verify(store, processes=1, against=against)
    assert one_pass["ok"] and one_pass["root"] == root_of(leaves).hex() and one_pass["size"] == 15
    assert verify(store, processes=processes, ranges=ranges, against=against) == one_pass
    tamper(db_url, *_rehash(db_url, "16-1-002", 3, '{"note":"改过"}'))
    changed = verify(store, processes=1, against=against)
    assert [check["ok"] for check in changed["against"]] == [True] * 8 + [False] * 8  # row 8 is 16-1-002 seq 3
    assert verify(store, processes=processes, ranges=ranges, against=against) == changed
    # named: the changed row itself where the heads are of single rows, else the row after it,
    # whose chain link broke, or the first row of the subtree that holds it
    expected = {4096: ("16-1-002", 3), 4: ("16-1-002", 2), 2: ("16-1-001", 1)}[most_heads]
    assert [(f["ref"], f["seq"]) for f in changed["failures"]] == [("16-1-002", 4)] + [expected] * 8
