"""Definitions at the edges (issue 14, item 3): files that are not what a definition is — too
large, not UTF-8, aliases that would expand a billion-fold, odd keys and tags — end in
positioned problems, never a crash; and mutated definitions never crash the pipeline."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
import yaml

from banli.engine.compile import CompiledWorkflow
from banli.engine.definitions import builtin_files, content_hash
from banli.engine.diff import diff
from banli.engine.graph import dot, mermaid
from banli.engine.load import MAX_BYTES, load_file, load_text
from banli.engine.parse import parse, parse_file, parse_text
from banli.errors import DefinitionErrors

GOOD = sorted((Path(__file__).resolve().parent.parent / "definitions" / "good").glob("*.yaml")) + builtin_files()

BILLION_LAUGHS = "id: lol\n" + "".join(
    f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9) if level else ', '.join(['lol'] * 9)}]\n"
    for level in range(10)
) + "states: *l9\nevents: *l9\n"


def _problems(call) -> list[str]:
    with pytest.raises(DefinitionErrors) as raised:
        call()
    return [problem.render() for problem in raised.value.problems]


def test_a_billion_laughs_is_refused_at_its_aliases_without_expanding_them():
    problems = _problems(lambda: load_text(BILLION_LAUGHS, "lol.yaml"))

    assert len(problems) == 9 * 9 + 2  # every alias, once each: nothing walked the expansion
    assert problems[0] == "lol.yaml:3:10: aliases (*l0) are not allowed in a definition; write the value out"
    assert problems[-1].startswith("lol.yaml:13:9: aliases (*l9)")


def test_a_recursive_alias_is_refused():
    assert _problems(lambda: load_text("id: x\nstates: &s {a: *s}\n")) == [
        "<definition>:2:16: aliases (*s) are not allowed in a definition; write the value out"]


def test_an_alias_as_a_key_is_refused():
    problems = _problems(lambda: load_text("id: &k x\nstates: {*k : 1}\n"))

    assert problems == ["<definition>:2:10: aliases (*k) are not allowed in a definition; write the value out"]


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"id: big\n" + b"#" * MAX_BYTES)

    assert _problems(lambda: load_file(big)) == [f"{big}:1:1: the definition is over 1024 KiB; a definition has "
                                                 "at most 1024 KiB: split it or remove what repeats"]


def test_text_over_the_size_cap_is_refused():
    assert "at most 1024 KiB" in _problems(lambda: load_text("a: " + "长" * (MAX_BYTES // 3 + 1)))[0]


@pytest.mark.parametrize(("data", "position"), [
    (b"id: x\nstates: \xff\xfe\n", "2:9"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "1:1"),
    (b"id: \xe6\x96\n", "1:5"),  # a character cut short
], ids=["bad-byte", "binary", "truncated-character"])
def test_invalid_utf8_is_refused_where_the_bad_byte_is(tmp_path, data, position):
    path = tmp_path / "bad.yaml"
    path.write_bytes(data)

    [problem] = _problems(lambda: load_file(path))

    assert problem.startswith(f"{path}:{position}: not UTF-8 text")


def test_a_folder_and_a_missing_file_are_problems_too(tmp_path):
    assert _problems(lambda: load_file(tmp_path)) == [f"{tmp_path}:1:1: a folder, not a definition file"]
    assert _problems(lambda: load_file(tmp_path / "none.yaml")) == [f"{tmp_path / 'none.yaml'}:1:1: file not found"]


def test_a_lone_surrogate_in_text_is_a_problem():
    assert "not valid Unicode" in _problems(lambda: load_text("id: \udc80\n"))[0]


@pytest.mark.parametrize("text", [
    "", "# nothing\n", "42\n", "just text\n", "[a, b]\n", "---\n---\n", "id: x\n...\n---\nid: y\n",
    "\x00", "id: x\n\x07\n", "a: !!binary AAAx\n", "a: !!float abc\n", "a: !!bool maybe\n", "a: !!timestamp soon\n",
    "a: !!str\n  b: c\n", "a: !!omap [{b: 1}]\n", "a: " + "9" * 5000 + "\n", "a: {b: 1, b: 2}\n",
    "\ufeffid: bom\n",
], ids=lambda text: repr(text[:24]))
def test_odd_yaml_ends_in_problems_not_a_crash(text):
    try:
        document = load_text(text)
    except DefinitionErrors as raised:
        assert raised.problems and all("\n" not in problem.render() for problem in raised.problems)
        return
    assert _problems(lambda: parse(document))  # none of these is a definition


def test_long_values_are_cut_short_in_messages():
    name = "x" * 100_000
    text = f"id: long\nstates: {{new: {{initial: true}}}}\nevents: {{go: {{from: {name}, to: {name}, roles: [{name}]}}}}\n"

    problems = _problems(lambda: parse_text(text))

    assert len(problems) == 3
    assert all(len(problem) < 400 for problem in problems)


def test_set_fields_values_take_their_fields_types():
    definition = parse_text("""
id: set-fields
fields:
  supervised: {type: bool}
  due: {type: date}
  grade: {type: choice, choices: [1, 2]}
  note: {type: text}
states:
  new: {initial: true}
events:
  mark:
    from: new
    internal: true
    roles: [supervisor]
    effects: [{set_fields: {supervised: true, due: 2025-03-01, grade: 2, note: 5}}]
""")

    [call] = definition.events["mark"].effects
    assert call.kwargs() == {"supervised": True, "due": "2025-03-01", "grade": "2", "note": "5"}


def test_spawn_children_names_a_workflow_that_exists_when_a_store_is_asked():
    text = """
id: parent
fields: {co_units: {type: units}}
states: {new: {initial: true}}
events:
  assign:
    from: new
    internal: true
    roles: [supervisor]
    data: [co_units]
    effects: [{spawn_children: {workflow: sub-task}}]
"""
    document = load_text(text)

    assert parse(document).events["assign"].effects[0].kwargs() == {"workflow": "sub-task"}  # no store: not asked
    assert parse(document, workflow_exists=lambda name: name == "sub-task")
    assert _problems(lambda: parse(document, workflow_exists=lambda name: False)) == [
        "<definition>:11:43: effect 'spawn_children' in event 'assign': no workflow 'sub-task' is registered; "
        "register it first (see 'banli workflow list')"]


def test_extend_deadline_max_is_read_as_a_duration_once():
    definition, _text = parse_file(next(path for path in builtin_files() if path.stem == "npc-suggestion"))

    [call] = definition.events["grant_extension"].effects
    assert call.kwargs()["max"] == "3 months"


# -- a small, seeded fuzz loop over the good definitions --------------------------------------

_ODD = [None, 0, -1, 2**31, 10**30, 1.5, True, "", "*", "$nope", "enter", "x" * 100, [], [None], [[1]], {},
        {"a": "b"}, {"a": {"b": "c"}}, ["a", "a"], "2024-01-01", "1 days", "99999 months", "system",
        {"set_fields": {"nope": 1}}, {"spawn_children": {"units": "lead_unit"}}, {"extend_deadline": {"max": "x"}},
        {"when": {"rating": {"a": "b"}}, "to": "closed"}, {"type": "choice", "choices": ["a", "a", None]}]


def _paths(value, prefix=()):
    yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, prefix + (key,))


def _mutated(document: dict, rng: random.Random) -> dict:
    document = copy.deepcopy(document)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice([path for path in _paths(document) if path])
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        choice = rng.random()
        if choice < 0.3:
            del parent[path[-1]]
        elif choice < 0.85:
            parent[path[-1]] = copy.deepcopy(rng.choice(_ODD))
        elif isinstance(parent, dict):
            parent["x" * 70 if choice < 0.9 else "from"] = parent.pop(path[-1])
    return document


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(child) for key, child in value.items()}
    return [_plain(child) for child in value] if isinstance(value, list) else value


@pytest.mark.parametrize("seed", range(2))
def test_mutated_definitions_parse_or_say_why(seed):
    rng = random.Random(seed)
    documents = [_plain(load_file(path)[0]) for path in GOOD]
    for _ in range(40):
        text = yaml.safe_dump(_mutated(rng.choice(documents), rng), allow_unicode=True, sort_keys=False)
        try:
            document = load_text(text, "fuzzed.yaml")
            definition = parse(document, "fuzzed.yaml")
        except DefinitionErrors as raised:
            assert all(problem.file == "fuzzed.yaml" and "\n" not in problem.message for problem in raised.problems)
            continue
        content_hash(document)
        CompiledWorkflow(definition, "test-hash")
        mermaid(definition), dot(definition), diff(definition, definition)
