"""An import-linter contract type of our own: no import cycle among the modules of the given
packages (each module-level cycle found by grimp, import-linter's graph, is reported with its
modules). Used by `[tool.importlinter]` in pyproject.toml; `lint-imports` runs in scripts/test."""

from __future__ import annotations

from collections.abc import Iterator

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def _cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Strongly connected components of more than one module inside `package` (Tarjan)."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(f"{package}."))
    inside = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative, so a deep import chain cannot exhaust the recursion limit.
        work: list[tuple[str, Iterator[str]]] = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return sorted(found)


class AcyclicContract(Contract):
    """No module of `packages` takes part in an import cycle with other modules of the same
    package (imports inside functions count: a lazy import hides a cycle, it does not break
    it)."""

    type_name = "acyclic"

    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        cycles = {package: _cycles(graph, package) for package in self.packages}  # type: ignore[attr-defined]
        broken = {package: found for package, found in cycles.items() if found}
        return ContractCheck(kept=not broken, warnings=[], metadata={"cycles": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for package, found in check.metadata["cycles"].items():
            for cycle in found:
                output.print_error(f"An import cycle in {package}: {' <-> '.join(cycle)}")
                output.new_line()
