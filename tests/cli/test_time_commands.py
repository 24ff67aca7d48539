"""`banli calendar add|show` and `banli remind` from the command line."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import TO_HANDLING, walk

DATA = Path(__file__).parent.parent / "data"


def test_calendar_show_add_and_errors(banli, tmp_path):
    known = banli("calendar", "show", "2025", "--json").json()
    assert known["source"] == "chinese-calendar"
    assert "2025-10-08" in known["holidays"] and known["workdays"] == [
        "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]

    missing = banli("calendar", "show", "2027")
    assert missing.exit_code == 7 and "banli calendar add" in missing.stderr

    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\nworkdays: [2027-03-03]\n", encoding="utf-8")
    refused = banli("calendar", "add", str(bad))
    assert refused.exit_code == 3 and "is a weekday already" in refused.stderr

    added = banli("calendar", "add", str(DATA / "calendar-2027.yaml"), "--json")
    assert added.exit_code == 0, added.stderr
    assert added.json()["holidays"] == 10 and added.json()["replaced"] is False
    shown = banli("calendar", "show", "2027", "--json").json()
    assert shown["source"].startswith("国务院办公厅") and shown["workdays"] == ["2027-02-14", "2027-02-20"]


def test_remind_dry_run_and_sweep(banli, suggestion):
    walk(banli, suggestion, TO_HANDLING)  # assigned 2026-02-01: reply due end of 1 May 2026, long past
    dry = banli("remind", "--dry-run", "--json")
    assert dry.exit_code == 0
    # the deadline has long passed: no "due soon" (skipped), the urge and the escalation
    assert [a["rule"] for a in dry.json()["actions"]] == ["handling:1", "handling:2"] and dry.json()["skipped"] == 1
    done = banli("remind", "--json").json()
    assert (done["reminders"], done["events"], done["skipped"]) == (2, 2, 1)  # urge and supervise fired
    assert banli("remind", "--json").json()["reminders"] == 0
    events = [t["event"] for t in banli("audit", "log", suggestion, "--json").json()]
    assert events[-2:] == ["urge", "supervise"]
    future = banli("remind", "--as-of", "2099-01-01")
    assert future.exit_code == 3 and "in the future" in future.stderr


def test_item_list_overdue_as_of(banli, suggestion):
    walk(banli, suggestion, TO_HANDLING)  # reply due by the end of 1 May 2026
    before = banli("item", "list", "--overdue", "--as-of", "2026-05-01T23:00", "--json").json()
    after = banli("item", "list", "--overdue", "--as-of", "2026-05-02T00:30", "--json").json()
    assert before == []
    assert [(i["ref"], i["deadline"], i["overdue"]) for i in after] == [("16-1-001", "2026-05-02T00:00:00+08:00", True)]
    shown = banli("item", "show", suggestion, "--as-of", "2026-04-01", "--json").json()
    assert shown["overdue"] is False and shown["deadline"] == "2026-05-02T00:00:00+08:00"
    text = banli("item", "list", "--as-of", "2026-06-01").stdout
    assert "逾期" in text and "2026-05-01 24:00" in text
