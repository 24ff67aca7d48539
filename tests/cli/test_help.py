"""Every command teaches by example and points to the manual, never to SPEC.md (a file users
do not have): each `--help` has an Example block with a `banli` command line, and no text a
user reads (help, messages) cites SPEC. That the examples run against the demo database was
checked by hand when they were written (they use its people: reg-1, zjj-2, sup-1 …)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from banli.cli import cli

PACKAGE = Path(__file__).resolve().parents[2] / "banli"
EXAMPLE_HEADER = re.compile(r"^\s*Examples?\b[^\n]*:\s*$")


def command_paths() -> list[tuple[str, ...]]:
    """Every command and subcommand, as the words after `banli` (the root is ())."""
    found = []

    def walk(command: click.Command, words: tuple[str, ...], parent: click.Context | None) -> None:
        ctx = click.Context(command, info_name=words[-1] if words else "banli", parent=parent)
        found.append(words)
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), (*words, name), ctx)

    walk(cli, (), None)
    return found


PATHS = command_paths()


def help_text(words: tuple[str, ...]) -> str:
    result = CliRunner().invoke(cli, [*words, "--help"], prog_name="banli", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def example_lines(text: str) -> list[str]:
    """The lines of the help's Example blocks: from an `Example…:` line to the next blank line."""
    lines, inside = [], False
    for line in text.splitlines():
        if EXAMPLE_HEADER.match(line):
            inside = True
        elif inside and not line.strip():
            inside = False
        elif inside:
            lines.append(line.strip())
    return lines


def test_every_command_is_walked():
    assert len(PATHS) > 50 and ("fire",) in PATHS and ("workflow", "show") in PATHS and ("completion",) in PATHS


@pytest.mark.parametrize("words", PATHS, ids=lambda words: " ".join(("banli",) + words))
def test_every_help_shows_an_example(words):
    examples = example_lines(help_text(words))
    assert any(re.search(r"(^|[|(] ?)banli ", line) for line in examples), f"no example in banli {' '.join(words)} --help"


@pytest.mark.parametrize("words", PATHS, ids=lambda words: " ".join(("banli",) + words))
def test_no_help_cites_spec(words):
    assert "SPEC" not in help_text(words)


def test_banli_help_names_the_manual_and_completion():
    text = help_text(())
    assert "docs/index.md" in text and "mkdocs serve" in text
    assert 'eval "$(banli completion bash)"' in text


def test_an_example_block_is_found_where_there_is_one():
    """The check above can fail: a help without the block has no example lines."""
    assert example_lines("Usage: banli x\n\n  Does x.\n\nOptions:\n  --json  …\n") == []
    assert example_lines("  Examples:\n    banli x --json\n\nOptions:\n") == ["banli x --json"]


def _user_strings(path: Path) -> list[str]:
    """The string constants of a module that are not docstrings (messages, help, labels)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_message_cites_spec():
    """Messages and help strings point to the manual (docs/…), never to SPEC.md; comments and
    docstrings written for developers may cite it."""
    citing = sorted(f"{path.relative_to(PACKAGE.parent)}: {text[:80]!r}" for path in PACKAGE.rglob("*.py")
                    for text in _user_strings(path) if re.search(r"SPEC\s*§", text))
    assert citing == []
