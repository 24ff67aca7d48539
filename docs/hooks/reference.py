"""MkDocs hook: the manual's generated parts, made at build time from the code itself.

`definitions.md` gets the reference of the definition language from `banli.engine.keys`
(every section, key, type and default) joined with the hand-written examples in
`definition-examples.yaml`; the errors shown for each key are what the validator says about
that file's broken examples, run during the build. `cli.md` gets every command's `--help`
from click. A key without an entry, an entry without a key, or a broken example the
validator accepts fails the build (and tests/docs/test_manual.py).
"""

from __future__ import annotations

from pathlib import Path

import click
import yaml

EXAMPLES = Path(__file__).with_name("definition-examples.yaml")
DEFINITIONS_MARK = "<!-- generated: definition-reference -->"
CLI_MARK = "<!-- generated: cli-reference -->"
HELP_WIDTH = 100


class ReferenceError_(Exception):
    """The reference cannot be made (a key without its entry, a broken example accepted)."""


def load_examples(path: Path = EXAMPLES) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["sections"]


def coverage_problems(examples: dict) -> list[str]:
    """Keys of the language with no entry in the examples, and entries naming no key."""
    from banli.engine.keys import SECTIONS

    problems = []
    known = {section.path: section for section in SECTIONS}
    for section in SECTIONS:
        entry = examples.get(section.path)
        if entry is None:
            problems.append(f"section '{section.path}' has no entry in {EXAMPLES.name}")
            continue
        keys = entry.get("keys") or {}
        problems += [f"key '{name}' of section '{section.path}' has no entry in {EXAMPLES.name}"
                     for name in section.keys if name not in keys]
        problems += [f"{EXAMPLES.name} describes '{name}' in section '{section.path}', which has no such key"
                     for name in keys if name not in section.keys]
    problems += [f"{EXAMPLES.name} describes section '{path}', which does not exist"
                 for path in examples if path not in known]
    return problems


def validator_messages(text: str) -> list[str]:
    """What `banli workflow validate` prints for a definition text (a broken example)."""
    from banli.engine.parse import parse_text
    from banli.errors import DefinitionErrors

    try:
        parse_text(text, "wrong.yaml")
    except DefinitionErrors as exc:
        return [problem.render() for problem in exc.problems]
    return []


# -- the definition language ------------------------------------------------------------


def _default(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return "`''`"
    return f"`{value}`"


def _code(lang: str, text: str) -> list[str]:
    return [f"```{lang}", text.rstrip("\n"), "```", ""]


def _wrong_examples(where: str, entry: dict) -> list[str]:
    wrong = entry.get("wrong") or []
    if isinstance(wrong, str):
        wrong = [wrong]
    if not wrong:
        return ["可能的错误：只有类型不符（见本节开头的类型）和“未知的键”。", ""]
    lines = ["可能的错误（下面的输出是构建手册时校验器对这个错误示例的真实回答）：", ""]
    for text in wrong:
        messages = validator_messages(text)
        if not messages:
            raise ReferenceError_(f"the broken example of {where} is accepted by the validator:\n{text}")
        lines += _code("yaml", text) + _code("text", "\n".join(messages))
    return lines


def definition_reference() -> str:
    from banli.engine.keys import SECTIONS

    examples = load_examples()
    problems = coverage_problems(examples)
    if problems:
        raise ReferenceError_("; ".join(problems))
    lines = []
    for section in SECTIONS:
        entry = examples[section.path]
        where = f"`{section.path}`" if section.path else ""
        lines += [f"### {entry['title']}" + (f"（{where}）" if where else ""), "", entry["summary"].strip(), "",
                  "| 键 | 类型 | 必需 | 默认 |", "|---|---|---|---|"]
        lines += [f"| `{spec.name}` | {spec.type.replace('|', '&#124;')} | {'是' if spec.required else '否'} "
                  f"| {_default(spec.default)} |" for spec in section.keys.values()]
        lines.append("")
        for name, spec in section.keys.items():
            key_entry = entry["keys"][name]
            lines += [f"#### `{name}`" + (f"（{where}）" if where else ""), "",
                      key_entry["zh"].strip(), "", f"*{spec.description}*", ""]
            lines += ["示例：", ""] + _code("yaml", key_entry["example"])
            lines += _wrong_examples(f"{section.path or 'top'}.{name}", key_entry)
    return "\n".join(lines)


# -- the command line -------------------------------------------------------------------


def _help(command: click.Command, name: str, parent: click.Context | None) -> list[tuple[str, str]]:
    ctx = click.Context(command, info_name=name, parent=parent,
                        terminal_width=HELP_WIDTH, max_content_width=HELP_WIDTH)
    pages = [(ctx.command_path, command.get_help(ctx))]
    if isinstance(command, click.Group):
        for sub in command.list_commands(ctx):
            pages += _help(command.get_command(ctx, sub), sub, ctx)
    return pages


def cli_reference() -> str:
    """Every command's help, in the language of the moment (the manual's: Chinese)."""
    from banli.cli import cli
    from banli.cli.localized import localized

    lines = []
    for path, text in _help(localized(cli), "banli", None):
        lines += [f"## {path}" if path == "banli" or path.count(" ") == 1 else f"### {path}", ""]
        lines += _code("text", text)
    return "\n".join(lines)


def on_page_markdown(markdown: str, page, config, files) -> str:
    from mkdocs.exceptions import PluginError

    from banli.i18n import CHINESE, use

    try:
        with use(CHINESE):  # the manual's language: the validator's errors and the help in Chinese
            if DEFINITIONS_MARK in markdown:
                markdown = markdown.replace(DEFINITIONS_MARK, definition_reference())
            if CLI_MARK in markdown:
                markdown = markdown.replace(CLI_MARK, cli_reference())
    except ReferenceError_ as exc:
        raise PluginError(f"docs/hooks/reference.py: {exc}") from exc
    return markdown
