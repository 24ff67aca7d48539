"""The catalogs: every message of banli's source has a translation in Chinese and in English,
with the same {placeholders}; the language is chosen as documented; `_` is never shadowed
and never called while a module is imported (it would freeze one language)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from banli import i18n
from banli.i18n import build

PACKAGE = Path(i18n.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def found():
    return build.messages()


@pytest.mark.parametrize("code", i18n.LANGUAGES)
def test_every_message_is_translated(code, found):
    assert len(found) > 500  # the extraction sees the source (help texts and messages)
    problems = build.problems(code, found)
    assert problems == [], f"{len(problems)} problems; run `python -m banli.i18n.build update`, " \
                           "then translate:\n" + "\n".join(problems[:40])


def test_an_untranslated_message_is_found():
    missing = {"A message nobody has translated yet, {ref}.": ["banli/x.py"]}
    assert build.problems(i18n.CHINESE, missing) == [
        "zh_CN: no translation: 'A message nobody has translated yet, {ref}.'"]


def test_a_translation_that_loses_a_placeholder_is_found():
    message = "internal error ({kind}: {detail}); run again with --debug and report it"
    assert build.problems(i18n.CHINESE, {message: []}) == []
    problems = build.problems(i18n.CHINESE, {message: []}, extra=None) + build.problems(
        "xx", {message: []}, extra={message: "内部错误（{kind}）"})
    assert any("placeholders ['kind'] differ from ['detail', 'kind']" in line for line in problems)


def test_help_texts_are_extracted_as_click_shows_them():
    source = '''
import click
@click.command()
@click.option("--at", help="""When it happened
    (default now).""")
def fire(at):
    """Apply one event.

    \\b
    Example:
      banli fire 16-1-001 sign
    """
'''
    texts = list(build.file_messages(source))
    assert "When it happened\n(default now)." in texts
    assert "Apply one event.\n\n\b\nExample:\n  banli fire 16-1-001 sign" in texts


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "zh_CN"),
    ({"LANG": "C.UTF-8"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANGUAGE": "de:en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"BANLI_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"BANLI_LANG": "zh", "LANG": "en_GB.UTF-8"}, "zh_CN"),
    ({"BANLI_LANG": "fr", "LANG": "en_GB.UTF-8"}, "en"),  # a language banli does not speak: the locale's
], ids=["nothing", "C locale", "English locale", "LC_ALL first", "LANGUAGE list", "BANLI_LANG en",
        "BANLI_LANG zh", "BANLI_LANG unknown"])
def test_the_language_is_chosen_from_the_environment(environ, expected):
    assert i18n.from_environment(environ) == expected


def test_use_chooses_the_language_of_a_block():
    message = "internal error ({kind}: {detail}); run again with --debug and report it"
    with i18n.use("zh_CN"):
        assert i18n._(message).startswith("内部错误")
        with i18n.use("en"):
            assert i18n._(message) == message
        assert i18n._(message).startswith("内部错误")


def _modules_importing_underscore():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = any(isinstance(node, ast.ImportFrom) and node.module == "banli.i18n"
                       and any(alias.name == "_" for alias in node.names) for node in tree.body)
        if imported:
            yield path, tree


def test_underscore_is_never_shadowed():
    shadowing = []
    for path, tree in _modules_importing_underscore():
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names = [node.id]
            elif isinstance(node, ast.arg):
                names = [node.arg]
            if "_" in names:
                shadowing.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert shadowing == []


def test_no_message_is_translated_at_import_time():
    """A `_()` run while the module is imported is made once, in one language: mark it N_()."""
    early = []
    for path, tree in _modules_importing_underscore():
        for statement in tree.body:
            for node in _import_time_nodes(statement):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
                    early.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert early == []


def _import_time_nodes(node):
    """The nodes of a statement that run when its module is imported (not function bodies)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for part in node.decorator_list + node.args.defaults + node.args.kw_defaults:
            if part is not None:
                yield from ast.walk(part)
        return
    if isinstance(node, ast.Lambda):
        return
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _import_time_nodes(child)


@pytest.mark.parametrize("code", i18n.LANGUAGES)
def test_the_build_compiled_each_catalog(code):
    """The install (setup.py, run again by scripts/_venv when a .po changes) compiled every
    catalog, and banli reads the compiled one."""
    from banli.i18n.compiling import compiled

    po = build.po_path(code)
    assert po.with_suffix(".mo").read_bytes() == compiled(po)
    assert i18n.catalog(code).info()["language"] == code


def test_an_empty_text_stays_empty():
    """gettext would answer "" with the catalog's header; a label left empty must stay empty."""
    with i18n.use("zh_CN"):
        assert i18n._("") == ""
