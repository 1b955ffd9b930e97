"""Every code the code base can record, read from its source: the timeline's kinds and
reasons, a run's stop reason, a message's status reason (and the suppression reasons that
become one). Starting from each place a code is recorded, a value is followed back to its
string constants: module constants, local assignments, a parameter's arguments at every call
of its function, the returns of a called function, both sides of `x if c else y` / `x or y`,
a constant dict's `.get`, an f-string's parts. What cannot be followed (an exception's text,
an attribute of a runtime object) is left out; an f-string part that cannot is a `*`."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "jobs", "webhooks")
# Keywords that record a reason wherever they are passed (a row's column, a listener's
# argument), and attributes that hold one.
REASON_KEYWORDS = frozenset({"reason", "status_reason", "stop_reason"})
REASON_ATTRIBUTES = frozenset({"status_reason", "stop_reason"})
# A scenario's live check and outbox guard (a function, or a factory's call that builds one):
# what they return is a reason to stop or drop.
REASON_FUNCTION_KEYWORDS = frozenset({"condition", "guard"})
TIMELINE_RECORD = ("app.scenarios.timeline", "record")
# labels.reason_code(x) is x's code: x's values are followed instead.
REASON_CODE = ("app.scenarios.labels", "reason_code")
LOGGERS = frozenset({"log", "logger"})

Function = ast.FunctionDef | ast.AsyncFunctionDef
FunctionId = tuple[str, str]  # (module, top-level function name)


@dataclass
class _Module:
    name: str
    tree: ast.Module
    assigned: dict[str, ast.expr] = field(default_factory=dict)
    classes: dict[str, dict[str, ast.expr]] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted target


@dataclass
class _Call:
    module: str
    function: Function | None  # the function the call is in (None at module level)
    node: ast.Call


@dataclass
class RecordedCodes:
    reasons: set[str]
    kinds: set[str]


def _modules() -> dict[str, _Module]:
    modules: dict[str, _Module] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            module = _Module(name, ast.parse(path.read_text("utf-8"), str(path)))
            for node in module.tree.body:
                if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Name):
                            module.assigned[target.id] = node.value
                elif isinstance(node, ast.ClassDef):
                    module.classes[node.name] = {
                        t.id: s.value
                        for s in node.body
                        if isinstance(s, ast.Assign)
                        for t in s.targets
                        if isinstance(t, ast.Name)
                    }
                elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    module.functions[node.name] = node
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    for alias in node.names:
                        module.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        module.imports[alias.asname or alias.name] = alias.name
            modules[name] = module
    return modules


def _walk(module: _Module) -> Iterator[tuple[ast.AST, Function | None]]:
    """Every node of the module with the top-level function it is in (nested functions
    count as theirs: closures see its names)."""

    def visit(
        node: ast.AST, function: Function | None
    ) -> Iterator[tuple[ast.AST, Function | None]]:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else None
            yield child, function
            yield from visit(child, function if function is not None else inner)

    yield from visit(module.tree, None)


class _Reader:
    def __init__(self) -> None:
        self.modules = _modules()
        self.nodes = [(m.name, node, f) for m in self.modules.values() for node, f in _walk(m)]
        self.calls = [
            _Call(module, function, node)
            for module, node, function in self.nodes
            if isinstance(node, ast.Call)
        ]
        self.callees = [(call, self.callee(call.node, call.module)) for call in self.calls]
        self._seen: set[tuple[int, int]] = set()

    # -- names ------------------------------------------------------------------------------

    def _target(self, module: str, name: str) -> tuple[str, str] | str | None:
        """What `name` means in `module`: (module, name) of a top-level definition, a
        module's dotted name, or None when it is not ours."""
        found = self.modules[module]
        if name in found.functions or name in found.assigned or name in found.classes:
            return (module, name)
        dotted = found.imports.get(name)
        if dotted is None:
            return None
        if dotted in self.modules:
            return dotted
        owner, _, attr = dotted.rpartition(".")
        if owner in self.modules:
            return (
                self._target(owner, attr) if attr in self.modules[owner].imports else (owner, attr)
            )
        return None

    def function(self, module: str, name: str) -> FunctionId | None:
        target = self._target(module, name)
        if isinstance(target, tuple) and target[1] in self.modules[target[0]].functions:
            return target
        return None

    def callee(self, call: ast.Call, module: str) -> FunctionId | None:
        func = call.func
        if isinstance(func, ast.Name):
            return self.function(module, func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = self._target(module, func.value.id)
            if isinstance(owner, str):
                return self.function(owner, func.attr)
        return None

    # -- values -----------------------------------------------------------------------------

    def values(self, expr: ast.expr | None, module: str, function: Function | None) -> set[str]:
        if expr is None:
            return set()
        key = (id(expr), id(function))
        if key in self._seen:
            return set()
        self._seen.add(key)
        try:
            return self._values(expr, module, function)
        finally:
            self._seen.discard(key)

    def _values(self, expr: ast.expr, module: str, function: Function | None) -> set[str]:
        if isinstance(expr, ast.Constant):
            return {expr.value} if isinstance(expr.value, str) else set()
        if isinstance(expr, ast.Await):
            return self.values(expr.value, module, function)
        if isinstance(expr, ast.Subscript):  # `f"code: {detail}"[:1000]` keeps the code
            return self.values(expr.value, module, function)
        if isinstance(expr, ast.IfExp):
            return self.values(expr.body, module, function) | self.values(
                expr.orelse, module, function
            )
        if isinstance(expr, ast.BoolOp):
            return set().union(*(self.values(v, module, function) for v in expr.values))
        if isinstance(expr, ast.JoinedStr):
            return self._f_string(expr, module, function)
        if isinstance(expr, ast.Name):
            return self._name(expr.id, module, function)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            owner = self._target(module, expr.value.id)
            if isinstance(owner, tuple) and owner[1] in self.modules[owner[0]].classes:
                attrs = self.modules[owner[0]].classes[owner[1]]
                return self.values(attrs.get(expr.attr), owner[0], None)
            if isinstance(owner, str) and expr.attr in self.modules[owner].assigned:
                return self.values(self.modules[owner].assigned[expr.attr], owner, None)
            return set()
        if isinstance(expr, ast.Call):
            return self._call(expr, module, function)
        return set()

    def _f_string(self, expr: ast.JoinedStr, module: str, function: Function | None) -> set[str]:
        parts: list[set[str]] = []
        for part in expr.values:
            if isinstance(part, ast.Constant):
                parts.append({str(part.value)})
            elif isinstance(part, ast.FormattedValue):
                parts.append(self.values(part.value, module, function) or {"*"})
        return {"".join(p) for p in itertools.product(*parts)}

    def _name(self, name: str, module: str, function: Function | None) -> set[str]:
        if function is not None:
            params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
            keyword_only = [a.arg for a in function.args.kwonlyargs]
            if name in params or name in keyword_only:
                position = params.index(name) if name in params else None
                return self._arguments((module, function.name), name, position)
            assigned = set()
            for node in ast.walk(function):
                assigned |= self._assignments(node, name, module, function)
            if assigned:
                return assigned
        target = self._target(module, name)
        if isinstance(target, tuple):
            owner = self.modules[target[0]]
            return self.values(owner.assigned.get(target[1]), target[0], None)
        return set()

    def _assignments(self, node: ast.AST, name: str, module: str, function: Function) -> set[str]:
        if isinstance(node, ast.NamedExpr) and node.target.id == name:
            return self.values(node.value, module, function)
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            found: set[str] = set()
            for target, value in _pairs(_targets(node), node.value):
                if isinstance(target, ast.Name) and target.id == name:
                    found |= self.values(value, module, function)
            return found
        return set()

    def _arguments(self, callee: FunctionId, name: str, position: int | None) -> set[str]:
        found: set[str] = set()
        for call, called in self.callees:
            if called != callee:
                continue
            for keyword in call.node.keywords:
                if keyword.arg == name:
                    found |= self.values(keyword.value, call.module, call.function)
            args = call.node.args
            if (
                position is not None
                and position < len(args)
                and not any(isinstance(a, ast.Starred) for a in args[: position + 1])
            ):
                found |= self.values(args[position], call.module, call.function)
        return found

    def returns(self, callee: FunctionId) -> set[str]:
        module, name = callee
        function = self.modules[module].functions[name]
        found: set[str] = set()
        for node in ast.walk(function):
            if isinstance(node, ast.Return):
                found |= self.values(node.value, module, function)
        return found

    def _call(self, call: ast.Call, module: str, function: Function | None) -> set[str]:
        callee = self.callee(call, module)
        if callee == REASON_CODE and call.args:
            return self.values(call.args[0], module, function)
        if callee is not None:
            return self.returns(callee)
        return self._dict_get(call, module, function)

    def _dict_get(self, call: ast.Call, module: str, function: Function | None) -> set[str]:
        """A constant dict's `.get(key, default)`: any of its values, or the default."""
        func = call.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and len(call.args) == 2
            and isinstance(func.value, ast.Name)
        ):
            return set()
        target = self._target(module, func.value.id)
        if not isinstance(target, tuple):
            return set()
        table = self.modules[target[0]].assigned.get(target[1])
        if not isinstance(table, ast.Dict):
            return set()
        found = set().union(*(self.values(v, target[0], None) for v in table.values))
        return found | self.values(call.args[1], module, function)


def _targets(node: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return list(node.targets) if isinstance(node, ast.Assign) else [node.target]


def _pairs(targets: list[ast.expr], value: ast.expr) -> Iterator[tuple[ast.expr, ast.expr]]:
    """Each assigned name or attribute with its value (`a.x, a.y = 1, 2` aligned)."""
    for target in targets:
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            yield from zip(target.elts, value.elts, strict=False)
        else:
            yield target, value


def _code(recorded: str) -> str:
    """A recorded reason's code: what is before its detail (`smtp: 550 …`)."""
    return recorded.split(":", 1)[0].strip()


def recorded_codes() -> RecordedCodes:
    reader = _Reader()
    reasons: set[str] = set()
    kinds: set[str] = set()
    for call, callee in reader.callees:
        func = call.node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in LOGGERS
        ):
            continue  # a log line's reason= is not recorded
        for keyword in call.node.keywords:
            if keyword.arg in REASON_KEYWORDS:
                reasons |= reader.values(keyword.value, call.module, call.function)
            elif keyword.arg == "kind" and callee == TIMELINE_RECORD:
                kinds |= reader.values(keyword.value, call.module, call.function)
            elif keyword.arg in REASON_FUNCTION_KEYWORDS and isinstance(keyword.value, ast.Name):
                checker = reader.function(call.module, keyword.value.id)
                if checker is not None:
                    reasons |= reader.returns(checker)
            elif keyword.arg in REASON_FUNCTION_KEYWORDS and isinstance(keyword.value, ast.Call):
                # A checker built by a factory (the engine's default guard): what the function
                # it returns returns, read from the factory's body.
                factory = reader.callee(keyword.value, call.module)
                if factory is not None:
                    reasons |= reader.returns(factory)
    for module, node, function in reader.nodes:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            for target, value in _pairs(_targets(node), node.value):
                if isinstance(target, ast.Attribute) and target.attr in REASON_ATTRIBUTES:
                    reasons |= reader.values(value, module, function)
    return RecordedCodes(reasons={_code(r) for r in reasons}, kinds={_code(k) for k in kinds})
