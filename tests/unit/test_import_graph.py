"""The shape of the code: dependencies point one way and no module imports another that imports it back.

Every import counts, also the ones inside functions ("lazy" imports only hide a cycle). The order, from
the floor up: core and vocab (and libraries and accounts beside them), harvest, transform, index, circulation,
lists, portal,
and grenselos (the CLI, the wiring and the demo) on top; nothing imports portal or grenselos but those
above them.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "vocab", "libraries", "accounts", "harvest", "transform", "index", "circulation", "lists",
            "portal", "grenselos")
#: Which packages each package may import (its own always).
ALLOWED = {
    "core": set(),
    "vocab": {"core"},
    "libraries": {"core", "vocab"},
    "accounts": {"core", "vocab", "libraries"},
    "harvest": {"core", "vocab"},
    "transform": {"core", "vocab", "libraries", "harvest"},
    "index": {"core", "vocab", "libraries", "harvest", "transform"},
    "circulation": {"core", "vocab", "libraries", "accounts", "harvest", "transform", "index"},
    "lists": {"core", "vocab", "libraries", "accounts", "harvest", "transform", "index", "circulation"},
    "portal": {"core", "vocab", "libraries", "accounts", "harvest", "transform", "index", "circulation", "lists"},
    "grenselos": set(PACKAGES),
}


def modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges = {}
    for name, path in mods.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {resolve(a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found |= {resolve(f"{node.module}.{a.name}") if f"{node.module}.{a.name}" in mods
                          else resolve(node.module) for a in node.names}
        found.discard(None)
        found.discard(name)
        edges[name] = found
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_no_import_cycle_lazy_or_not():
    assert cycles(graph()) == []


def test_dependencies_point_one_way():
    wrong = []
    for name, targets in graph().items():
        package = name.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other != package and other not in ALLOWED[package]:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_the_checker_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
