"""Values at the edges from the command line (issue 14, item 2; SPEC §6 "no input ends in exit
1"): dates outside 1900-01-01 … 2100-12-31, durations over ten years' worth of their unit,
numbers over 64 bits, bytes that are not UTF-8, lone surrogates and deeply nested JSON are
refused with exit 3 and one line, on SQLite and PostgreSQL alike, and nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import TO_HANDLING, walk

RANGE = "1900-01-01 … 2100-12-31"
HOTLINE = Path(__file__).parent.parent / "definitions" / "good" / "hotline-order.yaml"
CPPCC = Path(__file__).parent.parent / "definitions" / "good" / "cppcc-proposal-example.yaml"


def one_line_error(result, code: int = 3) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == code and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def trace_of(banli, ref: str) -> list:
    return banli("audit", "log", ref, "--json").json()


def add(banli, *extra: str, ref: str = "16-1-002"):
    return banli("item", "add", "--workflow", "npc-suggestion", "--ref", ref, "--title", "关于加强物业管理的建议",
                 "--deputy", "张三", "--field", "category=城市建设", *extra, user="reg")


@pytest.fixture
def handling(banli, suggestion):
    """16-1-001, assigned to zjj and signed for: in handling, where an extension may be granted."""
    walk(banli, suggestion, TO_HANDLING)
    return suggestion


# -- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("at", ["0001-01-01", "1899-12-31T23:59", "0001-01-01T00:00+14:00"])
def test_an_event_time_before_1900_is_refused_and_nothing_is_registered(banli, at):
    assert RANGE in one_line_error(add(banli, "--at", at))
    assert banli("item", "list", "--json").json() == []


@pytest.mark.parametrize("args", [
    ["item", "list", "--as-of", "0001-01-01"],
    ["item", "list", "--as-of", "9999-12-31T23:59"],
    ["remind", "--as-of", "0001-01-01", "--dry-run"],
    ["report", "bulletin", "--period", "9999-12"],
    ["report", "bulletin", "--period", "1899-12"],
    ["report", "units", "--as-of", "2101-01-01"],
    ["calendar", "show", "99999"],
    ["calendar", "show", "1899"],
    ["calendar", "show", "0"],
], ids=lambda args: " ".join(args))
def test_a_date_or_year_outside_the_range_is_refused(banli, suggestion, args):
    assert RANGE in one_line_error(banli(*args))


def test_a_calendar_year_outside_the_range_is_not_added(banli, tmp_path):
    schedule = tmp_path / "calendar-2101.yaml"
    schedule.write_text("year: 2101\nsource: test\nholidays: []\nworkdays: []\n", encoding="utf-8")
    assert RANGE in one_line_error(banli("calendar", "add", str(schedule)))
    undecodable = tmp_path / "calendar-2030.yaml"
    undecodable.write_text('year: 2030\nsource: "\\ud800"\nholidays: []\nworkdays: []\n', encoding="utf-8")
    assert "U+D800" in one_line_error(banli("calendar", "add", str(undecodable)))


# -- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize("extend_by, cap", [
    ("99999999999 months", "at most 120 months"),
    ("999999 workdays", "at most 2,600 workdays"),
    ("99999999999999999999999 hours", "at most 87,600 hours"),
    ("9" * 5000 + " days", "at most 3,650 days"),
], ids=["11-digit-months", "999999-workdays", "23-digit-hours", "5000-digit-days"])
def test_an_extension_over_the_cap_is_refused_before_it_is_counted(banli, handling, extend_by, cap):
    """999,999 workdays used to be counted first (35 s and a warning for each of 3,835 years
    without a holiday schedule); one line now, and the deadline stays where it was."""
    before = trace_of(banli, handling)
    result = banli("fire", handling, "grant_extension", "--data", f"extend_by={extend_by}", user="wang")

    assert cap in one_line_error(result)
    assert trace_of(banli, handling) == before


def test_a_definition_duration_over_the_cap_is_a_definition_error(banli, tmp_path):
    text = CPPCC.read_text(encoding="utf-8").replace("reply_within: 3 months", "reply_within: 999999999 months")
    definition = tmp_path / "cppcc-proposal.yaml"
    definition.write_text(text, encoding="utf-8")

    result = banli("workflow", "validate", str(definition))

    assert result.exit_code == 3
    assert "a duration of 999999999 months is too long: at most 120 months" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


# -- typed fields ---------------------------------------------------------------------------


@pytest.mark.parametrize("field, says", [
    ("promised_on=2101-01-01", RANGE),
    ("promised_on=1899-12-31", RANGE),
    (f"call_count={2**63}", "too large"),
    ("call_count=" + "9" * 5000, "too large"),
], ids=["date-2101", "date-1899", "int-2^63", "int-5000-digits"])
def test_a_field_value_at_the_edge_is_refused_and_nothing_is_registered(banli, field, says):
    assert banli("workflow", "register", str(HOTLINE)).exit_code == 0
    result = banli("item", "add", "--workflow", "hotline-order", "--ref", "H-001", "--title", "供水问题",
                   "--deputy", "张三", "--field", "category=供水", "--field", field, user="wang")

    assert says in one_line_error(result)
    assert banli("item", "list", "--json").json() == []


def test_a_whole_number_of_64_bits_is_kept(banli):
    assert banli("workflow", "register", str(HOTLINE)).exit_code == 0
    result = banli("item", "add", "--workflow", "hotline-order", "--ref", "H-001", "--title", "供水问题",
                   "--deputy", "张三", "--field", "category=供水", "--field", f"call_count={2**63 - 1}",
                   "--field", "promised_on=2100-12-31", user="wang")

    assert result.exit_code == 0, result.stderr
    fields = banli("item", "show", "H-001", "--json").json()["fields"]
    assert (fields["call_count"], fields["promised_on"]) == (2**63 - 1, "2100-12-31")


# -- text that is not text ------------------------------------------------------------------


@pytest.mark.parametrize("option, value", [
    ("--ref", "16-1-\udcff"), ("--title", "关于\udcff的建议"), ("--content", "\udcfe\udcff"),
], ids=["ref", "title", "content"])
def test_an_undecodable_argument_of_item_add_is_refused(banli, option, value):
    args = {"--ref": "16-1-002", "--title": "关于加强物业管理的建议", option: value}
    result = banli("item", "add", "--workflow", "npc-suggestion", "--deputy", "张三", "--field", "category=城市建设",
                   *[part for pair in args.items() for part in pair], user="reg")

    assert "U+DC" in one_line_error(result)
    assert banli("item", "list", "--json").json() == []


@pytest.mark.parametrize("args", [
    ["--data", "method=phone", "--data", "note=\udcff\udcfe"],
    ["--data", "method=phone", "--data", "\udcff=1"],
    ["--data", "method=phone", "--at", "2026-02-03\udcff"],
], ids=["value", "key", "at"])
def test_undecodable_event_data_is_refused_and_nothing_is_traced(banli, handling, args):
    before = trace_of(banli, handling)
    result = banli("fire", handling, "contact", *args, user="li")

    assert "is not UTF-8 text" in one_line_error(result)
    assert trace_of(banli, handling) == before


@pytest.mark.parametrize("content, says", [
    (b'{"method": "phone", "note": "\xff\xfe"}', "is not UTF-8 text (byte 0xff"),
    (b'{"method": "phone", "note": "\\ud800"}', "U+D800"),
    (b'{"method": "phone", "note": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested more than 20 deep"),
    (b"[" * 100_000 + b"]" * 100_000, "nested more than 20 deep"),
    (b'{"method": "phone", "note": 1' + b"0" * 5000 + b"}", "more than 4,300 digits"),
], ids=["invalid-utf8", "lone-surrogate", "deep-value", "deep-document", "5000-digits"])
def test_a_data_file_outside_the_limits_is_refused_and_nothing_is_traced(banli, handling, tmp_path, content, says):
    path = tmp_path / "data.json"
    path.write_bytes(content)
    before = trace_of(banli, handling)

    result = banli("fire", handling, "contact", "--data-file", str(path), user="li")

    assert says in one_line_error(result)
    assert trace_of(banli, handling) == before


def test_a_data_file_in_utf8_with_a_bom_is_read(banli, handling, tmp_path):
    path = tmp_path / "data.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"method": "phone", "note": "电话联系"}).encode())

    result = banli("fire", handling, "contact", "--data-file", str(path), "--json", user="li")

    assert result.exit_code == 0, result.stderr
    assert trace_of(banli, handling)[-1]["data"]["note"] == "电话联系"


# Every command's text arguments are typed (banli.cli.options.text_params in LazyGroup.get_command,
# check_text("--as", user) in `cli`): without that, these reached a database query with a lone
# surrogate in them (exit 1).
@pytest.mark.parametrize("args, user", [
    (["item", "add", "--workflow", "npc-suggestion", "--ref", "16-1-002", "--title", "标题", "--deputy", "张\udcff",
      "--field", "category=城市建设"], "reg"),
    (["item", "show", "16-1-\udcff"], None),
    (["item", "list", "--state", "\udcff"], None),
    (["can", "16-1-001"], "\udcff"),
], ids=["deputy", "item-show", "state", "as"])
def test_an_undecodable_argument_of_any_command_is_refused(banli, suggestion, args, user):
    assert "is not UTF-8 text" in one_line_error(banli(*args, user=user))
    assert [item["ref"] for item in banli("item", "list", "--json").json()] == [suggestion]


@pytest.mark.parametrize("content, says", [
    (b'{"ref": "16-1-001", "event": "sort", "data": {"category": "\xff"}}\n', "not UTF-8"),
    (b'{"ref": "16-1-001", "event": "sort", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", "nested"),
    (b'{"ref": "16-1-001\\udcff", "event": "sort"}\n', "UTF-8"),
], ids=["invalid-utf8", "deeply-nested", "lone-surrogate"])
def test_a_replay_line_outside_the_limits_is_refused_with_its_line(banli, suggestion, tmp_path, content, says):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"ref": "16-1-001", "event": "sort", "data": {"category": "\xe5\x9f\x8e\xe5\xb8\x82\xe5\xbb\xba\xe8\xae\xbe"}}\n'
                     + content)
    before = trace_of(banli, suggestion)
    line = one_line_error(banli("replay", str(path), "--atomic", user="reg"))
    assert f"{path}:2" in line and says in line, line
    assert trace_of(banli, suggestion) == before


def test_a_replay_file_with_a_bom_is_read(banli, suggestion, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes("\ufeff".encode() + json.dumps({"ref": suggestion, "event": "sort", "as": "reg",
                                                    "data": {"category": "城市建设"}}).encode() + b"\n")
    assert banli("replay", str(path)).exit_code == 0
    assert trace_of(banli, suggestion)[-1]["event"] == "sort"


def test_an_import_date_outside_the_range_names_the_range(banli, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("ref,title,deputies,category,submitted_on\n16-1-002,标题,张三,城市建设,1899/12/31\n", encoding="utf-8")
    result = banli("item", "import", str(path), "--workflow", "npc-suggestion", user="reg")
    assert result.exit_code == 3 and RANGE in result.stderr, result.stderr


def test_a_calendar_range_past_its_year_is_refused_before_its_days_are_listed(banli, tmp_path):
    path = tmp_path / "calendar.yaml"
    path.write_text("year: 2030\nholidays:\n  - {from: 2030-01-01, to: 9999-12-31, name: 长假}\n", encoding="utf-8")
    line = one_line_error(banli("calendar", "add", str(path)))
    assert "not within 2030" in line, line
