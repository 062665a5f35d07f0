"""The packages of ``visits`` depend on each other in one direction: no import cycles.

The graph is read from the source with ``ast`` (every import, also those inside functions), so
a cycle hidden by a late import still counts. Its nodes are the top-level packages and modules
of ``visits`` (``booking``, ``facilities``, ``errors`` ...).
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "visits"

Graph = dict[str, dict[str, set[str]]]  # package -> package it imports -> files that do


def _module_name(path: Path) -> tuple[str, ...]:
    parts = ("visits", *path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported(path: Path) -> set[str]:
    """Every ``visits`` module or name that ``path`` imports, as dotted names."""
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join((*base, *([node.module] if node.module else [])))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("visits.")}


def import_graph() -> Graph:
    graph: Graph = defaultdict(lambda: defaultdict(set))
    for path in sorted(ROOT.rglob("*.py")):
        here = _module_name(path)
        if len(here) < 2:
            continue  # visits/__init__.py belongs to no package
        for name in _imported(path):
            target = name.split(".")[1]
            if target != here[1]:
                graph[here[1]][target].add(str(path.relative_to(ROOT.parent)))
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def all_modules() -> list[str]:
    """Every module but ``__main__`` (importing it runs the command line)."""
    return sorted(
        ".".join(_module_name(path)) for path in ROOT.rglob("*.py") if path.name != "__main__.py"
    )


@pytest.mark.parametrize("module", all_modules())
def test_every_module_imports(module: str) -> None:
    importlib.import_module(module)


def test_no_import_cycle_between_packages() -> None:
    graph = import_graph()
    problems = [
        f"{source} -> {target} ({', '.join(sorted(graph[source][target]))})"
        for component in cycles(graph)
        for source in component
        for target in sorted(graph[source])
        if target in component
    ]
    assert not problems, "import cycles between packages:\n" + "\n".join(problems)


def test_the_graph_sees_imports() -> None:
    """A guard for the test itself: known edges are found, relative imports included."""
    graph = import_graph()
    assert "facilities" in graph["booking"]
    assert cycles({"a": {"b": set()}, "b": {"a": set()}, "c": {"a": set()}}) == [["a", "b"]]
