"""The house (STYLE.md): the engine owns its ports and never imports the store, no module
imports itself back through others, and every module can be read in one sitting. The import
graph is grimp's, which sees imports inside functions too."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "banli"
MAX_LINES = 400


@pytest.fixture(scope="module")
def graph():
    # an import only for type annotations (under TYPE_CHECKING) is never run: no cycle at run time
    return grimp.build_graph("banli", exclude_type_checking_imports=True)


def _imports(graph, importer: str, imported: str) -> list[str]:
    """'a -> b' for each direct import of a module of `imported` by a module of `importer`."""
    return sorted(f"{found['importer']} -> {found['imported']}" for found in graph.find_matching_direct_imports(
        import_expression=f"{importer}.** -> {imported}.**"))


@pytest.mark.parametrize("importer, imported", [
    ("banli.engine", "banli.store"),
    ("banli.engine", "banli.cli"),
    ("banli.engine", "banli.reports"),
    ("banli.engine", "banli.sheets"),
    ("banli.store", "banli.cli"),
    ("banli.reports", "banli.cli"),
], ids=lambda name: name.split(".")[-1])
def test_no_import_against_the_house(graph, importer, imported):
    assert _imports(graph, importer, imported) == []


def test_no_import_cycle(graph):
    cycles = _cycles({module: graph.find_modules_directly_imported_by(module) for module in graph.modules})
    assert cycles == []


def test_every_module_is_small_enough_to_read():
    long = {str(path.relative_to(PACKAGE.parent)): lines for path in PACKAGE.rglob("*.py")
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_a_cycle_is_found():
    """The cycle finder finds one when there is one (so that an empty answer means something)."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)
