"""Step 1 of the definition pipeline: YAML text → plain dicts and lists that remember positions.

Mappings load as `Located` dicts and sequences as `LocatedList`s; both know the line and
column of every key and element, so the parser can say `FILE:LINE:COL: message`. Only
`true`/`false` are booleans (YAML 1.2): `on`, `off`, `yes`, `no` stay strings, because in a
definition they are far more likely to be names than switches.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from banli.errors import DefinitionErrors, Problem

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


class _Loader(_Base):
    """SafeLoader with positions kept and YAML 1.2 booleans."""


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
    loader.flatten_mapping(node)
    result = Located()
    result.position = _at(node)
    result.key_positions, result.value_positions = {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
            )
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


def load_text(text: str, file: str = "<definition>") -> Located:
    """Parse YAML text into a `Located` mapping; a syntax error becomes a positioned problem."""
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise DefinitionErrors([Problem(file, line, column, f"YAML syntax: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionErrors([Problem(file, 1, 1, f"YAML syntax: {exc}")]) from exc
    if not isinstance(document, Located):
        raise DefinitionErrors([Problem(file, 1, 1, "a definition must be a YAML mapping (id, states, events, …)")])
    return document


def load_file(path: str | Path) -> tuple[Located, str]:
    """Read a definition file; returns the located mapping and the exact text read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DefinitionErrors([Problem(str(path), 1, 1, "file not found")]) from exc
    except UnicodeDecodeError as exc:
        raise DefinitionErrors([Problem(str(path), 1, 1, "not UTF-8 text: save the file as UTF-8")]) from exc
    return load_text(text, str(path)), text
