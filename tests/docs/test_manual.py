"""The manual (docs/, MkDocs): it builds with --strict, and its definition reference covers
every key of the definition language (banli.engine.keys) with an example."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "docs" / "hooks" / "reference.py"


@pytest.fixture(scope="module")
def reference():
    """docs/hooks/reference.py, the hook that generates the reference pages."""
    spec = importlib.util.spec_from_file_location("banli_manual_reference", HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_key_of_the_definition_language_is_in_the_reference(reference):
    assert reference.coverage_problems(reference.load_examples()) == []


def test_a_key_missing_from_the_reference_is_named(reference):
    examples = reference.load_examples()
    del examples["events.NAME"]["keys"]["within"]
    examples["scoring[]"]["keys"]["bonus"] = {"zh": "…", "example": "bonus: 1"}
    problems = reference.coverage_problems(examples)
    assert problems == [
        "key 'within' of section 'events.NAME' has no entry in definition-examples.yaml",
        "definition-examples.yaml describes 'bonus' in section 'scoring[]', which has no such key",
    ]


def test_every_example_is_yaml_and_every_broken_one_is_refused_with_its_line(reference):
    for path, section in reference.load_examples().items():
        for name, entry in section["keys"].items():
            assert entry["zh"].strip() and entry["example"].strip(), f"{path} {name}"
            yaml.safe_load(entry["example"])
            wrong = entry.get("wrong") or []
            for text in [wrong] if isinstance(wrong, str) else wrong:
                messages = reference.validator_messages(text)
                assert messages, f"{path} {name}: the broken example validates"
                assert all(message.startswith("wrong.yaml:") for message in messages)


def test_the_manual_builds_strictly(tmp_path):
    """`mkdocs build --strict`: a broken link, anchor or generated page fails (as in .ci/run)."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    definitions = (tmp_path / "site" / "definitions" / "index.html").read_text(encoding="utf-8")
    assert "reminders" in definitions and "wrong.yaml:" in definitions
    cli = (tmp_path / "site" / "cli" / "index.html").read_text(encoding="utf-8")
    assert "banli import-history" in cli and "--expect-version" in cli
