"""CLI arguments at their edges: refs, event names, `--data k=v` with odd text (lone
surrogates too), `--data-file`, `--at` / `--as-of`, `--period`, years, sessions, durations.
Every run ends with an allowed exit code and one line, and a refusal changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.property.conftest import Result, budget, check, databases_fixture, digest, refusal_changes_nothing
from tests.property.scenario import EVENTS, HANDLING, PEOPLE, REFS, SETUP, data_keys, field_values
from tests.property.strategies import durations, edge_int, odd_text, periods, times, years

databases = databases_fixture(SETUP)

users = st.one_of(st.sampled_from(PEOPLE + ["system", "nobody", ""]), st.none(), odd_text)
refs = st.one_of(st.sampled_from(REFS), odd_text)
events = st.one_of(st.sampled_from(EVENTS), odd_text)


@st.composite
def data_pairs(draw, event: str) -> list[str]:
    """`--data` values: the event's keys with fitting or odd values, odd keys, odd shapes."""
    keys = data_keys(event)
    pairs = []
    for key in keys:
        if draw(st.booleans()):
            value = draw(st.one_of(st.sampled_from(field_values(key)), odd_text,
                                   durations if key == "extend_by" else odd_text))
            pairs.append(f"{key}={value}")
    pairs += draw(st.lists(st.one_of(odd_text, st.builds("{}={}".format, odd_text, odd_text)), max_size=2))
    return pairs


@budget(100)
@given(st.data())
def test_fire_with_odd_arguments(databases, data):
    user = data.draw(users, label="user")
    ref = data.draw(refs, label="ref")
    event = data.draw(events, label="event")
    args = ["fire", ref, event] + [f"--data={pair}" for pair in data.draw(data_pairs(event), label="data")]
    if data.draw(st.booleans()):
        args += ["--at", data.draw(times, label="at")]
    if data.draw(st.booleans()):
        args += ["--expect-version", str(data.draw(edge_int, label="version"))]
    refusal_changes_nothing(databases.fresh(), *args, "--json", user=user)


@budget(60)
@given(user=st.sampled_from(["wang", "li"]), extend_by=durations, at=st.one_of(st.none(), times))
def test_an_extension_of_any_length(databases, user, extend_by, at):
    args = ["fire", HANDLING, "grant_extension" if user == "wang" else "request_extension", f"--data=extend_by={extend_by}"]
    args += (["--data=reason=说明"] if user == "li" else []) + (["--at", at] if at is not None else [])
    refusal_changes_nothing(databases.fresh(), *args, user=user)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), edge_int, st.floats(), odd_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(odd_text, inner, max_size=3)),
    max_leaves=8)


@st.composite
def data_files(draw) -> bytes:
    kind = draw(st.sampled_from(["object", "any", "deep", "bytes", "text"]))
    if kind == "object":
        keys = data_keys("reply")
        body = {key: draw(st.one_of(st.sampled_from(field_values(key)), json_values)) for key in keys if draw(st.booleans())}
        return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if kind == "any":
        return json.dumps(draw(json_values)).encode()
    if kind == "deep":
        depth = draw(st.sampled_from([10, 100, 1000, 5000, 100000]))
        return ("{\"note\": " + "[" * depth + "]" * depth + "}").encode()
    if kind == "bytes":
        return draw(st.binary(max_size=100))
    return draw(st.sampled_from(["NaN", "{\"note\": NaN}", "{\"note\": 1e999}", "{\"note\": \"\\ud800\"}", "",
                                 "{\"text\": 1}{}", "\ufeff{}", "[]", "{\"note\": \"\\u0000\"}"])).encode()


@budget(50)
@given(content=data_files(), event=st.sampled_from(["reply", "urge", "contact"]))
def test_fire_with_a_data_file(databases, tmp_path_factory, content, event):
    path = tmp_path_factory.getbasetemp() / "data.json"
    path.write_bytes(content)
    user = {"reply": "li", "urge": "wang", "contact": "li"}[event]
    refusal_changes_nothing(databases.fresh(), "fire", HANDLING, event, "--data-file", str(path), user=user)


@budget(60)
@given(ref=refs, title=odd_text, deputies=st.lists(st.one_of(st.sampled_from(["张三", "王五"]), odd_text), max_size=2),
       fields=st.lists(st.one_of(st.sampled_from(["category=城市建设", "session=十六届一次", "lead_unit=zjj",
                                                  "supervised=maybe", "rating=满意"]), odd_text), max_size=3),
       content=st.one_of(st.none(), odd_text), at=st.one_of(st.none(), times), user=users)
def test_item_add_with_odd_arguments(databases, ref, title, deputies, fields, content, at, user):
    args = ["item", "add", "--workflow", "npc-suggestion", "--ref", ref, "--title", title]
    args += [part for name in deputies for part in ("--deputy", name)] + [part for f in fields for part in ("--field", f)]
    args += (["--content", content] if content is not None else []) + (["--at", at] if at is not None else [])
    refusal_changes_nothing(databases.fresh(), *args, "--json", user=user)


# read-only commands and those that take a time, a period, a year or a session
COMMANDS = st.one_of(
    st.builds(lambda s, u, a, o: ["item", "list", "--json"] + (["--state", s] if s is not None else [])
              + (["--unit", u] if u is not None else []) + (["--as-of", a] if a is not None else []) + (["--overdue"] if o else []),
              st.one_of(st.none(), st.sampled_from(["handling", "registered", "nope"]), odd_text),
              st.one_of(st.none(), st.sampled_from(["zjj", "nope"]), odd_text), st.one_of(st.none(), times), st.booleans()),
    st.builds(lambda r, a: ["item", "show", r] + (["--as-of", a] if a is not None else []), refs, st.one_of(st.none(), times)),
    st.builds(lambda r: ["can", r, "--json"], refs),
    st.builds(lambda r: ["audit", "log", r], refs),
    st.builds(lambda p: ["report", "bulletin", "--period", p], periods),
    st.builds(lambda y: ["calendar", "show", y], years),
    st.builds(lambda s: ["report", "annual", "--session", s, "--json"], st.one_of(st.just("十六届一次"), odd_text)),
    st.builds(lambda a, d: ["remind"] + (["--as-of", a] if a is not None else []) + (["--dry-run"] if d else []),
              st.one_of(st.none(), times), st.booleans()),
    st.builds(lambda n, s, a: ["campaign", "open", n, "--session", s] + (["--at", a] if a is not None else []),
              st.one_of(st.just("lookback"), odd_text), st.one_of(st.just("十六届一次"), odd_text), st.one_of(st.none(), times)),
    st.builds(lambda v: ["workflow", "show", "npc-suggestion", "--version", v], edge_int.map(str)),
    st.builds(lambda w, f: ["workflow", "graph", w, "--format", f], st.one_of(st.just("npc-suggestion"), odd_text),
              st.sampled_from(["mermaid", "dot", "png"])),
)


@budget(100)
@given(args=COMMANDS, user=users)
def test_commands_with_odd_times_periods_and_names(databases, args, user):
    refusal_changes_nothing(databases.fresh(), *args, user=user)


@budget(25)
@given(session=st.one_of(st.just("十六届一次"), odd_text), suffix=st.sampled_from([".xlsx", ".csv", ".txt", ""]))
def test_ledger_export_with_odd_sessions(databases, tmp_path_factory, session, suffix):
    out = tmp_path_factory.getbasetemp() / f"ledger{suffix}"
    refusal_changes_nothing(databases.fresh(), "ledger", "export", str(out), "--session", session)


# argv as bytes: what a terminal in another encoding hands the program (decoded with
# surrogateescape into lone surrogates); a real process, since only it decodes argv
@pytest.mark.parametrize("argv", [
    [b"fire", b"16-1-002", b"urge", b"--data", b"note=\xff\xfe"],
    [b"fire", b"16-1-\xff", b"urge"],
    [b"fire", b"16-1-002", b"\xe5\xa4", b"--data", b"note=x"],
    [b"item", b"add", b"--workflow", b"npc-suggestion", b"--ref", b"16-1-\xc0\xaf", b"--title", b"\xed\xa0\x80",
     b"--deputy", b"\xe5\xbc\xa0\xe4\xb8\x89", b"--field", b"category=\xff"],
    [b"item", b"list", b"--state", b"\x80"],
    [b"fire", b"16-1-002", b"urge", b"--at", b"2026-03-01\xff"],
], ids=["data", "ref", "event", "item-add", "list-state", "at"])
def test_undecodable_argv_bytes(databases, argv):
    url = databases.fresh()
    user = b"wang" if argv[0] == b"fire" else b"reg"
    environment = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
    environment.pop("BANLI_DEBUG", None)
    before = digest(url)
    done = subprocess.run([sys.executable.encode(), b"-m", b"banli", b"--db", url.encode(), b"--as", user] + argv,
                          capture_output=True, env=environment, timeout=120)
    result = Result(url, None, tuple(argv), done.returncode, done.stdout.decode("utf-8", "replace"),
                    done.stderr.decode("utf-8", "replace"), None)
    check(result)
    if result.exit_code != 0:
        assert digest(url) == before, result.describe()
