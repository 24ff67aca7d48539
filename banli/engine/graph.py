"""Diagrams of a definition: Mermaid `stateDiagram-v2` and Graphviz dot text."""

from __future__ import annotations

from banli.engine.model import Definition


def _edges(definition: Definition):
    for event in definition.events.values():
        for source in event.sources:
            for branch in event.branches:
                condition = ", ".join(f"{k}={'|'.join(map(str, v))}" for k, v in branch.when)
                yield source, branch.to, str(event.label) + (f" [{condition}]" if condition else "")


def mermaid(definition: Definition) -> str:
    lines = ["stateDiagram-v2"]
    for name, state in definition.states.items():
        lines.append(f"    {name}: {state.label}")
    lines.append(f"    [*] --> {definition.initial}")
    for source, target, label in _edges(definition):
        lines.append(f"    {source} --> {target}: {label}")
    lines.extend(f"    {name} --> [*]" for name, state in definition.states.items() if state.final)
    return "\n".join(lines) + "\n"


def dot(definition: Definition) -> str:
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"digraph {quote(definition.id)} {{", "    rankdir=LR;", '    node [shape=box, style=rounded];']
    for name, state in definition.states.items():
        shape = ", peripheries=2" if state.final else ""
        lines.append(f"    {name} [label={quote(str(state.label))}{shape}];")
    for source, target, label in _edges(definition):
        lines.append(f"    {source} -> {target} [label={quote(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
