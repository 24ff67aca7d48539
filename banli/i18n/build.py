"""Making the catalogs: extract every message from banli's source (`_()`, `N_()`,
`ngettext()`, the help texts of click commands and options, and the `_()` of the web's page
templates), update the catalog of each language, compile them, and check that each message
has a translation in each language.

    python -m banli.i18n.build update [--add FILE.json …]   # extract, merge, write the .po files
    python -m banli.i18n.build check [PATH …] [--add FILE.json …]  # every message translated?
    python -m banli.i18n.build compile                       # .po → .mo (the package build does it)

English is the language of the code: the English catalog starts each message as itself, so a
wording can be changed in the catalog alone. `--add` merges translations kept as JSON
({"English message": "中文"}) into the Chinese catalog.
"""

from __future__ import annotations

import ast
import inspect
import json
import string
import sys
from collections.abc import Iterable, Iterator
from io import BytesIO
from pathlib import Path

from banli.i18n import CHINESE, DOMAIN, ENGLISH, LANGUAGES, LOCALE_DIR
from banli.i18n.compiling import compiled

PACKAGE = Path(__file__).resolve().parents[1]
TEMPLATES = PACKAGE / "web" / "templates"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
CLICK_DECORATORS = {"command", "group"}
CLICK_TEXT_KEYWORDS = {"help", "short_help", "epilog"}
HEADER = """\
# banli's messages in {language}: one msgid (the English in the code) and its msgstr each.
# Made by `python -m banli.i18n.build update`, which keeps what is translated here; edit the
# msgstr lines. The build compiles this file to banli.mo."""


# -- extraction ---------------------------------------------------------------------------


def messages(paths: Iterable[Path] | None = None) -> dict[str | tuple[str, str], list[str]]:
    """Every message of `paths` (default: all of banli's modules) → the files it is in. A
    plural message is the pair (singular, plural)."""
    found: dict = {}
    for path in sorted(paths or [*PACKAGE.rglob("*.py"), *TEMPLATES.glob("*.html")]):
        where = _relative(path)
        source = path.read_text(encoding="utf-8")
        for message in (template_messages(source) if path.suffix == ".html" else file_messages(source)):
            found.setdefault(message, [])
            if where not in found[message]:
                found[message].append(where)
    return found


def template_messages(source: str) -> Iterator[str | tuple[str, str]]:
    """The messages of one web page template: its `_()` and `ngettext()` calls (Jinja's extractor)."""
    from jinja2.ext import babel_extract

    yield from _marked(babel_extract(BytesIO(source.encode()), KEYWORDS, [], {}))


def _marked(extracted) -> Iterator[str | tuple[str, str]]:
    """The messages of a Babel extractor's findings: a text, or an ngettext's (singular, plural)
    (Babel gives its count argument as a None beside them)."""
    for _line, _function, message, _comments in extracted:
        if isinstance(message, tuple):
            words = tuple(part for part in message if part is not None)
            if len(words) == 2 and all(words):
                yield words
        elif message:
            yield message


def click_messages() -> dict[str | tuple[str, str], list[str]]:
    """The words click itself prints (Usage:, "No such option"), from the click installed:
    banli's catalogs translate them too (`banli.cli.localized`). A word a newer click adds is
    shown in English until the catalog has it; banli's own messages must all be translated."""
    import click

    found: dict = {}
    for path in sorted(Path(click.__file__).parent.glob("*.py")):
        if path.name.startswith("_"):
            continue
        for message in file_messages(path.read_text(encoding="utf-8"), click_help=False):
            found.setdefault(message, []).append(f"click/{path.name}")
    return found


def file_messages(source: str, *, click_help: bool = True) -> Iterator[str | tuple[str, str]]:
    """The messages of one module, in order: marked calls and click help texts."""
    from babel.messages.extract import extract_python

    yield from _marked(extract_python(BytesIO(source.encode()), KEYWORDS, [], {}))
    if click_help:
        yield from click_texts(ast.parse(source))


def click_texts(tree: ast.AST) -> Iterator[str]:
    """The help texts click shows: the docstring of each function made a command or group, and
    the constant `help=`/`short_help=`/`epilog=` of any call (options, arguments, commands),
    cleaned the way click cleans them."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(_is_click_decorator(d) for d in node.decorator_list):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield doc.partition("\f")[0]
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in CLICK_TEXT_KEYWORDS and isinstance(keyword.value, ast.Constant) \
                        and isinstance(keyword.value.value, str) and keyword.value.value.strip():
                    yield inspect.cleandoc(keyword.value.value)


def _is_click_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return isinstance(target, ast.Attribute) and target.attr in CLICK_DECORATORS


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PACKAGE.parent))
    except ValueError:
        return str(path)


# -- catalogs -----------------------------------------------------------------------------


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(code: str):
    """The catalog of `code` as it is on disk (an empty one if there is none yet)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = po_path(code)
    if not path.exists():
        return Catalog(locale=code, domain=DOMAIN, project="banli")
    with path.open("rb") as handle:
        return read_po(handle, locale=code, domain=DOMAIN)


def update(added: dict[str, str] | None = None) -> dict[str, int]:
    """Rewrite each language's catalog to hold exactly the messages of the source, keeping the
    translations it had unless `added` gives a Chinese one; → untranslated count per language."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    found = {**messages(), **click_messages()}
    untranslated = {}
    for code in LANGUAGES:
        old = read(code)
        new = Catalog(locale=code, domain=DOMAIN, project="banli", version="1", charset="utf-8", fuzzy=False,
                      copyright_holder="banli", msgid_bugs_address="", creation_date=old.creation_date,
                      revision_date=old.creation_date, last_translator="banli", language_team="banli",
                      header_comment=HEADER.format(language=code))
        missing = 0
        for message, places in found.items():
            text = (_added(added or {}, message) if code == CHINESE else None) or _kept(old, message) \
                or (message if code == ENGLISH else None)
            if not text:
                missing += 1
            new.add(message, text or ("", "") if isinstance(message, tuple) else text or "",
                    locations=[(place, None) for place in places])
        path = po_path(code)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, new, width=0, include_lineno=False, omit_header=False)
        untranslated[code] = missing
    return untranslated


def _kept(catalog, message):
    old = catalog.get(message[0] if isinstance(message, tuple) else message)
    if old is None or not _translated(old.string):
        return None
    return old.string


def _added(added: dict[str, str], message):
    key = message[0] if isinstance(message, tuple) else message
    text = added.get(key)
    if text is None:
        return None
    return (text,) if isinstance(message, tuple) else text


def _translated(text) -> bool:
    if isinstance(text, (tuple, list)):
        return bool(text) and all(text)
    return bool(text)


def problems(code: str, found: dict | None = None, extra: dict[str, str] | None = None) -> list[str]:
    """What is wrong with `code`'s catalog for the messages `found` (default: all of banli's):
    a message missing or untranslated, or a translation whose {placeholders} differ from the
    message's (it would fail, or lose a fact, when formatted)."""
    catalog = read(code)
    result = []
    for message in found if found is not None else messages():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        text = entry.string if entry is not None and _translated(entry.string) else None
        if text is None and extra and key in extra:
            text = extra[key]
        if not text:
            result.append(f"{code}: no translation: {key!r}")
            continue
        for translated in (text if isinstance(text, (tuple, list)) else [text]):
            if placeholders(translated) != placeholders(key):
                result.append(f"{code}: placeholders {sorted(placeholders(translated))} differ from "
                              f"{sorted(placeholders(key))}: {key!r}")
    return result


def placeholders(text: str) -> set[str]:
    """The {names} a message is formatted with (empty for a text shown as it is)."""
    try:
        return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None}
    except ValueError:  # unbalanced braces: a help text that is never formatted
        return {"<unbalanced>"}


def compile_all() -> list[Path]:
    """Write each language's .mo next to its .po (the package build calls this)."""
    written = []
    for code in LANGUAGES:
        po = po_path(code)
        if po.exists():
            mo = po.with_suffix(".mo")
            mo.write_bytes(compiled(po))
            written.append(mo)
    return written


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("check", [])
    added: dict[str, str] = {}
    paths = []
    while rest:
        head = rest.pop(0)
        if head == "--add":
            added.update(json.loads(Path(rest.pop(0)).read_text(encoding="utf-8")))
        else:
            paths.append(Path(head))
    if command == "update":
        for code, missing in update(added).items():
            print(f"{po_path(code)}: {missing} untranslated")
        return 0
    if command == "compile":
        for mo in compile_all():
            print(mo)
        return 0
    if command == "check":
        found = messages(_expand(paths) if paths else None)
        # a message new to the English catalog will be itself there (`update`)
        itself = {(m[0] if isinstance(m, tuple) else m): m for m in found}
        listed = problems(CHINESE, found, added) + problems(ENGLISH, found, itself)
        for line in listed:
            print(line)
        print(f"{len(found)} messages, {len(listed)} problems")
        return 1 if listed else 0
    print(__doc__)
    return 2


def _expand(paths: list[Path]) -> list[Path]:
    return [p for path in paths for p in (sorted([*path.rglob("*.py"), *path.rglob("*.html")]) if path.is_dir() else [path])]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
