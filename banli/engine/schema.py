"""The JSON Schema (draft 2020-12) of the definition language, for editors (yaml-language-server).

Generated from the parser's own tables in `banli.engine.keys`: each Section becomes an object
with exactly its keys (`additionalProperties: false`), its required keys and each key's
description, nested where its `path` says ("NAME" is any name, "[]" an entry of a list,
"…key" every key whose type words write that section's mapping, e.g. "{zh: …, en: …}").
The schema is strict on keys and structure and permissive on values: the parser checks
values, with positions.
"""

from __future__ import annotations

import re

from banli.engine.keys import SECTIONS, KeySpec, Section

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_TEXT = {"type": "string"}
_TEXTS = {"type": "array", "items": _TEXT}
_CHOICES = re.compile(r"^[a-z_]+( \| [a-z_]+)+$")  # "cn | plain": the value is one of these words

# The other shapes a key's value may take besides its section's mapping (SPEC §7), by the
# section's path and the key: what the words of KeySpec.type say after "or".
_ALSO: dict[tuple[str, str], list[dict]] = {
    ("events.NAME", "to"): [_TEXT],  # a state, or a list of branches
    ("events.NAME", "data"): [_TEXTS],  # a list of keys, or a mapping of keys to options
    ("events.NAME", "notify"): [_TEXT, {"type": "array", "items": {"anyOf": [_TEXT, {"type": "object"}]}}],
    ("states.NAME.deadline", "after"): [{"type": ["string", "number"]}],  # a duration or `$setting`
}


def _paths(section: Section) -> list[str]:
    return [path.strip() for path in section.path.split(",")]


def _written_as(section: Section, spec: KeySpec) -> bool:
    """A key takes this section's mapping where its type words show it: "{after: DURATION, …}"."""
    return "{" + next(iter(section.keys)) + ":" in spec.type


def _scalar(spec: KeySpec) -> dict:
    """A key without a section of its own: booleans and word choices checked, anything else free."""
    schema: dict = {}
    if spec.type == "true | false":
        schema["type"] = "boolean"
    elif _CHOICES.match(spec.type):
        schema["enum"] = spec.type.split(" | ")
    return schema


class _Builder:
    def __init__(self, sections: tuple[Section, ...]):
        self.at: dict[str, Section] = {}
        self.anywhere: dict[str, Section] = {}
        for section in sections:
            for path in _paths(section):
                if path.startswith("…"):
                    self.anywhere[path[1:]] = section
                else:
                    self.at[path] = section

    def mapping(self, section: Section, path: str) -> dict:
        properties = {name: self.value(path, spec) for name, spec in section.keys.items()}
        schema = {"type": "object", "description": section.summary, "properties": properties,
                  "additionalProperties": False}
        if section.required():
            schema["required"] = list(section.required())
        return schema

    def nested(self, section: Section, path: str) -> dict:
        return {**self.mapping(section, path), "type": ["object", "null"]}  # an absent mapping reads as empty

    def shape(self, path: str, spec: KeySpec) -> dict | None:
        """The shape a key's section gives it: one mapping, a mapping of names to them, or a list of them."""
        if path in self.at:
            return self.nested(self.at[path], path)
        for name in ("NAME", "KEY"):
            if f"{path}.{name}" in self.at:
                child = f"{path}.{name}"
                return {"type": "object", "additionalProperties": self.nested(self.at[child], child)}
        if f"{path}[]" in self.at:
            return {"type": "array", "items": self.entry(f"{path}[]")}
        for section in self.anywhere.values():
            if _written_as(section, spec):
                return self.nested(section, path)
        return None

    def entry(self, path: str) -> dict:
        section = self.at[path]
        if path == "events.NAME.guards[]":  # a registry guard's name, {name: {parameters}}, or a condition
            call = {"type": "object", "minProperties": 1, "maxProperties": 1,
                    "propertyNames": {"not": {"enum": list(section.keys)}}}
            return {"anyOf": [_TEXT, call, self.mapping(section, path)]}
        return self.mapping(section, path)

    def value(self, parent: str, spec: KeySpec) -> dict:
        path = f"{parent}.{spec.name}" if parent else spec.name
        shape = self.shape(path, spec)
        key_path = parent.rsplit("[]", 1)[0] if parent.endswith("[]") else parent
        also = _ALSO.get((key_path, spec.name), [])
        if shape is None:
            schema = _scalar(spec)
        elif also:
            schema = {"anyOf": [*also, shape]}
        elif spec.type.startswith("one line of text"):  # a label: text, or {zh: …, en: …}
            schema = {"anyOf": [_TEXT, shape]}
        else:
            schema = shape
        return {**schema, "description": f"{spec.description}; takes {spec.type}" if spec.description else spec.type}


def definition_schema() -> dict:
    """The schema of one definition file, as a JSON-ready dict."""
    builder = _Builder(SECTIONS)
    top = builder.at[""]
    return {"$schema": DIALECT, "title": "banli workflow definition", **builder.mapping(top, "")}


def section_keys(schema: dict) -> dict[str, set[str]]:
    """The keys of every mapping in the schema, by its path written as in keys.py (for tests)."""
    found: dict[str, set[str]] = {}

    def walk(node: object, path: str) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child, path)
        if not isinstance(node, dict):
            return
        if "properties" in node and node.get("additionalProperties") is False:
            found[path] = set(node["properties"])
            for name, child in node["properties"].items():
                walk(child, f"{path}.{name}" if path else name)
            return
        for key, step in {"additionalProperties": ".NAME", "items": "[]", "anyOf": ""}.items():
            walk(node.get(key), path + step)

    walk(schema, "")
    return found
