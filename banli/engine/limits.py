"""The limits of what people give banli — refs, ids, texts, JSON documents — in one place. The
engine checks them before a database sees a value, and the store's columns take their widths
from here, so SQLite and PostgreSQL accept and refuse the same input (exit 3, never a driver's
error)."""

from __future__ import annotations

import json
import re

from banli.errors import InvalidInput
from banli.i18n import N_, _

MAX_REF = 128  # an item's ref (the item, trace and notification tables keep it in a column this wide)
MAX_ID = 64  # ids of people and units (checked as the org file loads), a session's name; the column of any id
CHILD = "/"  # REF/UNIT names the unit's child item of REF: only `spawn_children` makes such refs

MAX_JSON_BYTES = 1024 * 1024  # a JSON document of event data (--data-file), as the web's request body
MAX_JSON_DEPTH = 20  # nesting of such a document (a definition file's too); data is key: value or a list

# Fields whose value the store also keeps in a column of its own (campaign.session): their width.
LIMITED_FIELDS = {"session": MAX_ID}

# Control characters (Unicode category Cc: C0, DEL, C1). PostgreSQL refuses NUL in text, Excel's
# XML refuses most of the others, and none of them is anything a person typed on purpose. A
# multi-line text (the content, a reply, a text field) may hold tabs and line breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Lone surrogates are not characters: Python makes them of bytes that are not UTF-8 (in argv,
# U+DC80–U+DCFF) and JSON writes them as "\ud800". No database driver can encode them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UNSHOWABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")  # the line separators too


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first control character in `text`, as U+XXXX, or None. With `multiline`, tabs and
    line breaks are text."""
    if text.isprintable():  # the common case, in C: every control character is unprintable
        return None
    found = (_CONTROL_IN_LINES if multiline else _CONTROL).search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def not_text(text: str) -> str | None:
    """The first lone surrogate in `text` (an undecodable byte, a "\\ud800" of JSON), as
    U+XXXX, or None."""
    if text.isprintable():  # surrogates are unprintable too
        return None
    found = _SURROGATE.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def _escaped(character: str) -> str:
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # the byte Python could not decode, as it was
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str, width: int | None = 40) -> str:
    """`text` as an error line may show it: control characters and undecodable bytes as \\xNN,
    lone surrogates and line separators as \\uXXXX, cut at `width` (None: whole)."""
    text = _UNSHOWABLE.sub(lambda found: _escaped(found.group()), text)
    return text if width is None or len(text) <= width else text[:width] + "…"


def ref_problem(ref: str, *, child: bool = False) -> str | None:
    """What is wrong with `ref` as an item's ref, or None. Only a child item (`child`) may have
    the '/' of REF/UNIT."""
    if not ref or not ref.strip():
        return _("the ref is empty; every item needs one, e.g. 16-1-073 (congress-session-number)")
    if len(ref) > MAX_REF:
        return _("the ref is {length} characters long; a ref has at most {maximum}").format(length=len(ref), maximum=MAX_REF)
    surrogate = not_text(ref)
    if surrogate:
        return _("the ref contains {character}, which is not a character (a byte that is not UTF-8, or a lone surrogate); a ref is printable text such as 16-1-073").format(
            character=surrogate)
    control = control_character(ref)
    if control:
        return _("the ref contains a control character ({character}); a ref is printable text such as 16-1-073").format(
            character=control)
    if not child and CHILD in ref:
        return _("'{child}' is reserved for the units' child items (REF{child}UNIT, made when an item is assigned); "
                 "write the ref without it, e.g. 16-1-073").format(child=CHILD)
    return None


def check_ref(ref: str, *, child: bool = False) -> None:
    """Raise InvalidInput naming the ref and its problem (`ref_problem`)."""
    problem = ref_problem(ref, child=child)
    if problem:
        raise InvalidInput(_("item {ref}: {problem}").format(ref=shown(ref), problem=problem) if ref and ref.strip()
                           else problem, ref=ref)


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """What is wrong with a text (a title one line, a content or a text field several), or None."""
    surrogate = not_text(text)
    if surrogate:
        return _("contains {character}, which is not a character (a byte that is not UTF-8, or a lone surrogate); write it in UTF-8").format(character=surrogate)
    control = control_character(text, multiline=multiline)
    if control:
        if multiline:
            return _("contains a control character ({character}); remove it (tabs and line breaks are fine)").format(
                character=control)
        return _("contains a control character ({character}); remove it (it is one line of text)").format(character=control)
    return None


def value_problem(name: str, value: object) -> str | None:
    """What is wrong with a typed field or data value as text, or None: control characters
    (text values may have several lines) and the width of a field kept in its own column."""
    if not isinstance(value, str):
        return None
    width = LIMITED_FIELDS.get(name)
    if width is not None and len(value) > width:
        return _("is {length} characters long; '{name}' has at most {maximum}").format(
            length=len(value), name=name, maximum=width)
    return text_problem(value, multiline=True)


def check_item_texts(ref: str, title: str, content: str, fields: dict) -> None:
    """Raise InvalidInput for the first problem in an item's title, content or field values."""
    problems = [(N_("item {ref}: the title {problem}"), "", text_problem(title)),
                (N_("item {ref}: the content {problem}"), "", text_problem(content, multiline=True))]
    problems += [(N_("item {ref}: the field '{field}' {problem}"), name, value_problem(name, value))
                 for name, value in fields.items()]
    for message, name, problem in problems:
        if problem:
            raise InvalidInput(_(message).format(ref=shown(ref), field=name, problem=problem), ref=ref)


def id_problem(text: str) -> str | None:
    """What is wrong with `text` as the id of a unit or person, or None."""
    if len(text) > MAX_ID:
        return _("the id {id} is {length} characters long; an id has at most {maximum}").format(
            id=shown(text), length=len(text), maximum=MAX_ID)
    problem = text_problem(text)
    return _("the id {id} {problem}").format(id=shown(text), problem=problem) if problem else None


def name_problem(text: str) -> str | None:
    """What is wrong with `text` as a name (of a unit, a person, a deputy), or None."""
    problem = text_problem(text)
    return _("the name {name} {problem}").format(name=shown(text), problem=problem) if problem else None


def read_json(raw: bytes, what: str) -> object:
    """The JSON document in `raw` (UTF-8, a BOM allowed), within the limits: at most
    MAX_JSON_BYTES, nested at most MAX_JSON_DEPTH deep, every key and string real text. Raises
    InvalidInput starting with `what` (e.g. "--data-file F.json")."""
    if len(raw) > MAX_JSON_BYTES:
        raise InvalidInput(_("{what} is {size} bytes; event data is at most {maximum} (1 MiB)").format(
            what=what, size=f"{len(raw):,}", maximum=f"{MAX_JSON_BYTES:,}"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(_("{what} is not UTF-8 text (byte {byte} at offset {offset}); save it as UTF-8").format(
            what=what, byte=f"0x{raw[exc.start]:02x}", offset=exc.start)) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(_("{what} is not valid JSON (line {line}: {reason})").format(
            what=what, line=exc.lineno, reason=exc.msg)) from None
    except RecursionError:
        raise InvalidInput(_("{what} is nested more than {depth} deep; event data is key: value").format(
            what=what, depth=MAX_JSON_DEPTH)) from None
    except ValueError:  # json refuses an integer of more than 4,300 digits with a ValueError
        raise InvalidInput(_("{what} holds a number of more than 4,300 digits; no value is that long").format(
            what=what)) from None
    problem = json_problem(document)
    if problem:
        raise InvalidInput(f"{what} {problem}")
    return document


def json_problem(document: object) -> str | None:
    """What is wrong with a decoded JSON document (too deep, a key or string that is not
    text), or None; looked at without recursion, however deep it is."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH and isinstance(value, (dict, list)):
            return _("is nested more than {depth} deep; event data is key: value").format(depth=MAX_JSON_DEPTH)
        if isinstance(value, dict):
            pending.extend((key, depth) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and not_text(value):
            return _("has the text '{text}' with {character} in it, which is not a character (a byte that is not UTF-8, or a lone surrogate); write it in UTF-8").format(
                text=shown(value), character=not_text(value))
    return None
