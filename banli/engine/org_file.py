"""Reading the organisation file (SPEC §8) from disk: bytes → text → a `Located` mapping, with
every problem placed at its FILE:LINE:COL, and pydantic's complaints about a record turned into
such problems. What the file must say (ids, roles, references) is `banli.engine.org`'s."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from banli.engine.load import Located, LocatedList, Position
from banli.errors import DefinitionErrors, Problem
from banli.i18n import N_, _

# A county's file is tens of kilobytes (100 people ≈ 8 KB); a province's would still be far
# below this. The cap keeps a wrong file (a log, a dump) from being parsed for minutes.
MAX_BYTES = 4 * 1024 * 1024
# The file is a mapping of lists of mappings of short lists: four levels. pydantic and the
# messages walk nested values by recursion, so deeper nesting is refused as the file is read.
MAX_DEPTH = 8

_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's event parser when built with it
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp")}
_SHAPE = N_("an organisation file is a YAML mapping with the keys units, people and deputies (see docs/org.md)")


class _Resolver(yaml.resolver.Resolver):
    """YAML's implicit types, with YAML 1.2's booleans: `no`, `on`, `yes`, `off` stay text,
    as in definitions (`banli.engine.load`); `true` and `false` are booleans."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TAG + "bool"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Resolver.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, (_TAG + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")))
_RESOLVER = _Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


class _Refused(Exception):
    """The file cannot be read on: `problem` says where and why."""

    def __init__(self, problem: tuple[Position, str]) -> None:
        super().__init__(problem[1])
        self.problem = problem


def read_mapping(path: str | Path) -> Located:
    """The file's top-level mapping with positions; else DefinitionErrors: the first problem
    of its bytes or YAML (too large, not UTF-8, a syntax error, an alias, a tag, not one
    mapping), or every repeated key."""
    file = str(path)
    text = _text(path)
    try:
        document, repeated = _build(text)
    except _Refused as exc:
        raise DefinitionErrors([Problem(file, *exc.problem[0], exc.problem[1])]) from exc
    if repeated:
        raise DefinitionErrors([Problem(file, line, column, message) for (line, column), message in repeated])
    return document


def _text(path: str | Path) -> str:
    file = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # a device or a pipe may never end
    except FileNotFoundError as exc:
        raise DefinitionErrors([Problem(file, 1, 1, _("file not found; give the path of the organisation file"))]) from exc
    except OSError as exc:
        raise DefinitionErrors([Problem(file, 1, 1, _("cannot read the file: {reason}").format(
            reason=exc.strerror or exc))]) from exc
    if len(data) > MAX_BYTES:
        raise DefinitionErrors([Problem(file, 1, 1, _(
            "the file is larger than {size} MiB; an organisation file lists units, people and deputies, "
            "and is far smaller: is this the right file?").format(size=MAX_BYTES // 2**20))])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", errors="replace")) + 1
        raise DefinitionErrors([Problem(file, data.count(b"\n", 0, exc.start) + 1, column,
                                        _("not UTF-8 text (byte 0x{byte}); save the file as UTF-8").format(
                                            byte=f"{data[exc.start]:02X}"))]) from exc


def _build(text: str) -> tuple[Located, list[tuple[Position, str]]]:
    """The document, built from the parser's events in one pass without recursion, and its
    repeated keys. Refused (`_Refused`) at the first thing that makes it no organisation
    file: a YAML syntax error, an alias (`*name`: ten lines of them stand for a billion
    values once anything walks them), a tag, a key that is a list or a mapping, nesting
    deeper than MAX_DEPTH, a second document, a document that is empty or not a mapping."""
    open_nodes: list = []  # the collections being read, innermost last
    keys: list = []  # per open mapping: (key, where) read and waiting for its value, or None
    repeated: list[tuple[Position, str]] = []
    document = None
    try:
        for event in yaml.parse(text, Loader=_PARSER):
            where = _mark(event.start_mark)
            if isinstance(event, yaml.AliasEvent):
                raise _Refused((where, _("YAML aliases (*name) are not allowed in an organisation file; "
                                         "write the value out where it is needed")))
            if isinstance(event, yaml.DocumentStartEvent) and document is not None:
                raise _Refused((where, _("a second YAML document ('---'); an organisation file is one document")))
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                value = open_nodes.pop()
                if isinstance(value, Located):
                    keys.pop()
                if open_nodes:
                    _attach(open_nodes[-1], keys, value, value.position, repeated)
                continue
            if not isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                continue
            if open_nodes and isinstance(open_nodes[-1], Located) and keys[-1] is None \
                    and not isinstance(event, yaml.ScalarEvent):
                raise _Refused((where, _("a key is a plain name (such as units or id), not a list or a mapping")))
            if isinstance(event, yaml.ScalarEvent):
                value = _scalar(event, where)
                if open_nodes:
                    _attach(open_nodes[-1], keys, value, where, repeated)
                elif value is None or value == "":
                    raise _Refused((where, _("the file is empty; {shape}").format(shape=_(_SHAPE))))
                else:
                    raise _Refused((where, _(_SHAPE)))
                continue
            if not open_nodes and isinstance(event, yaml.SequenceStartEvent):
                raise _Refused((where, _("{shape}, not a list").format(shape=_(_SHAPE))))
            if len(open_nodes) >= MAX_DEPTH:
                raise _Refused((where, _("nested more than {depth} levels deep; an organisation file has "
                                         "units and people, each a mapping with a list of roles").format(depth=MAX_DEPTH)))
            if isinstance(event, yaml.MappingStartEvent):
                value = _collection(Located(), event, where, "map")
                keys.append(None)
            else:
                value = _collection(LocatedList(), event, where, "seq")
            if document is None:
                document = value
            open_nodes.append(value)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _Refused((_mark(mark) if mark else (1, 1),
                        _("YAML syntax: {problem}").format(problem=exc.problem or exc.context))) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, most control characters)
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise _Refused(((line, column), _("character U+{code} is not allowed in YAML text; remove it").format(
            code=f"{exc.character:04X}") if isinstance(exc.character, int)
            else _("YAML: {reason}").format(reason=exc.reason))) from exc
    except yaml.YAMLError as exc:
        raise _Refused(((1, 1), _("YAML syntax: {problem}").format(problem=str(exc).replace("\n", " ")))) from exc
    if document is None:
        raise _Refused(((1, 1), _("the file is empty; {shape}").format(shape=_(_SHAPE))))
    return document, repeated


def _collection(value, event, where: Position, kind: str):
    if event.tag not in (None, "!", _TAG + kind):
        raise _Refused((where, _("the tag {tag} is not allowed in an organisation file; write the value without it")
                        .format(tag=_tag(event.tag))))
    value.position = where
    if isinstance(value, Located):
        value.key_positions, value.value_positions = {}, {}
    else:
        value.item_positions = []
    return value


def _scalar(event: yaml.ScalarEvent, where: Position) -> object:
    tag = event.tag
    if tag is None or tag == "!":
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _TAG + "str":
        return event.value
    if tag == _TAG + "merge":
        raise _Refused((where, _("merge keys (<<) are not allowed in an organisation file; write the keys out")))
    if tag not in _SCALAR_TAGS:
        raise _Refused((where, _("the tag {tag} is not allowed in an organisation file; write the value without it")
                        .format(tag=_tag(tag))))
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
    except (ValueError, TypeError, OverflowError, yaml.YAMLError) as exc:
        raise _Refused((where, _("{value} is not a valid {type}").format(
            value=repr(event.value[:40]), type=tag.removeprefix(_TAG)))) from exc


def _attach(parent, keys: list, value: object, where: Position, repeated: list) -> None:
    """Put `value` (standing at `where`) into the innermost open collection."""
    if isinstance(parent, LocatedList):
        parent.append(value)
        parent.item_positions.append(where)
        return
    key = keys[-1]
    if key is None:  # `value` is a key: a scalar (`_build` refused any other)
        if not isinstance(value, str):
            raise _Refused((where, _("a key is a name, not {kind}; put it in quotes if you mean it").format(
                kind=_kind_of(value))))
        if value in parent.key_positions:
            repeated.append((where, _("the key {key} is repeated (first at line {line}); keep one").format(
                key=repr(str(value)[:40]), line=parent.key_positions[value][0])))
            keys[-1] = (_SKIP, where)
        else:
            keys[-1] = (value, where)
        return
    keys[-1] = None
    name, key_at = key
    if name is not _SKIP:
        parent[name] = value
        parent.key_positions[name] = key_at
        parent.value_positions[name] = where


_SKIP = object()  # the key of a repeated entry: its value is read and dropped


def _tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def _mark(mark) -> Position:
    return mark.line + 1, mark.column + 1


def position(document: Located, where: tuple, *, key: bool = False) -> Position:
    """Where `where` (keys and indexes from the top, as pydantic's `loc`) stands in the file:
    its value, or with `key` its key; as near as the file goes when a part is missing."""
    node, found = document, document.position
    for depth, part in enumerate(where):
        if isinstance(node, Located) and part in node:
            last = depth == len(where) - 1
            found = node.key_at(part) if key and last else node.value_at(part)
            node = node[part]
        elif isinstance(node, LocatedList) and isinstance(part, int) and 0 <= part < len(node):
            found, node = node.at(part), node[part]
        else:
            break
        if not isinstance(node, (Located, LocatedList)) and depth < len(where) - 1:
            break
    return found


def dotted(where: tuple) -> str:
    """`('people', 3, 'email')` as people[3].email."""
    text = ""
    for part in where:
        name = _cut(part)
        text += f"[{part}]" if isinstance(part, int) else (f".{name}" if text else name)
    return text


@dataclass
class Checker:
    """Collects the problems of one organisation file, each placed at its line and column."""

    document: Located
    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: tuple, message: str, *, key: bool = False) -> None:
        line, column = position(self.document, where, key=key)
        self.problems.append(Problem(self.file, line, column, f"{dotted(where)}: {message}" if where else message))

    def line_of(self, where: tuple) -> str:
        return _("line {line}").format(line=position(self.document, where)[0])

    def record(self, model: type[BaseModel], where: tuple, raw: object) -> BaseModel | None:
        """`raw` (found at `where`) as `model`, or None with each of its problems added."""
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = tuple(error["loc"])
                self.add(where + loc, _message(model, error), key=error["type"] == "extra_forbidden")
            return None

    def fail_if_any(self) -> None:
        if self.problems:
            self.problems.sort(key=lambda problem: (problem.line, problem.column))
            raise DefinitionErrors(self.problems)


def _message(model: type[BaseModel], error: dict) -> str:
    """pydantic's complaint as a user would want it: what is wrong and what is expected. A
    model names itself and shows an example with the class variables `noun` and `example`."""
    kind, loc, value = error["type"], error["loc"], error.get("input")
    noun = _(getattr(model, "noun", N_("this entry")))
    name = loc[-1] if loc else None
    keys = ", ".join(model.model_fields)
    if kind == "extra_forbidden":
        return _("unknown key {key}; {noun} has the keys {keys}").format(key=repr(_cut(name)), noun=noun, keys=keys)
    if kind == "missing":
        return _("{name} is missing; {noun} has the keys {keys}").format(name=repr(name), noun=noun, keys=keys)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        example = getattr(model, "example", "")
        if example:
            return _("{noun} is a mapping, such as {example}, not {kind}").format(
                noun=noun, example=example, kind=_kind_of(value))
        return _("{noun} is a mapping, not {kind}").format(noun=noun, kind=_kind_of(value))
    if kind == "list_type":
        return _("a list is expected here, such as [a, b], not {kind}").format(kind=_kind_of(value))
    if kind == "string_type":
        if value is None:
            return _("no value is given; write one, or remove the key")
        if isinstance(value, (list, dict)):
            return _("text is expected here, not {kind}").format(kind=_kind_of(value))
        return _("text is expected here, not {kind}; write it in quotes if it is meant as text: '{text}'").format(
            kind=_kind_of(value), text=_cut(value))
    if kind.startswith("bool"):
        return _("true or false is expected here, not {kind}").format(kind=_kind_of(value))
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return error["msg"]


def _cut(value: object, width: int = 40) -> str:
    """`value` as text short enough for an error line."""
    text = str(value)
    return text if len(text) <= width else text[:width] + "…"


def _kind_of(value: object) -> str:
    if value is None:
        return _("nothing")
    if isinstance(value, str):
        return _("the text {text}").format(text=repr(_cut(value)))
    if isinstance(value, bool):
        return _("the truth value {value}").format(value=str(value).lower())
    if isinstance(value, (int, float)):
        return _("the number {number}").format(number=value)
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a mapping")
    return _("a {type}").format(type=type(value).__name__)
