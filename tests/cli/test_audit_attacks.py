"""The issue's attacks on the record, each made as an insider with the database would make it,
and what `banli audit verify` says: an item row changed behind the trace's back, an item
without its trace or a trace without its item, a row that leaves from a state its item was
not in, are named (exit 8); what leaves every chain intact (a whole item removed, an item's
last rows cut off, a chain rewritten with recomputed hashes) is caught by `verify --against`
a checkpoint taken before, which names the first row that differs."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from banli.engine.runtime import Runtime
from banli.store.repo import SqlStore
from tests.integration.insider import insider, item_id, remove_item, rewrite, set_data
from tests.unit.steps import ALONE, YEAR, register_for_year

RATED, HANDLING, LAST = "16-1-155", "16-1-156", "16-1-157"


@pytest.fixture
def year(banli, db_url):
    """16-1-155 through a year (co-units, a reply sent back, rated 满意) and its
    children, then 16-1-156 assigned to one unit and in handling (9 rows), then 16-1-157
    registered, sorted and reviewed (3 rows, the log's last)."""
    store = SqlStore(db_url)
    runtime = Runtime(store, now=lambda: datetime(2026, 6, 1, 12, tzinfo=timezone.utc))
    register_for_year(runtime, RATED)
    for suffix, user, event, data, at in YEAR:
        runtime.fire(RATED + suffix, event, user, data, at)
    register_for_year(runtime, HANDLING)
    for suffix, user, event, data, at in ALONE:
        runtime.fire(HANDLING + suffix, event, user, data, at)
    register_for_year(runtime, LAST)
    for suffix, user, event, data, at in YEAR[:2]:
        runtime.fire(LAST + suffix, event, user, data, at)
    assert banli("audit", "verify").exit_code == 0
    yield store
    store.close()


def failures(banli, *options: str) -> list[dict]:
    """`audit verify --json`'s failures; it must exit 8 when there are any, 0 when none."""
    result = banli("audit", "verify", "--json", *options)
    found = result.json()["failures"]
    assert result.exit_code == (8 if found else 0), result.stderr
    assert result.json()["ok"] is not found
    return found


# -- the item rows: a projection of the trace -----------------------------------------------------

def test_a_rating_written_into_the_item_row_is_named(year, banli, db_url):
    """The issue's first attack: the reported satisfaction moved by one UPDATE of item.fields."""
    if db_url.startswith("sqlite"):
        insider(db_url, f"UPDATE item SET fields = json_set(fields, '$.rating', '满意') WHERE ref = '{HANDLING}'")
    else:
        insider(db_url, f"UPDATE item SET fields = (fields::jsonb || '{{\"rating\": \"满意\"}}'::jsonb)::text "
                        f"WHERE ref = '{HANDLING}'")
    found = failures(banli)
    assert [(f["ref"], f["seq"]) for f in found] == [(HANDLING, 9)]
    assert found[0]["reason"] == "stored row differs from what its trace establishes (stored ≠ trace): rating 满意 ≠ (none)"
    result = banli("audit", "verify")
    assert result.exit_code == 8
    assert f"{HANDLING} seq 9: stored row differs" in result.stderr and "rating 满意 ≠ (none)" in result.stderr


def test_a_state_and_version_written_into_the_item_row_are_named(year, banli, db_url):
    insider(db_url, f"UPDATE item SET state = 'closed', version = 12 WHERE ref = '{HANDLING}'")
    found = failures(banli)
    assert [f["ref"] for f in found] == [HANDLING]
    assert "state closed ≠ handling; version 12 ≠ 9" in found[0]["reason"]


def test_trace_rows_without_their_item_are_named(year, banli, db_url):
    number = item_id(db_url, HANDLING)
    insider(db_url, f"DELETE FROM item_deputy WHERE item_id = {number}",
            f"DELETE FROM assignment WHERE item_id = {number}", f"DELETE FROM item WHERE id = {number}")
    found = failures(banli)
    assert [(f["ref"], f["seq"]) for f in found] == [(HANDLING, 1)]
    assert found[0]["reason"] == "9 trace row(s) of no item: the item row was deleted"


def test_an_item_without_its_trace_is_named(year, banli, db_url):
    insider(db_url, f"DELETE FROM trace WHERE ref = '{HANDLING}'")
    found = failures(banli)
    assert [(f["ref"], f["reason"]) for f in found] == [(HANDLING, "the item has no trace: no event establishes it")]


def test_a_row_that_leaves_from_another_state_is_named(year, banli, db_url):
    """Rechained with recomputed hashes, so only the states tell: review leaves from registered."""
    def change(row: dict) -> None:
        if row["seq"] == 3:
            row["from_state"] = "registered"
    rewrite(year, db_url, HANDLING, change)
    found = failures(banli)
    assert [(f["ref"], f["seq"]) for f in found] == [(HANDLING, 3)]
    assert found[0]["reason"] == "state broken: the row leaves from registered but the row before left the item in sorted"


# -- the log: a checkpoint taken before, and what only it can tell ---------------------------------

@pytest.fixture
def checkpointed(year, banli, tmp_path):
    """A checkpoint of the year's log in a file, as the operator would publish it."""
    result = banli("audit", "checkpoint", "--out", str(tmp_path / "checkpoint.json"))
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert set(printed) == {"size", "root", "at"} and printed["size"] > 29
    return tmp_path / "checkpoint.json"


def log_rows(db_url: str) -> list[tuple[str, int, str]]:
    """(ref, seq, event) of every trace row, in log order."""
    from sqlalchemy import create_engine, text

    from banli.store.db import normalise_url

    engine = create_engine(normalise_url(db_url))
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text("SELECT ref, seq, event FROM trace ORDER BY id"))]
    engine.dispose()
    return rows


def rating_seq(db_url: str) -> int:
    return next(seq for ref, seq, event in log_rows(db_url) if ref == RATED and event == "rate")


def test_the_log_that_only_grew_extends_its_checkpoint(checkpointed, year, banli):
    Runtime(year).fire(HANDLING, "urge", "wang", {"note": "请加快办理"})
    assert failures(banli, "--against", str(checkpointed)) == []
    assert banli("audit", "verify", "--json", "--against", str(checkpointed)).json()["against"][0]["ok"] is True


def test_a_whole_item_removed_is_caught_by_the_checkpoint(checkpointed, banli, db_url):
    before = log_rows(db_url)
    first = [row[0] for row in before].index(HANDLING)
    remove_item(db_url, HANDLING)
    assert failures(banli) == []  # every chain that is left is whole
    found = failures(banli, "--against", str(checkpointed))
    now_there = log_rows(db_url)[first]  # the row that moved up into the removed item's first place
    assert [(f["ref"], f["seq"]) for f in found] == [now_there[:2]] and now_there[0] == LAST
    assert f"the first difference is among rows {first + 1}–{first + 1} of the log" in found[0]["reason"]


def test_an_item_cut_short_is_caught_by_the_checkpoint(checkpointed, year, banli, db_url):
    """Its rating and the acceptance of its reply cut off, its item row fixed to match."""
    before = log_rows(db_url)
    rated = [row for row in before if row[0] == RATED]
    assert [event for _ref, _seq, event in rated[-2:]] == ["accept_reply", "rate"]
    cut = before.index(rated[-2])
    rewrite(year, db_url, RATED, keep=len(rated) - 2)
    assert failures(banli) == []
    found = failures(banli, "--against", str(checkpointed))
    assert [(f["ref"], f["seq"]) for f in found] == [log_rows(db_url)[cut][:2]]


def test_a_chain_rewritten_with_recomputed_hashes_is_caught_by_the_checkpoint(checkpointed, year, banli, db_url):
    """The rating 满意 made 基本满意, the hashes recomputed, the item row made to match."""
    rows = log_rows(db_url)
    rate = next(row for row in rows if row[0] == RATED and row[2] == "rate")
    rewrite(year, db_url, RATED, set_data(rate[1], rating="基本满意"))
    assert failures(banli) == []
    found = failures(banli, "--against", str(checkpointed))
    assert [(f["ref"], f["seq"]) for f in found] == [rate[:2]]
    place = rows.index(rate) + 1
    assert f"rows {place}–{place} of the log ({RATED} seq {rate[1]} … {RATED} seq {rate[1]})" in found[0]["reason"]


def test_rows_deleted_at_the_end_are_counted(checkpointed, year, banli, db_url):
    rewrite(year, db_url, LAST, keep=1)  # its last two rows are the log's last two
    assert failures(banli) == []
    found = failures(banli, "--against", str(checkpointed))
    assert len(found) == 1 and "it holds 2 row(s) more than the log has now" in found[0]["reason"]


def test_a_bare_checkpoint_still_proves_and_says_it_cannot_locate(checkpointed, year, banli, db_url, tmp_path):
    """{"size", "root", "at"} as printed in a bulletin: the proof still fails; no heads, no rows named."""
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({key: json.loads(checkpointed.read_text())[key] for key in ("size", "root", "at")}))
    assert failures(banli, "--against", str(bare)) == []
    rewrite(year, db_url, RATED, set_data(rating_seq(db_url), rating="基本满意"))
    found = failures(banli, "--against", str(bare))
    assert [(f["ref"], f["seq"]) for f in found] == [("@checkpoint", 1)]
    assert "carries no subtree heads" in found[0]["reason"]


def test_a_row_that_fails_its_own_check_is_the_one_named(checkpointed, banli, db_url):
    insider(db_url, f"UPDATE trace SET actor = 'wang' WHERE ref = '{RATED}' AND seq = 3")
    found = failures(banli, "--against", str(checkpointed))
    assert [(f["ref"], f["seq"]) for f in found][-1] == (RATED, 3)
    assert "the first row that differs is this one (row changed" in found[-1]["reason"]


def test_every_checkpoint_of_a_daily_file_is_checked(checkpointed, year, banli, db_url, tmp_path):
    """The scheduler's file: a line a day. An insider who appends a fresh line after rewriting
    the log is caught by the lines before it."""
    daily = tmp_path / "daily.jsonl"
    first = checkpointed.read_text()
    Runtime(year).fire(HANDLING, "urge", "wang", {"note": "请加快办理"})
    assert banli("audit", "checkpoint", "--out", str(tmp_path / "second.json")).exit_code == 0
    daily.write_text(first + (tmp_path / "second.json").read_text())
    assert failures(banli, "--against", str(daily)) == []
    rewrite(year, db_url, RATED, set_data(rating_seq(db_url), rating="基本满意"))
    assert banli("audit", "checkpoint", "--out", str(tmp_path / "third.json")).exit_code == 0
    daily.write_text(daily.read_text() + (tmp_path / "third.json").read_text())
    result = banli("audit", "verify", "--json", "--against", str(daily))
    assert result.exit_code == 8
    assert [check["ok"] for check in result.json()["against"]] == [False, False, True]
    assert [(f["ref"], f["seq"]) for f in result.json()["failures"]] == [(RATED, rating_seq(db_url))] * 2


def test_no_checkpoint_of_a_log_that_does_not_verify(year, banli, db_url, tmp_path):
    insider(db_url, f"UPDATE trace SET actor = 'wang' WHERE ref = '{RATED}' AND seq = 3")
    result = banli("audit", "checkpoint", "--out", str(tmp_path / "checkpoint.json"))
    assert result.exit_code == 8
    assert "no checkpoint: the trace does not verify" in result.stderr
    assert not (tmp_path / "checkpoint.json").exists()


@pytest.mark.parametrize("content, words", [
    ("not json", "not a JSON checkpoint"),
    ('{"size": -1, "root": "00"}', "size must be"),
    ('{"size": 3, "root": "zz"}', "root must be 64 hexadecimal digits"),
], ids=["not-json", "bad-size", "bad-root"])
def test_a_bad_checkpoint_file_is_invalid_input(year, banli, tmp_path, content, words):
    path = tmp_path / "checkpoint.json"
    path.write_text(content)
    result = banli("audit", "verify", "--against", str(path))
    assert result.exit_code == 3 and words in result.stderr
    missing = banli("audit", "verify", "--against", str(tmp_path / "missing.json"))
    assert missing.exit_code == 3 and "not found" in missing.stderr
