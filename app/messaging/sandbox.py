"""The sandbox merchant templates run in, with a budget. Jinja2's ImmutableSandboxedEnvironment
keeps a template from reaching Python's internals or changing the data it is given; it does
not bound what a template costs, and a render is plain Python that no one can interrupt from
outside its thread. So every place where a template can spend time or memory is counted here
and checked against the render's budget:

- every call, attribute and item lookup, and every turn of every `for` loop is a tick, and
  a tick past the deadline aborts the render (`{% for i in range(100000) %}{% for j in
  range(1000) %}…` stops at the deadline, not after 10⁸ turns);
- `range` is capped, the operators that multiply a size (`*`, `**`, `+`, `~`, `%`) and the
  filters that do (`center`, `indent`, `replace`, `join`, `format`, `batch`, `slice`) refuse
  a result over the output cap before making it;
- str methods are limited to a list that cannot blow a value up (`ljust`, `zfill`,
  `expandtabs`, `translate`, `format` are not on it), and `lipsum` is gone;
- the output is counted as it is produced.

A render's budget lives in a context variable set by the thread that renders (see
templates.py), so the environments themselves are shared and immutable."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes, pass_eval_context
from jinja2.filters import (
    do_batch,
    do_center,
    do_format,
    do_indent,
    do_join,
    do_replace,
    do_slice,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from app.i18n import Text

# How long one message (subject, HTML and text together) may take to render.
TIME_BUDGET_SECONDS = 1.0
# The most characters a rendered part, or any value a template builds, may hold.
MAX_OUTPUT_CHARS = 1_000_000
# The most items `range` may give (Jinja2's own cap is 100,000).
MAX_RANGE = 10_000
# The most digits an integer a template computes may have.
MAX_INT_DIGITS = 1_000
# A `%` width or precision above this is a way to allocate, not to lay out text.
_MAX_FORMAT_WIDTH = 1_000
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
# Yield the GIL to the event loop's thread this often (in ticks): a render in a thread then
# delays the requests the loop serves by microseconds, not by the 5 ms switch interval.
_YIELD_EVERY = 64

_STR_METHODS = frozenset(
    {
        "capitalize",
        "casefold",
        "count",
        "endswith",
        "find",
        "isalnum",
        "isalpha",
        "isdigit",
        "islower",
        "isnumeric",
        "isspace",
        "istitle",
        "isupper",
        "join",
        "lower",
        "lstrip",
        "partition",
        "replace",
        "rfind",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
        # Markup's own
        "escape",
        "striptags",
        "unescape",
    }
)
_MAPPING_METHODS = frozenset({"items", "keys", "values", "get"})


class RenderLimit(Exception):
    """The template asked for more than its budget; the text names the limit."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def too_slow() -> RenderLimit:
    return RenderLimit(
        Text(
            en=f"it needs more than {TIME_BUDGET_SECONDS:g} s to render (the limit is "
            f"{TIME_BUDGET_SECONDS:g} s per message): make its loops shorter",
            fr=f"son rendu demande plus de {TIME_BUDGET_SECONDS:g} s (la limite est de "
            f"{TIME_BUDGET_SECONDS:g} s par message) : raccourcissez ses boucles",
        )
    )


def too_big() -> RenderLimit:
    return RenderLimit(
        Text(
            en=f"it produces more than {MAX_OUTPUT_CHARS:,} characters (the limit of a "
            "rendered part or of any value it builds)",
            fr=f"il produit plus de {MAX_OUTPUT_CHARS:,} caractères (la limite d'une partie "
            "rendue ou de toute valeur qu'il construit)".replace(",", " "),
        )
    )


def _too_long_range() -> RenderLimit:
    return RenderLimit(
        Text(
            en=f"range() gives at most {MAX_RANGE:,} numbers",
            fr=f"range() donne au plus {MAX_RANGE:,} nombres".replace(",", " "),
        )
    )


def _too_many_digits() -> RenderLimit:
    return RenderLimit(
        Text(
            en=f"a number it computes has more than {MAX_INT_DIGITS:,} digits",
            fr=f"un nombre qu'il calcule a plus de {MAX_INT_DIGITS:,} chiffres".replace(",", " "),
        )
    )


@dataclass
class Budget:
    """What one render may still spend."""

    deadline: float
    ticks: int = 0
    produced: int = field(default=0)

    def tick(self) -> None:
        self.ticks += 1
        if time.monotonic() > self.deadline:
            raise too_slow()
        if self.ticks % _YIELD_EVERY == 0:
            time.sleep(0)

    def output(self, chars: int) -> None:
        self.produced += chars
        if self.produced > MAX_OUTPUT_CHARS:
            raise too_big()


def new_budget() -> Budget:
    return Budget(deadline=time.monotonic() + TIME_BUDGET_SECONDS)


BUDGET: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def _tick() -> None:
    budget = BUDGET.get()
    if budget is not None:
        budget.tick()


def _sized(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_OUTPUT_CHARS:
        raise too_big()
    return value


def _check_int(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > MAX_INT_DIGITS * 3.33:
        raise _too_many_digits()
    return value


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple) else None


def _checked_percent(template: Any) -> None:
    """Refuse a `%` format whose widths or precisions would allocate."""
    if not isinstance(template, str):
        return
    for spec in _PERCENT_SPEC.finditer(template):
        for number in spec.groups():
            if number == "*" or (number is not None and int(number) > _MAX_FORMAT_WIDTH):
                raise too_big()


_BRACE_FIELD = re.compile(r"\{([^{}]*)\}")
_NESTED_FIELD = re.compile(r"\{[^}]*\{")


def _checked_brace_format(template: str) -> None:
    """Refuse a str.format template whose widths would allocate, or whose widths come
    from its arguments (a nested field)."""
    if _NESTED_FIELD.search(template):
        raise too_big()
    for field_ in _BRACE_FIELD.finditer(template):
        _, _, spec = field_.group(1).partition(":")
        if any(int(n) > _MAX_FORMAT_WIDTH for n in re.findall(r"\d+", spec)):
            raise too_big()


def _safe_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise _too_long_range()
    return numbers


def _guarded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = BUDGET.get()
    for item in iterable:
        if budget is not None:
            budget.tick()
        yield item


class _LoopsAndJoinsCounted(NodeTransformer):
    """Every `for` iterates through a ticking iterator; every `~` is size-checked."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Call(
            nodes.EnvironmentAttribute("guarded_iter"), [node.iter], [], None, None
        )
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(nodes.EnvironmentAttribute("sized"), [node], [], None, None)


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment whose every costly step is counted (module docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _safe_range
        self.globals.pop("lipsum", None)
        self.filters.update(
            center=_center,
            indent=_indent,
            replace=_replace,
            join=_join,
            format=_format,
            batch=_batch,
            slice=_slice,
        )

    # Called from compiled templates (the nodes _LoopsAndJoinsCounted adds).
    def guarded_iter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        return _guarded_iter(iterable)

    def sized(self, value: Any) -> Any:
        return _sized(value)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        counted = _LoopsAndJoinsCounted().visit(tree)
        assert isinstance(counted, nodes.Template)  # noqa: S101  (a transformer keeps the root)
        return counted

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _checked_brace_format(value.__self__)
        return wrapped

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if not callable(value):
            return True
        if isinstance(obj, str):
            return attr in _STR_METHODS
        if isinstance(obj, dict):
            return attr in _MAPPING_METHODS
        return not isinstance(obj, list | tuple | set | frozenset | int | float | bytes)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        args = _checked_str_method(__obj, args)
        return _sized(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "*":
            _check_repeat(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "%":
            _checked_percent(left)
        return _check_int(_sized(super().call_binop(context, operator, left, right)))


def _check_repeat(left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        size = _length(seq)
        if size is not None and isinstance(times, int) and size * times > MAX_OUTPUT_CHARS:
            raise too_big()
    both_ints = isinstance(left, int) and isinstance(right, int)
    if both_ints and left.bit_length() + right.bit_length() > MAX_INT_DIGITS * 3.33:
        raise _too_many_digits()


def _check_power(base: Any, exponent: Any) -> None:
    growing = isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1
    if growing and exponent > 0 and exponent * math.log10(abs(base)) > MAX_INT_DIGITS:
        raise _too_many_digits()


def _checked_str_method(method: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """`replace` and `join` on a str can multiply its size: refuse before they do. The
    arguments to call with (a generator given to `join` is made a list to be measured)."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, str):
        return args
    name = getattr(method, "__name__", "")
    if name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1])
    elif name == "join" and len(args) == 1:
        items = _materialized(args[0])
        _check_join(owner, items)
        return (items,)
    return args


def _check_replace(value: str, old: Any, new: Any) -> None:
    if isinstance(old, str) and isinstance(new, str):
        count = value.count(old) if old else len(value) + 1
        if len(value) + count * len(new) > MAX_OUTPUT_CHARS:
            raise too_big()


def _materialized(items: Any) -> Any:
    """A generator (from `map`, `select`…) as a list, so its length can be checked: every
    iterable a template reaches is bounded (data it was given, a capped range)."""
    if isinstance(items, str | list | tuple | range | dict):
        return items
    try:
        return list(items)
    except TypeError:
        return items


def _check_join(separator: str, items: Any) -> None:
    sized = isinstance(items, str | list | tuple | range | dict)
    if sized and len(separator) * len(items) > MAX_OUTPUT_CHARS:
        raise too_big()


def _guard_filter(check: Callable[..., None], original: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        check(*args, **kwargs)
        return _sized(original(*args, **kwargs))

    return guarded


def _check_center(value: Any, width: Any = 80, *_: Any, **__: Any) -> None:
    if isinstance(width, int) and width > MAX_OUTPUT_CHARS:
        raise too_big()


def _check_indent(value: Any, width: Any = 4, *_: Any, **__: Any) -> None:
    per_line = width if isinstance(width, int) else len(str(width))
    if per_line * (str(value).count("\n") + 1) > MAX_OUTPUT_CHARS:
        raise too_big()


def _check_replace_filter(
    eval_ctx: Any, value: Any, old: Any, new: Any, count: Any = None, **_: Any
) -> None:
    _check_replace(str(value), str(old), str(new))


def _check_format_filter(value: Any, *args: Any, **kwargs: Any) -> None:
    _checked_percent(value)


def _check_count(value: Any, count: Any = 1, *_: Any, **__: Any) -> None:
    """`batch` pads its last batch up to `count` items and `slice` loops `count` times."""
    if isinstance(count, int) and count > MAX_RANGE:
        raise _too_long_range()


_center = _guard_filter(_check_center, do_center)
_indent = _guard_filter(_check_indent, do_indent)
_replace = pass_eval_context(_guard_filter(_check_replace_filter, do_replace))


@pass_eval_context
def _join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
    _tick()
    items = _materialized(value)
    _check_join(str(d), items)
    return _sized(do_join(eval_ctx, items, d, attribute))


_format = _guard_filter(_check_format_filter, do_format)
_batch = _guard_filter(_check_count, do_batch)
_slice = _guard_filter(_check_count, do_slice)

__all__ = [
    "BUDGET",
    "MAX_OUTPUT_CHARS",
    "MAX_RANGE",
    "TIME_BUDGET_SECONDS",
    "Budget",
    "BudgetedSandbox",
    "RenderLimit",
    "new_budget",
]
