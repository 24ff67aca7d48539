"""The JSON Schema of the definition language (`banli workflow schema`): generated from the
parser's tables in keys.py, it accepts every good definition, rejects the broken ones whose
problem is an unknown key, and has a mapping for every section, so a new key cannot be missed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from banli.cli import cli
from banli.engine.keys import SECTIONS
from banli.engine.schema import definition_schema, section_keys

ROOT = Path(__file__).resolve().parents[2]
GOOD = sorted([*(ROOT / "banli" / "workflows").glob("*.yaml"),
               *(ROOT / "tests" / "definitions" / "good").glob("*.yaml")])
BROKEN = ROOT / "tests" / "definitions" / "broken"
UNKNOWN_KEY = sorted(path for path in BROKEN.glob("*.yaml")
                     if any(line.startswith("# expect:") and "unknown key" in line
                            for line in path.read_text(encoding="utf-8").splitlines()))


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = definition_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_files_exist():
    assert len(GOOD) >= 8 and len(UNKNOWN_KEY) >= 5


@pytest.mark.parametrize("path", GOOD, ids=lambda path: path.name)
def test_every_good_definition_validates(validator, path):
    errors = [f"{list(error.absolute_path)}: {error.message}"
              for error in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
    assert errors == []


@pytest.mark.parametrize("path", UNKNOWN_KEY, ids=lambda path: path.name)
def test_an_unknown_key_fails(validator, path):
    assert not validator.is_valid(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_every_section_and_key_of_keys_py_is_in_the_schema():
    found = section_keys(definition_schema())
    normalised = {path.replace(".KEY", ".NAME"): keys for path, keys in found.items()}
    for section in SECTIONS:
        for path in (part.strip() for part in section.path.split(",")):
            if path.startswith("…"):  # every key of that name whose type words write this mapping
                places = [keys for where, keys in found.items() if where.rsplit(".", 1)[-1] == path[1:]]
                assert places, f"section {section.path!r} is nowhere in the schema"
                assert all(keys == set(section.keys) for keys in places), section.path
            else:
                assert normalised.get(path.replace(".KEY", ".NAME")) == set(section.keys), section.path


def test_a_label_and_a_guard_take_their_other_shapes(validator):
    definition = {"id": "x", "title": "标题", "states": {"a": {"initial": True, "label": {"zh": "甲"}}, "b": None},
                  "events": {"e": {"from": "a", "to": [{"when": {"k": 1}, "to": "a"}, {"to": "b"}], "roles": "r",
                                   "guards": ["g", {"g": {"n": 1}}, {"when": "k == 1", "because": "…"}]}}}
    assert list(validator.iter_errors(definition)) == []
    definition["events"]["e"]["guards"].append({"when": "k == 1", "becuase": "…"})
    definition["states"]["a"]["label"] = {"zh": "甲", "fr": "A"}
    assert len(list(validator.iter_errors(definition))) == 2


def test_the_command_prints_a_valid_schema_and_writes_a_file(tmp_path):
    result = CliRunner().invoke(cli, ["workflow", "schema"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    Draft202012Validator.check_schema(printed)
    assert printed == definition_schema()
    out = tmp_path / "banli-definition.schema.json"
    result = CliRunner().invoke(cli, ["workflow", "schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == printed


def test_an_unwritable_out_file_is_exit_3(tmp_path):
    result = CliRunner().invoke(cli, ["workflow", "schema", "--out", str(tmp_path / "missing" / "s.json")])
    assert result.exit_code == 3
    assert "cannot write the schema" in result.output
