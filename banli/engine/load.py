"""Step 1 of the definition pipeline: YAML text → plain dicts and lists that remember positions.

Mappings load as `Located` dicts and sequences as `LocatedList`s; both know the line and
column of every key and element, so the parser can say `FILE:LINE:COL: message`. Only
`true`/`false` are booleans (YAML 1.2): `on`, `off`, `yes`, `no` stay strings, because in a
definition they are far more likely to be names than switches.

A definition is small, plain YAML, and the loader holds it to that before building anything
(`_plain`): at most 1 MiB, nested at most 20 deep, keys that are text, the standard tags only,
and no aliases. An alias shares a value rather than copying it, so ten lines of aliases stand
for a billion values once anything walks them (a check, an error message, the content hash):
refusing them costs a definition nothing it needs, where capping the expanded size would
still let every later step pay for the expansion up to the cap.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from banli.errors import DefinitionErrors, Problem
from banli.i18n import _

Position = tuple[int, int]


class Located(dict):
    """A mapping that remembers where it, each key and each value stand in the file."""

    position: Position = (1, 1)
    key_positions: dict
    value_positions: dict

    def key_at(self, key: object) -> Position:
        return self.key_positions.get(key, self.position)

    def value_at(self, key: object) -> Position:
        return self.value_positions.get(key, self.key_at(key))


class LocatedList(list):
    """A sequence that remembers where it and each element stand in the file."""

    position: Position = (1, 1)
    item_positions: list

    def at(self, index: int) -> Position:
        if 0 <= index < len(self.item_positions):
            return self.item_positions[index]
        return self.position


def _at(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


# libyaml's parser when PyYAML was built with it (the wheels are): several times faster
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


MAX_BYTES = 1 << 20  # a definition file's size: the built-in ones are under 10 KiB
MAX_DEPTH = 20  # nesting of mappings and lists: a definition needs about 7
_TAG = "tag:yaml.org,2002:"
_KEY_TAG = _TAG + "str"
_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}
_NODES = {_TAG + "seq": yaml.SequenceNode, _TAG + "map": yaml.MappingNode}  # the rest tag scalars


def _shown(text: str, width: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[:width] + "…"


class _Loader(_Base):
    """SafeLoader with positions kept, YAML 1.2 booleans, and every repeated key reported."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[Position, str]] = []

    def construct_object(self, node, deep=False):
        """A value a tag cannot make (`!!int x`, a date `2024-13-45`) is a positioned YAML error,
        not the constructor's ValueError."""
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                problem=_("'{value}' is not a valid {tag} ({reason})").format(
                    value=_shown(str(node.value)), tag=node.tag.removeprefix(_TAG), reason=exc),
                problem_mark=node.start_mark,
            ) from exc


# Drop the YAML 1.1 boolean resolver (yes/no/on/off) and put back true/false only.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"))
    )


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    result = Located()
    result.position = _at(node)
    result.key_positions, result.value_positions = {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)  # text: `_plain` let no other key through
        if key in result:
            loader.duplicates.append((_at(key_node), _("duplicate key '{key}' (first at line {line}); keep one").format(
                key=_shown(key), line=result.key_positions[key][0])))
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_positions[key] = _at(key_node)
        result.value_positions[key] = _at(value_node)
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.position = _at(node)
    result.item_positions = [_at(child) for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _key_problem(key: yaml.Node) -> str | None:
    if key.tag == _KEY_TAG and isinstance(key, yaml.ScalarNode):
        return None
    if key.tag == _TAG + "merge":
        return _("merge keys (<<) are not allowed in a definition; write the keys out")
    if isinstance(key, yaml.ScalarNode):
        return _("a key is text, not {tag} '{key}'; put it in quotes if you mean it").format(
            tag=key.tag.removeprefix(_TAG), key=_shown(key.value))
    return _("a key is text, not a list or a mapping (a '?' key); write a name")


def _plain(root: yaml.Node, text: str) -> list[tuple[Position, str]]:
    """What makes the composed document more than plain YAML (see the module's docstring),
    found without recursion and without walking any value twice."""
    problems, seen, aliased = [], set(), False
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:  # the composer hands out the anchored node again for each alias
            aliased = True
            continue
        seen.add(id(node))
        if node.tag not in _TAGS or not isinstance(node, _NODES.get(node.tag, yaml.ScalarNode)):
            tag = _shown(node.tag.replace(_TAG, '!!'))
            problems.append((_at(node), (_("the tag {tag} is not allowed in a definition; write the value without it")
                                         if node.tag not in _TAGS else
                                         _("the tag {tag} is not allowed here; write the value without it")).format(tag=tag)))
            continue
        if depth > MAX_DEPTH:
            problems.append((_at(node), _("nested more than {limit} levels deep; a definition needs far fewer").format(
                limit=MAX_DEPTH)))
            continue
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                problem = _key_problem(key)
                if problem:
                    problems.append((_at(key), problem))
                else:
                    stack.append((key, depth + 1))  # an alias as a key, say
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
    if aliased:
        problems += _aliases(text)
    return problems


def _aliases(text: str) -> list[tuple[Position, str]]:
    """Each alias, where it stands: the composed nodes only say where its anchor was."""
    loader, found = _Loader(text), []
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                found.append(((event.start_mark.line + 1, event.start_mark.column + 1),
                              _("aliases (*{anchor}) are not allowed in a definition; write the value out").format(
                                  anchor=_shown(event.anchor))))
    finally:
        loader.dispose()
    return found


def _syntax(exc: yaml.YAMLError, text: str, file: str) -> DefinitionErrors:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if exc.context == "expected a single document in the stream":
            return DefinitionErrors([Problem(file, line, column, _("a second YAML document ('---'): "
                                                                   "a definition file holds one; remove it"))])
        lines = text.split("\n", mark.line + 1) if mark else []  # YAML breaks lines at \r too: may be fewer
        if mark and len(lines) > mark.line and lines[mark.line][mark.column:mark.column + 1] == "\t":
            return DefinitionErrors([Problem(file, line, column, _("YAML syntax: a tab here; YAML is indented "
                                                                   "with spaces, so write spaces instead"))])
        what = exc.problem or exc.context or _("unreadable")
        return DefinitionErrors([Problem(file, line, column, _("YAML syntax: {problem}").format(
            problem=_shown(what, 200)))])
    return DefinitionErrors([Problem(file, 1, 1, _("YAML syntax: {problem}").format(problem=_shown(str(exc), 200)))])


def _too_large(file: str) -> DefinitionErrors:
    return DefinitionErrors([Problem(file, 1, 1, _("the definition is over {size} KiB; a definition has at most "
                                                   "{size} KiB: split it or remove what repeats").format(
        size=MAX_BYTES // 1024))])


def load_text(text: str, file: str = "<definition>") -> Located:
    """Parse YAML text into a `Located` mapping; a syntax error, or anything more than plain
    YAML (see the module's docstring), becomes positioned problems."""
    if len(text) > MAX_BYTES:
        raise _too_large(file)
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # a lone surrogate: no file read as UTF-8 has one
        raise DefinitionErrors([Problem(file, 1, 1, _("the text is not valid Unicode; save the file as UTF-8"))]) from exc
    if size > MAX_BYTES:
        raise _too_large(file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DefinitionErrors([Problem(file, 1, 1, _("the file holds no definition; "
                                                          "a definition is a YAML mapping (id, states, events, …)"))])
        problems = _plain(node, text)
        if problems:
            raise DefinitionErrors([Problem(file, line, column, message)
                                    for (line, column), message in sorted(problems, key=lambda p: p[0])])
        document = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _syntax(exc, text, file) from exc
    finally:
        loader.dispose()
    if loader.duplicates:
        raise DefinitionErrors([Problem(file, line, column, message) for (line, column), message in loader.duplicates])
    if not isinstance(document, Located):
        raise DefinitionErrors([Problem(file, *_at(node), (
            _("a definition is a YAML mapping (id, states, events, …), not a list") if isinstance(document, list)
            else _("a definition is a YAML mapping (id, states, events, …), not one value")))])
    return document


def load_file(path: str | Path) -> tuple[Located, str]:
    """Read a definition file; returns the located mapping and the exact text read."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)  # a device or a pipe may never end: read no more than fits
    except FileNotFoundError as exc:
        raise DefinitionErrors([Problem(str(path), 1, 1, _("file not found"))]) from exc
    except IsADirectoryError as exc:
        raise DefinitionErrors([Problem(str(path), 1, 1, _("a folder, not a definition file"))]) from exc
    except OSError as exc:
        raise DefinitionErrors([Problem(str(path), 1, 1, _("cannot be read: {reason}").format(
            reason=exc.strerror or exc))]) from exc
    if len(data) > MAX_BYTES:
        raise _too_large(str(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]  # valid UTF-8 up to here: count characters, as YAML's columns do
        line, column = before.count(b"\n") + 1, len(before[before.rfind(b"\n") + 1:].decode("utf-8")) + 1
        problem = _("not UTF-8 text (byte 0x{byte} here): save the file as UTF-8").format(byte=f"{data[exc.start]:02x}")
        raise DefinitionErrors([Problem(str(path), line, column, problem)]) from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as reading in text mode does: the source kept
    return load_text(text, str(path)), text
