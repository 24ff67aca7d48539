"""Values at the edges (issue 14, item 2), without a database: dates outside 1900–2100,
durations over ten years' worth of their unit, whole numbers over 64 bits, text that is not
text (lone surrogates) and JSON documents too deep, too long or not UTF-8 are refused with
InvalidInput (exit 3) before anything is counted or stored."""

from __future__ import annotations

import json
import logging
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner

from banli.cli.options import TEXT, pairs, text_params
from banli.engine.calendar import ChineseCalendar, Probe
from banli.engine.durations import CAPS, parse_duration, shift
from banli.engine.limits import read_json, shown, text_problem
from banli.engine.times import parse_instant
from banli.engine.values import coerce
from banli.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
RANGE = "1900-01-01 … 2100-12-31"


# -- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["0001-01-01", "1899-12-31T23:59", "2101-01-01", "9999-12-31T23:59:59.999999",
                                  "0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00"])
def test_an_instant_outside_the_range_is_refused_before_any_zone_moves_it(text):
    with pytest.raises(InvalidInput, match=RANGE):
        parse_instant(text, SHANGHAI, "--as-of")


@pytest.mark.parametrize("text", ["1900-01-01", "2100-12-31T23:59:59", "2026-05-10T09:30+08:00"])
def test_an_instant_inside_the_range_is_read(text):
    assert parse_instant(text, SHANGHAI).tzinfo is not None


@pytest.mark.parametrize("value", ["1899-12-31", "2101-01-01", date(1, 1, 1), date(9999, 12, 31)])
def test_a_date_field_outside_the_range_is_refused(value):
    with pytest.raises(InvalidInput, match=f"^'promised_on' .*{RANGE}"):
        coerce(None, "date", (), value, "promised_on")


# -- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["99999999999 months", "999999999 months", "999999 workdays", "2601 workdays",
                                  "121 months", "87601 hours", "3651 days", "521 weeks", "9" * 5000 + " hours"])
def test_a_duration_over_ten_years_is_refused_with_its_cap(text):
    unit = text.split()[-1]
    with pytest.raises(ValueError, match=f"at most {CAPS[unit]:,} {unit}"):
        parse_duration(text)


@pytest.mark.parametrize("unit", sorted(CAPS))
def test_the_longest_duration_counts_from_the_last_day_in_range(unit, caplog):
    """At the cap, from 2100-12-31 on and back from 1900-01-01, every date stays a date and the
    years nobody has published a schedule for are each warned about once at most."""
    duration = parse_duration(f"{CAPS[unit]} {unit}")
    with caplog.at_level(logging.WARNING, logger="banli"):
        later = shift(datetime(2100, 12, 31, 23, tzinfo=SHANGHAI), duration, Probe(ChineseCalendar()), SHANGHAI)
        earlier = shift(datetime(1900, 1, 1, tzinfo=SHANGHAI), duration, Probe(ChineseCalendar()), SHANGHAI, sign=-1)
    assert later.year <= 2111 and earlier.year >= 1889
    warned = [record.getMessage() for record in caplog.records]
    assert len(warned) == len(set(warned)) <= 25


# -- whole numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("value, says", [
    (str(2**63), "too large"), (str(-(2**63) - 1), "too large"), ("9" * 5000, "too large"),
    ("1_000", "whole number"), ("1e3", "whole number"), (True, "whole number"), (1.5, "whole number"),
])
def test_a_whole_number_outside_64_bits_or_not_whole_is_refused(value, says):
    with pytest.raises(InvalidInput, match=says):
        coerce(None, "int", (), value, "call_count")


def test_a_whole_number_at_the_64_bit_edges_is_kept():
    assert coerce(None, "int", (), str(2**63 - 1), "n") == 2**63 - 1
    assert coerce(None, "int", (), f" {-(2**63)} ", "n") == -(2**63)


# -- text that is not text ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["\udcff", "张\ud800三", "ok\udfff"])
def test_a_lone_surrogate_is_not_text(text):
    assert "not a character" in text_problem(text)
    assert "\\" in shown(text) and shown(text).encode("utf-8")  # shown in an error line as escapes


def test_an_undecodable_byte_is_shown_as_the_byte_it_was():
    assert shown("a\udcffb") == "a\\xffb"


def test_text_params_refuse_undecodable_arguments_but_not_paths():
    @click.group()
    def group():
        pass

    @group.command()
    @click.argument("ref")
    @click.option("--out", type=click.Path())
    def show(ref, out):
        click.echo(f"{shown(ref)} {shown(out or '')}")

    text_params(group)
    assert show.params[0].type is TEXT and show.params[1].type is not TEXT
    runner = CliRunner()
    with pytest.raises(InvalidInput, match="REF 'x\\\\xff' is not UTF-8 text"):
        runner.invoke(group, ["show", "x\udcff"], catch_exceptions=False)
    kept = runner.invoke(group, ["show", "x", "--out", "\udcff.csv"], catch_exceptions=False)
    assert kept.exit_code == 0 and "\\xff.csv" in kept.stdout


def test_a_data_pair_that_is_not_text_is_refused():
    with pytest.raises(InvalidInput, match="--data 'k=\\\\xff' is not UTF-8 text"):
        pairs(("k=\udcff",), "--data")


# -- JSON documents -------------------------------------------------------------------------


@pytest.mark.parametrize("raw, says", [
    (b'{"note": "\xff"}', "is not UTF-8 text (byte 0xff at offset 10)"),
    (b'{"note": "\\ud800"}', "U+D800"),
    (b'{"\\udcff": 1}', "U+DCFF"),
    (b"[" * 100_000 + b"]" * 100_000, "nested more than 20 deep"),
    (b'{"a": ' + b"[" * 25 + b"]" * 25 + b"}", "nested more than 20 deep"),
    (b'{"n": 1' + b"0" * 5000 + b"}", "more than 4,300 digits"),
    (b'{"note": "' + b"x" * (1024 * 1024) + b'"}', "event data is at most 1,048,576"),
    (b"{", "is not valid JSON"),
], ids=["bad-byte", "surrogate", "surrogate-key", "100k-deep", "25-deep", "long-number", "over-1MiB", "broken"])
def test_a_json_document_outside_the_limits_is_refused(raw, says):
    with pytest.raises(InvalidInput, match="^F.json .*" + re.escape(says)):
        read_json(raw, "F.json")


def test_a_json_document_with_a_bom_and_twenty_levels_is_read():
    document = {"a": json.loads("[" * 19 + "]" * 19)}
    assert read_json(b"\xef\xbb\xbf" + json.dumps(document).encode(), "F.json") == document


def test_an_extension_the_trace_already_records_can_be_read_past_todays_cap():
    with pytest.raises(ValueError):
        parse_duration("200 months")
    assert parse_duration("200 months", capped=False).amount == 200
