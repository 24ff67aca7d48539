"""Issue 14, item 8 ("small truths"): `remind --dry-run` counts what it lists; a listing filtered
by a session, state, unit or workflow that is not there says so (exit 7 or 3) instead of
listing nothing; every time in --json carries its offset and people read local times; API
token names fit their column."""

from __future__ import annotations

import re

import pytest

from banli.store.schema import api_token_t
from tests.cli.conftest import TO_HANDLING, walk

SESSION_STEPS = [("reg", "sort", {"category": "城市建设", "session": "16-1"}, "2026-01-20T09:00"), *TO_HANDLING[1:]]
# A second item, handled alone (no co-unit), replied, rated and so closed: the look-back takes it.
CLOSED_STEPS = [*SESSION_STEPS[:4],
                ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}, "2026-02-01T09:00"),
                ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-02-02T09:00"),
                ("li", "reply", {"result_class": "A", "text": "张三代表：您好", "signer": "王局长",
                                 "contact_person": "李科长"}, "2026-03-02T09:00"),
                ("wang", "accept_reply", {}, "2026-03-03T09:00"),
                ("zhang", "rate", {"rating": "满意"}, "2026-03-04T09:00")]
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")
TOKEN_NAME_WIDTH = api_token_t.c.name.type.length


def _one_line(result) -> bool:
    return result.stderr.count("\n") == 1 and result.stderr.startswith("banli: ")


@pytest.fixture
def played(banli, suggestion):
    """16-1-001 in handling, long overdue (session 16-1); 16-1-002 closed, taken by a look-back
    opened at 07:00 local time on 5 March 2026 (23:00 UTC the day before)."""
    walk(banli, suggestion, SESSION_STEPS)
    added = banli("item", "add", "--workflow", "npc-suggestion", "--ref", "16-1-002", "--title", "关于增设公交站台的建议",
                  "--deputy", "张三", "--field", "category=城市建设", "--at", "2026-01-10T09:00", user="reg")
    assert added.exit_code == 0, added.stderr
    walk(banli, "16-1-002", CLOSED_STEPS)
    opened = banli("campaign", "open", "lookback", "--session", "16-1", "--at", "2026-03-05T07:00", "--json",
                   user="wang")
    assert opened.exit_code == 0 and opened.json()["selected"] == 1, opened.stderr
    return banli


# -- remind --dry-run ---------------------------------------------------------------------------

def test_a_dry_run_counts_the_notifications_and_events_it_lists_as_the_sweep_then_does(banli, suggestion):
    walk(banli, suggestion, TO_HANDLING)  # reply due by the end of 1 May 2026: the "due soon" is skipped

    dry = banli("remind", "--dry-run", "--json").json()
    listed = dry["actions"]
    assert [(a["notify"], a["recipients"], a["fire"]) for a in listed] == [
        (["lead_unit", "supervisor"], ["li", "wang"], "urge"), (["supervisor"], ["wang"], "supervise")]
    assert (dry["reminders"], dry["notifications"], dry["events"], dry["skipped"]) == (2, 3, 2, 1)
    text = banli("remind", "--dry-run").stdout
    assert "would act on 2 reminder(s) of 1 item(s): 3 notification(s), 2 event(s)" in text
    assert "lead_unit,supervisor → li,wang" in text and "2026-05-02 00:00" in text

    done = banli("remind", "--json").json()
    assert (done["reminders"], done["notifications"], done["events"]) == (2, 3, 2)
    assert [a["recipients"] for a in done["actions"]] == [a["recipients"] for a in listed]
    reminders = [row for row in banli("notify", "list", "--json").json() if "#notify:" not in row["key"]]
    assert len(reminders) == done["notifications"]  # (the assignment's own notices are not the sweep's)


# -- filters that name nothing -----------------------------------------------------------------

def test_an_unknown_session_is_refused_by_every_listing_of_a_session(played, tmp_path):
    for args in (["ledger", "export", str(tmp_path / "台账.csv"), "--session", "16-9"],
                 ["campaign", "status", "--session", "16-9"],
                 ["report", "units", "--session", "16-9"],
                 ["report", "annual", "--session", "16-9"]):
        refused = played(*args, "--json")
        assert refused.exit_code == 7, args
        assert refused.stderr == "banli: no items of session '16-9'; sessions with items: 16-1\n", args
        assert refused.stdout == ""
    assert not (tmp_path / "台账.csv").exists()
    opened = played("campaign", "open", "lookback", "--session", "16-9", user="wang")
    assert opened.exit_code == 7 and _one_line(opened)
    assert played("campaign", "status", "--json").json()[0]["selected"] == 1  # nothing opened for 16-9


def test_a_known_session_not_yet_begun_is_an_empty_ledger_and_no_report(played, tmp_path):
    early = played("ledger", "export", str(tmp_path / "l.csv"), "--session", "16-1", "--as-of", "2025-12-31", "--json")
    assert early.exit_code == 0 and early.json()["rows"] == 0
    annual = played("report", "annual", "--session", "16-1", "--as-of", "2025-12-31")
    assert annual.exit_code == 7 and _one_line(annual) and "2025-12-31" in annual.stderr
    assert played("campaign", "status", "--session", "16-1", "--json").json()[0]["session"] == "16-1"


def test_item_list_refuses_a_state_unit_or_workflow_that_is_not_there(played):
    state = played("item", "list", "--state", "nope")
    assert state.exit_code == 3 and _one_line(state)
    assert "no state 'nope' in the registered workflows; states are: " in state.stderr
    assert "registered, sorted," in state.stderr  # npc-suggestion's, among every built-in workflow's
    assert "handling" in state.stderr and "signed" in state.stderr  # the child items' workflow too
    of_workflow = played("item", "list", "--workflow", "unit-task", "--state", "handling")
    assert of_workflow.exit_code == 3 and "workflow unit-task; states are: assigned, signed" in of_workflow.stderr
    unit = played("item", "list", "--unit", "nope")
    assert unit.exit_code == 7 and _one_line(unit) and "no unit 'nope'; units: czj (县财政局)" in unit.stderr
    workflow = played("item", "list", "--workflow", "nope")
    assert workflow.exit_code == 7 and _one_line(workflow) and "banli workflow list" in workflow.stderr

    assert played("item", "list", "--state", "rehandling", "--json").json() == []  # a state, none in it
    by_name = played("item", "list", "--unit", "县住建局", "--json").json()
    assert [i["ref"] for i in by_name] == [i["ref"] for i in played("item", "list", "--unit", "zjj", "--json").json()]
    assert [i["ref"] for i in by_name] == ["16-1-001", "16-1-002"]


def test_an_unknown_ref_is_not_found_in_one_line(played):
    for args in (["audit", "log", "16-9-999"], ["item", "show", "16-9-999"], ["item", "show", "16-1-001\nX"]):
        missing = played(*args)
        assert missing.exit_code == 7 and _one_line(missing), args


# -- times ---------------------------------------------------------------------------------------

LISTINGS = [
    ["org", "show"], ["workflow", "show", "npc-suggestion"], ["item", "list"], ["item", "list", "--children"],
    ["item", "show", "16-1-001"], ["item", "show", "16-1-002"], ["can", "16-1-001"], ["calendar", "show", "2026"],
    ["notify", "list"], ["campaign", "status"], ["campaign", "status", "lookback", "--as-of", "2026-06-01"],
    ["report", "annual", "--session", "16-1"], ["report", "bulletin", "--period", "2026-03"],
    ["report", "units", "--detail"], ["report", "units", "--as-of", "2026-06-01"],
    ["audit", "log"], ["audit", "verify"], ["remind", "--dry-run"], ["remind", "--dry-run", "--as-of", "2026-05-03"],
]


def _naive(value, path: str = "") -> list[tuple[str, str]]:
    """Every string in `value` that looks like a date-time and has no UTC offset, with its path."""
    if isinstance(value, dict):
        return [found for key, inner in value.items() for found in _naive(inner, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for index, inner in enumerate(value) for found in _naive(inner, f"{path}[{index}]")]
    if isinstance(value, str) and DATE_TIME.match(value) and not OFFSET.search(value):
        return [(path, value)]
    return []


def test_every_time_in_the_json_of_a_listing_carries_its_offset(played, tmp_path):
    assert played("remind", "--json").exit_code == 0  # notifications to list
    commands = [*LISTINGS, ["ledger", "export", str(tmp_path / "台账.xlsx"), "--session", "16-1"],
                ["user", "invite", "li", "--out", str(tmp_path / "links.xlsx")], ["audit", "checkpoint"]]
    naive = {}
    for args in commands:
        result = played(*args, "--json", user="wang")
        assert result.exit_code == 0, (args, result.stderr)
        naive.update({f"{' '.join(args[:2])}{path}": value for path, value in _naive(result.json())})
    assert naive == {}


def test_workflow_list_times_carry_their_offset(banli):
    assert _naive(banli("workflow", "list", "--json").json()) == []


def test_campaign_status_shows_the_opening_day_in_local_time(played):
    status = played("campaign", "status", "--json").json()[0]
    assert (status["opened_at"], status["due_at"]) == ("2026-03-05T07:00:00+08:00", "2026-04-06T00:00:00+08:00")
    assert "opened 2026-03-05)" in played("campaign", "status").stdout  # 2026-03-04 in UTC


# -- API token names ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["x" * (TOKEN_NAME_WIDTH + 1), "a\tb", "a\nb", " padded", ""],
                         ids=["too-long", "tab", "newline", "space", "empty"])
def test_a_token_name_that_does_not_fit_is_refused_before_it_is_stored(banli, name):
    refused = banli("user", "token", "li", "--name", name)
    assert refused.exit_code == 3 and _one_line(refused) and refused.stdout == ""
    assert banli("user", "revoke", "li", name).exit_code in (3, 7)  # nothing was stored to revoke


def test_a_token_name_as_long_as_its_column_is_taken(banli):
    name = "名" * TOKEN_NAME_WIDTH
    made = banli("user", "token", "li", "--name", name, "--json")
    assert made.exit_code == 0, made.stderr
    assert banli("user", "revoke", "li", name).exit_code == 0


def test_a_bulletin_of_an_unknown_session_is_not_found(played):
    result = played("report", "bulletin", "--period", "2026-03", "--session", "nope")
    assert result.exit_code == 7 and "no items of session 'nope'" in result.stderr, result.stderr
