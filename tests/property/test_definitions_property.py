"""Mutated definitions (dropped keys, swapped types, odd strings, edge numbers, YAML specials):
`workflow validate` lists problems as FILE:LINE:COL lines or passes, never crashes, and
`workflow register` of a refused file leaves the database as it was."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.property.conftest import budget, check, databases_fixture, invoke, refusal_changes_nothing
from tests.property.strategies import mutations, yaml_scalars

ROOT = Path(__file__).parent.parent.parent
SOURCES = sorted((ROOT / "tests/definitions/good").glob("*.yaml")) + sorted((ROOT / "banli/workflows").glob("*.yaml"))
TEXTS = {path.name: path.read_text(encoding="utf-8") for path in SOURCES}

databases = databases_fixture()


@st.composite
def mutated(draw) -> str:
    """A good definition with one to four changes to its structure, dumped as YAML."""
    tree = yaml.safe_load(TEXTS[draw(st.sampled_from(sorted(TEXTS)))])
    return yaml.safe_dump(draw(mutations(tree)), allow_unicode=True, sort_keys=False)


YAML_SPECIALS = [
    "? [a, b]\n: c\n", "? {a: b}\n: c\n", "<<: {id: x}\n", "anchor: &a {k: v}\nagain: *a\n", "ref: *nowhere\n",
    "bad: !!python/object/apply:os.system [echo]\n", "tag: !custom x\n", "\tid: tab\n", "%YAML 1.1\n---\n",
    "---\nsecond: document\n", "...\n", "id: duplicate\n", "states: {}\n", "events: []\n", "  : empty key\n",
    "key: [unclosed\n", "key: 'unclosed\n", "\x00\n", "\ufeffid: bom\n", "key: \"\\ud800\"\n", "{\n",
    "outcome: {a: b}\n", "fields: {x: {type: choice, choices: [a, a]}}\n",
]
BOMB = ("b0: &b0 [x, x, x, x, x, x, x, x, x]\nb1: &b1 [*b0, *b0, *b0, *b0, *b0, *b0, *b0, *b0, *b0]\n"
        "b2: &b2 [*b1, *b1, *b1, *b1, *b1, *b1, *b1, *b1, *b1]\nb3: &b3 [*b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2]\n"
        "b4: &b4 [*b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3]\n")


@st.composite
def text_mutated(draw) -> str:
    """A good definition's text with YAML-level damage: specials spliced in, cut short, a bomb."""
    text = draw(st.one_of(st.sampled_from(sorted(TEXTS)).map(TEXTS.get), mutated()))
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        operation = draw(st.sampled_from(["splice", "truncate", "bomb", "indent", "scalar"]))
        at = draw(st.integers(0, len(lines)))
        if operation == "splice":
            lines.insert(at, draw(st.sampled_from(YAML_SPECIALS)))
        elif operation == "truncate":
            lines = lines[:at]
        elif operation == "bomb":
            lines.append(BOMB)
        elif operation == "indent" and lines:
            index = min(at, len(lines) - 1)
            lines[index] = draw(st.sampled_from([" ", "  ", "\t", ""])) + lines[index].lstrip()
        elif operation == "scalar" and lines:
            index = min(at, len(lines) - 1)
            head, _, _ = lines[index].partition(":")
            lines[index] = f"{head}: {yaml.safe_dump(draw(yaml_scalars), allow_unicode=True).splitlines()[0]}\n"
    return "".join(lines)


@budget(90)
@given(source=st.one_of(mutated(), text_mutated()))
def test_validate_lists_problems_or_passes(databases, tmp_path_factory, source):
    path = tmp_path_factory.getbasetemp() / "validate.yaml"
    path.write_text(source, encoding="utf-8", errors="surrogatepass")
    check(invoke(databases.template, "workflow", "validate", str(path)), allowed={0, 3}, listing=True)


@budget(40)
@given(source=st.one_of(mutated(), text_mutated()))
def test_a_refused_register_changes_nothing(databases, tmp_path_factory, source):
    path = tmp_path_factory.getbasetemp() / "register.yaml"
    path.write_text(source, encoding="utf-8", errors="surrogatepass")
    refusal_changes_nothing(databases.fresh(), "workflow", "register", str(path), allowed={0, 3}, listing=True)


@budget(15)
@given(raw=st.binary(max_size=300))
def test_any_bytes_as_a_definition(databases, tmp_path_factory, raw):
    path = tmp_path_factory.getbasetemp() / "bytes.yaml"
    path.write_bytes(raw)
    check(invoke(databases.template, "workflow", "validate", str(path)), allowed={0, 3}, listing=True)
