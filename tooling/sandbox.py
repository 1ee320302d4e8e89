"""The bounded sandbox for dossier prose, and where its errors stand in the source.

Prose inside a dossier (letter bodies, FAQ answers, leaflet text, summaries) is rendered as a
Jinja template. Jinja's `ImmutableSandboxedEnvironment` keeps it from reaching Python
internals or changing data, but not from asking for unbounded work: ``{{ 'a' * 10**9 }}``,
``{{ 10 ** (10 ** 10) }}``, ``{% for i in range(10**9) %}``, a macro that calls itself twice
per level. `BoundedSandbox` refuses these before they cost memory or time, within the limits
documented below (and in docs/security.md). Every failure of prose becomes a `TemplateError`
that points at the line, and where it can be found the column, of the prose in its file.

How the bounds are enforced:

- arithmetic: ``**``, ``*``, ``//``, ``%`` and ``+`` are intercepted (`call_binop`) and checked
  before they run (exponent, digits of the result, length of repeated or joined sequences,
  widths in ``%`` formats);
- calls: every call from prose goes through `call`: ``range()`` is bounded, macro nesting is
  counted, string methods that pad, replace or join are checked before they run, and the
  clock is read;
- filters: every filter is wrapped (`_checked_filter`) with the same checks;
- output: the template's tree is rewritten when it is compiled (`_Bounder`) so that every
  piece of output, including what macros and ``{% set %}`` blocks capture, is counted; every
  ``{% for %}`` loop counts its iterations and reads the clock; ``~`` is checked like ``+``;
- the render itself runs through `jinja2.Template.generate` and counts what it yields.

Limits hold per render (one prose text); `render_sandboxed` keeps the counters in a
context variable, so renders in several threads do not share them.
"""

from __future__ import annotations

import contextvars
import math
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

from tooling.diagnostics import DossierError, Location

__all__ = [
    "MAX_EXPONENT",
    "MAX_INT_DIGITS",
    "MAX_LOOP_ITERATIONS",
    "MAX_MACRO_DEPTH",
    "MAX_OUTPUT_CHARS",
    "MAX_RANGE_ITEMS",
    "MAX_SEQUENCE_ITEMS",
    "TIME_BUDGET_SECONDS",
    "BoundedSandbox",
    "TemplateError",
    "Where",
    "render_sandboxed",
    "where_in_file",
    "where_of",
]

MAX_OUTPUT_CHARS = 1_000_000
"""Characters one prose text may produce, counting what macros and ``{% set %}`` capture.

A letter body is a few thousand characters; a million is far beyond any real text and still
small in memory. Strings built by ``+`` or ``~`` are held to the same limit.
"""

MAX_SEQUENCE_ITEMS = 100_000
"""Longest string or list that ``*`` (repetition) may make, and the widest padding.

Also the largest width or precision in a ``%`` or ``format`` specification, and the largest
width given to ``center``, ``ljust``, ``rjust``, ``zfill`` or to the ``center``, ``slice`` and
``batch`` filters.
"""

MAX_EXPONENT = 100
"""Largest exponent of ``**`` between whole numbers (``10 ** 100`` is a googol)."""

MAX_INT_DIGITS = 4_000
"""Most decimal digits a whole number computed by ``**`` or ``*`` may have.

Python refuses to print integers of more than 4,300 digits; computing them is already the
slow part, so they are refused before.
"""

MAX_RANGE_ITEMS = 10_000
"""Most numbers ``range()`` may give (Jinja's own sandbox allows 100,000)."""

MAX_MACRO_DEPTH = 50
"""How deep macros may call macros (recursion); real prose nests two or three."""

MAX_LOOP_ITERATIONS = 1_000_000
"""Iterations of all ``{% for %}`` loops of one render together."""

TIME_BUDGET_SECONDS = 2.0
"""Wall-clock time one render may take; checked at every call, operator, loop iteration
and piece of output. Rendering a real letter takes about a millisecond."""

Where = Callable[[int, int], Location]
"""Maps a (line, column) of the prose text, both 1-based (column 0: unknown), to the file."""


class TemplateError(DossierError):
    """A template or a prose template failed; carries the file and line."""


class _LimitExceeded(Exception):
    """A limit of the sandbox was reached; ``needle`` is text to look for on the line."""

    def __init__(self, message: str, needle: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.needle = needle


@dataclass(slots=True)
class _Budget:
    """What one render has used so far."""

    deadline: float
    output: int = 0
    iterations: int = 0
    macro_depth: int = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise _LimitExceeded(
                f"rendering took longer than {TIME_BUDGET_SECONDS:g} seconds; "
                "the prose asks for too much work"
            )


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "prose_budget", default=None
)


def _tick() -> _Budget | None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()
    return budget


# -- sizes ----------------------------------------------------------------------------------


def _weight(value: Any, limit: int = MAX_OUTPUT_CHARS) -> int:
    """About how many characters ``str(value)`` has, counting no further than past ``limit``.

    Strings count their length, lists, tuples, sets and dicts their items and what is in
    them; other objects (the dossier's) count 1, their text is counted when it is output.
    Nested lists can make a small template stand for an enormous text; this walks them
    without recursion and stops as soon as the limit is passed.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        else:
            total += 1
        if total > limit:
            return total
    return total


def _check_text(value: Any, what: str, needle: str = "") -> None:
    """Refuse a value whose text would be longer than `MAX_OUTPUT_CHARS`."""
    if _weight(value) > MAX_OUTPUT_CHARS:
        raise _LimitExceeded(f"{what} would be longer than {MAX_OUTPUT_CHARS:,} characters", needle)


def _check_width(width: Any, what: str, needle: str = "") -> None:
    if isinstance(width, int) and width > MAX_SEQUENCE_ITEMS:
        raise _LimitExceeded(
            f"{what} of {width:,} is more than the {MAX_SEQUENCE_ITEMS:,} allowed", needle
        )


def _check_power(base: Any, exponent: Any) -> None:
    if not (isinstance(base, int) and isinstance(exponent, int)) or exponent <= 0:
        return  # floats overflow or round quickly; negative exponents give floats
    if exponent > MAX_EXPONENT:
        raise _LimitExceeded(
            f"exponent {exponent:,} is larger than the {MAX_EXPONENT} allowed", "**"
        )
    if abs(base) > 1 and exponent * math.log10(abs(base)) > MAX_INT_DIGITS:
        raise _LimitExceeded(
            f"the result of ** would have more than {MAX_INT_DIGITS:,} digits", "**"
        )


def _digits(number: int) -> float:
    return number.bit_length() * math.log10(2)


def _check_times(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if _digits(left) + _digits(right) > MAX_INT_DIGITS:
            raise _LimitExceeded(
                f"the result of * would have more than {MAX_INT_DIGITS:,} digits", "*"
            )
        return
    count, sequence = (left, right) if isinstance(left, int) else (right, left)
    if not isinstance(count, int) or not isinstance(sequence, str | list | tuple):
        return
    if len(sequence) * count > MAX_SEQUENCE_ITEMS:
        kind = "string" if isinstance(sequence, str) else "list"
        raise _LimitExceeded(
            f"repeating a {kind} of length {len(sequence):,} {count:,} times gives more than the "
            f"{MAX_SEQUENCE_ITEMS:,} items allowed",
            "*",
        )
    if (
        count > 0
        and isinstance(sequence, list | tuple)
        and _weight(sequence) * count > MAX_OUTPUT_CHARS
    ):
        raise _LimitExceeded(
            f"repeating this list {count:,} times would stand for more than "
            f"{MAX_OUTPUT_CHARS:,} characters",
            "*",
        )


def _check_plus(left: Any, right: Any) -> None:
    if (
        isinstance(left, str | list | tuple)
        and isinstance(right, str | list | tuple)
        and _weight(left) + _weight(right) > MAX_OUTPUT_CHARS
    ):
        raise _LimitExceeded(
            f"joining these would give more than {MAX_OUTPUT_CHARS:,} characters", "+"
        )


# A printf-style conversion: %(name)-08.3f; width and precision are the numbers or `*`.
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.DOTALL)
_NUMBER = re.compile(r"\d+")


def _check_printf(template: str, values: Any, needle: str) -> None:
    """Refuse ``'%0999999999d' % 1`` and the like before Python pads a gigabyte."""
    starred = False
    for match in _PRINTF.finditer(template):
        for part in match.group(1, 2):
            if part == "*":
                starred = True
            elif part is not None:
                _check_width(int(part), "a width or precision in a % format", needle)
    if starred:  # widths come from the values
        for value in values if isinstance(values, tuple) else (values,):
            _check_width(value, "a width or precision in a % format", needle)
    _check_text(values, "the values of this % format", needle)


def _check_format(template: str, args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse ``'{:>999999999}'.format(1)`` and the like before Python pads a gigabyte."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # str.format raises the same error, with its own message
    for _, _, spec, _ in fields:
        for number in _NUMBER.findall(spec or ""):
            _check_width(int(number), "a width or precision in a format", "format")
    _check_text([*args, *kwargs.values()], "the values of this format", "format")


def _check_replace(text: str, old: Any, new: Any, count: Any, needle: str) -> None:
    if not (isinstance(old, str) and isinstance(new, str)):
        return
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    if len(text) + found * max(0, len(new) - len(old)) > MAX_OUTPUT_CHARS:
        raise _LimitExceeded(
            f"this replace would give more than {MAX_OUTPUT_CHARS:,} characters", needle
        )


def _check_join(separator: Any, items: Any, needle: str) -> None:
    if isinstance(items, list | tuple):
        size = _weight(items) + len(str(separator)) * len(items)
        if size > MAX_OUTPUT_CHARS:
            raise _LimitExceeded(
                f"this join would give more than {MAX_OUTPUT_CHARS:,} characters", needle
            )


def _check_str_method(name: str, text: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Checks for the string methods that can make a long string from a short one."""
    first = args[0] if args else None
    if name in ("center", "ljust", "rjust", "zfill"):
        _check_width(kwargs.get("width", first), f"the width of {name}()", name)
    elif name == "expandtabs":
        size = kwargs.get("tabsize", first)
        if isinstance(size, int) and len(text) + text.count("\t") * size > MAX_OUTPUT_CHARS:
            raise _LimitExceeded(
                f"expandtabs() would give more than {MAX_OUTPUT_CHARS:,} characters", name
            )
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        _check_replace(text, args[0], args[1], count, name)
    elif name == "join":
        _check_join(text, first, name)
    elif name in ("format", "format_map"):
        values = (first or {}) if name == "format_map" else kwargs
        _check_format(text, args if name == "format" else (), values)


def _check_result(value: Any, needle: str = "") -> None:
    if isinstance(value, str | list | tuple) and len(value) > MAX_OUTPUT_CHARS:
        raise _LimitExceeded(
            f"a value of more than {MAX_OUTPUT_CHARS:,} characters or items", needle
        )


# -- filters --------------------------------------------------------------------------------


def _check_filter(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Checks before a filter runs: its input's size, and arguments that multiply it."""
    needle = name
    _check_text(value, f"the input of the '{name}' filter", needle)

    def arg(position: int, keyword: str) -> Any:
        return args[position] if len(args) > position else kwargs.get(keyword)

    if name == "center":
        _check_width(arg(0, "width"), "the width of 'center'", needle)
    elif name in ("slice", "batch"):
        _check_width(arg(0, "slices" if name == "slice" else "linecount"), f"'{name}'", needle)
    elif name == "indent" and isinstance(value, str):
        width = arg(0, "width")
        pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 4
        if len(value) + pad * (value.count("\n") + 1) > MAX_OUTPUT_CHARS:
            raise _LimitExceeded(
                f"'indent' would give more than {MAX_OUTPUT_CHARS:,} characters", needle
            )
    elif name == "replace" and isinstance(value, str):
        _check_replace(value, arg(0, "old"), arg(1, "new"), arg(2, "count"), needle)
    elif name == "join":
        _check_join(arg(0, "d") or "", value, needle)
    elif name == "format" and isinstance(value, str):
        _check_printf(value, args, needle)
        _check_text(kwargs, "the values of this format", needle)


def _checked_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` as a filter that reads the clock and checks sizes before and after it runs.

    The wrapper takes the template context, which also keeps Jinja from running the
    filter while it compiles (it folds constant expressions, and a constant
    ``'a' | center(10**9)`` would otherwise be built before any check).
    """
    passes = getattr(getattr(func, "jinja_pass_arg", None), "name", None)

    @jinja2.pass_context
    def checked(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        _check_filter(name, value, args, kwargs)
        if passes == "context":
            result = func(context, value, *args, **kwargs)
        elif passes == "eval_context":
            result = func(context.eval_ctx, value, *args, **kwargs)
        elif passes == "environment":
            result = func(context.environment, value, *args, **kwargs)
        else:
            result = func(value, *args, **kwargs)
        _check_result(result, needle=name)
        return result

    checked.__name__ = checked.__qualname__ = f"checked_{name}"
    checked.__doc__ = func.__doc__
    checked.checked_filter = func  # type: ignore[attr-defined]  # marks it as wrapped
    return checked


class _CheckedFilters(dict[str, Callable[..., Any]]):
    """The environment's filters: each one wrapped by `_checked_filter` as it is added.

    Filters that call other filters by name (``map('center', 9)``) look them up here too,
    so they get the checked ones.
    """

    def __setitem__(self, name: str, func: Callable[..., Any]) -> None:
        if not hasattr(func, "checked_filter") and name not in _INTERNAL_FILTERS:
            func = _checked_filter(name, func)
        super().__setitem__(name, func)

    def update(self, *others: Any, **more: Callable[..., Any]) -> None:
        for name, func in dict(*others, **more).items():
            self[name] = func


# -- the compiled template's hooks ---------------------------------------------------------


@jinja2.pass_context
def _emit(context: Context, value: Any) -> str:
    """Output passes here: count it, and refuse to print an enormous value.

    Every ``{{ }}`` value, and literal text that can repeat (in loops, macros and blocks);
    literal text at the top of a template is counted by `render_sandboxed` as it is yielded.
    """
    budget = _tick()
    if not isinstance(value, str):
        _check_text(value, "a printed value")
        value = str(value)
    text: str = value
    if budget is not None:
        budget.output += len(text)
        if budget.output > MAX_OUTPUT_CHARS:
            raise _LimitExceeded(
                f"the prose produces more than {MAX_OUTPUT_CHARS:,} characters "
                "(counting what macros and set blocks build)"
            )
    return text


@jinja2.pass_context
def _loop(context: Context, iterable: Any) -> Any:
    """What a ``{% for %}`` loop iterates over, counted and timed item by item."""
    budget = _BUDGET.get()
    if budget is None:
        return iterable
    return _counted(iterable, budget)


def _counted(iterable: Any, budget: _Budget) -> Iterator[Any]:
    for item in iterable:
        budget.iterations += 1
        if budget.iterations > MAX_LOOP_ITERATIONS:
            raise _LimitExceeded(
                f"loops ran more than {MAX_LOOP_ITERATIONS:,} times in one text", "for"
            )
        budget.tick()
        yield item


@jinja2.pass_context
def _concat(context: Context, parts: list[Any]) -> str:
    """``a ~ b``: checked like ``+`` before the parts are turned into text."""
    _tick()
    _check_text(parts, "joining these with ~", "~")
    return "".join(str(part) for part in parts)


_INTERNAL_FILTERS = {"_bounded_emit": _emit, "_bounded_loop": _loop, "_bounded_concat": _concat}


# Statements whose body can run more than once, or whose output is captured: literal text
# inside them is counted as it is produced (see `_emit`).
_REPEATING = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.AssignBlock)


def _bound(template: nodes.Template, env: jinja2.Environment) -> None:
    """Rewrite a parsed template so output, loops and ``~`` pass the internal filters.

    ``{{ }}`` values, and literal text inside loops, macros and captured blocks, pass
    ``_bounded_emit``; every ``{% for %}`` iterates through ``_bounded_loop``; every
    ``a ~ b`` becomes ``_bounded_concat``. Literal text at the top level is left as it is, so
    Jinja still joins it at compile time. A plain walk over the fields: Jinja's
    NodeTransformer takes three times as long, and this runs for every prose text compiled.
    """

    def hook(node: nodes.Node, name: str) -> nodes.Filter:
        return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno, environment=env)

    def replaced(child: nodes.Node) -> nodes.Node:
        if isinstance(child, nodes.Concat):
            values = nodes.List(child.nodes, lineno=child.lineno, environment=env)
            return hook(values, "_bounded_concat")
        return child

    stack: list[tuple[nodes.Node, bool]] = [(template, False)]
    while stack:
        node, repeating = stack.pop()
        inner = repeating or isinstance(node, _REPEATING)
        for field in node.fields:
            value = getattr(node, field, None)
            if isinstance(value, nodes.Node):
                setattr(node, field, replaced(value))
                stack.append((value, inner))
            elif isinstance(value, list):
                value[:] = [replaced(v) if isinstance(v, nodes.Node) else v for v in value]
                stack.extend((v, inner) for v in value if isinstance(v, nodes.Node))
        if isinstance(node, nodes.Output):
            node.nodes = [
                child
                if isinstance(child, nodes.TemplateData) and not repeating
                else hook(child, "_bounded_emit")
                for child in node.nodes
            ]
        elif isinstance(node, nodes.For):
            node.iter = hook(node.iter, "_bounded_loop")


class _ProseUndefined(jinja2.StrictUndefined):
    """Strict, and when a key is missing from a mapping, the message names the known keys."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        owner = self._undefined_obj
        name = self._undefined_name
        if isinstance(owner, Mapping) and self._undefined_hint is None:
            known = sorted(str(key) for key in owner)
            shown = ", ".join(known[:40]) + (", ..." if len(known) > 40 else "")
            return f"no {name!r} here (known: {shown or 'none'})"
        message: str = super()._undefined_message
        return message


_COMPILED_MAX = 512  # prose texts kept compiled per sandbox


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the limits of this module.

    Use `render_sandboxed` to render: the output, loop, time and macro-depth limits are
    counted per render there. Templates rendered otherwise still have the operator,
    ``range()``, string-method and filter checks.
    """

    intercepted_binops = frozenset({"**", "*", "//", "%", "+"})

    def __init__(self, **options: Any) -> None:
        options.setdefault("undefined", _ProseUndefined)
        super().__init__(**options)
        checked = _CheckedFilters()
        checked.update(self.filters)  # Jinja's own filters, wrapped like the ones added later
        dict.update(checked, _INTERNAL_FILTERS)
        self.filters = checked
        self.globals.pop("lipsum", None)  # lorem ipsum has no place in prose, and loops in C
        self._compiled: dict[str, jinja2.Template] = {}

    def compiled(self, text: str) -> jinja2.Template:
        """``text`` compiled, remembered: the check, the documents and the site render the
        same prose, and compiling takes far longer than rendering."""
        template = self._compiled.get(text)
        if template is None:
            template = self.from_string(text)
            if len(self._compiled) >= _COMPILED_MAX:
                self._compiled.pop(next(iter(self._compiled)))  # the oldest
            self._compiled[text] = template
        return template

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        template = super()._parse(source, name, filename)
        _bound(template, self)
        return template

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """``**``, ``*``, ``//``, ``%`` and ``+``, refused when the result would be huge."""
        _tick()
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_times(left, right)
        elif operator == "+":
            _check_plus(left, right)
        elif operator == "%" and isinstance(left, str):
            _check_printf(left, right, "%")
        result = super().call_binop(context, operator, left, right)
        _check_result(result, operator)
        return result

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Every call from prose: ``range()``, macros and string methods are checked."""
        budget = _tick()
        if obj is safe_range or obj is range:
            _check_range(args)
        elif isinstance(obj, Macro):
            if budget is not None:
                budget.macro_depth += 1
                try:
                    if budget.macro_depth > MAX_MACRO_DEPTH:
                        raise _LimitExceeded(
                            f"macros call macros more than {MAX_MACRO_DEPTH} deep "
                            "(a macro that calls itself without end?)",
                            obj.name,
                        )
                    return super().call(context, obj, *args, **kwargs)
                finally:
                    budget.macro_depth -= 1
        else:
            method = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
            owner = getattr(method, "__self__", None)
            if isinstance(owner, str) and callable(method):
                _check_str_method(getattr(method, "__name__", ""), owner, args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        _check_result(result)
        return result


def _check_range(args: tuple[Any, ...]) -> None:
    try:
        count = len(range(*args))
    except (TypeError, ValueError, OverflowError):
        return  # range() raises the same, with its own message
    if count > MAX_RANGE_ITEMS:
        raise _LimitExceeded(
            f"range() of {count:,} numbers; at most {MAX_RANGE_ITEMS:,} are allowed", "range"
        )


# -- rendering and locations ----------------------------------------------------------------


def where_in_file(path: str) -> Where:
    """Positions in prose that is a whole file: the prose's line and column are the file's."""
    return lambda line, column: Location(path, line, column)


def where_of(location: Location | Where) -> Where:
    """A `Where` for callers that give one Location (the prose's file, or its YAML value).

    A Location at line 1 or without a line is a whole file; any other Location is where
    the prose starts inside a file, which is all that can be said for errors in it.
    """
    if callable(location):
        return location
    if location.line <= 1:
        path = location.path
        return lambda line, column: Location(path, line, column) if line else location
    return lambda line, column: location


def render_sandboxed(
    env: jinja2.Environment,
    text: str,
    context: Mapping[str, Any],
    location: Location | Where,
) -> str:
    """Render prose in ``env`` (a `BoundedSandbox`) within the limits of this module.

    Args:
        env: The sandbox, as `tooling.templating.sandbox` gives it.
        text: The prose, a Jinja template.
        context: What the prose may use (`tooling.templating.prose_context`).
        location: Where the prose stands: a `Where` that maps its (line, column) to the
            file, or one Location (see `where_of`).

    Returns:
        The rendered text.

    Raises:
        TemplateError: The prose has a syntax error, uses something that does not exist,
            fails (division by zero, an unknown indication...) or exceeds a limit; the
            location is the line, and where it can be found the column, of the cause.
    """
    where = where_of(location)
    budget = _Budget(time.monotonic() + TIME_BUDGET_SECONDS)
    token = _BUDGET.set(budget)
    try:
        return _render(env, text, context, budget)
    except jinja2.TemplateSyntaxError as exc:
        line = exc.lineno or 0
        column = _syntax_column(text, line, exc.message or "")
        raise TemplateError(f"template syntax: {exc.message}", where(line, column)) from None
    except jinja2.UndefinedError as exc:
        line = _template_line(exc) or 0
        message = exc.message or "undefined"
        raise TemplateError(
            f"template uses something that does not exist: {message}",
            where(line, _column(text, line, _quoted(message, last=True))),
            hint="see the prose context in docs/dossier-format.md",
        ) from None
    except _LimitExceeded as exc:
        line = _template_line(exc) or 0
        raise TemplateError(
            f"template exceeds a limit: {exc.message}",
            where(line, _column(text, line, exc.needle)),
            hint="see 'Prose sandbox limits' in docs/security.md",
        ) from None
    except Exception as exc:  # prose is code written by users: no traceback for its failure
        line = _template_line(exc) or 0
        message = _failure(exc)
        if isinstance(exc, ZeroDivisionError):  # the leftmost division on the line
            found = [_column(text, line, op) for op in ("/", "%", "divisibleby")]
            column = min((c for c in found if c), default=0)
        else:
            column = _column(text, line, _quoted(message))
        raise TemplateError(f"template failed: {message}", where(line, column)) from None
    finally:
        _BUDGET.reset(token)


def _render(env: jinja2.Environment, text: str, context: Mapping[str, Any], budget: _Budget) -> str:
    parts: list[str] = []
    size = 0
    template = env.compiled(text) if isinstance(env, BoundedSandbox) else env.from_string(text)
    chunks = template.generate(context)
    close = getattr(chunks, "close", None)  # a generator: end it at once when refused
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise _LimitExceeded(
                    f"the prose produces more than {MAX_OUTPUT_CHARS:,} characters"
                )
            budget.tick()
            parts.append(chunk)
    finally:
        if close is not None:
            close()
    return "".join(parts)


def _failure(exc: Exception) -> str:
    """What went wrong, in words for the writer of the prose."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])  # prose_context's lookups say which ids are known
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, RecursionError):
        return "nested too deeply (macros calling macros, or brackets in brackets)"
    if isinstance(exc, TypeError) and "no loader" in str(exc):
        return "prose cannot include, import or extend other templates"
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, OverflowError):
        return "a number is too large"
    if isinstance(exc, SecurityError):
        return f"not allowed in dossier prose: {exc}"
    return str(exc) or type(exc).__name__


def _template_line(exc: BaseException) -> int | None:
    """The template line an exception came from (Jinja maps template frames to their lines)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


# -- columns: Jinja reports lines only ------------------------------------------------------

_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")
_UNEXPECTED_CHAR = re.compile(r"unexpected char .+ at (\d+)$")
_SYNTAX_TOKEN = re.compile(
    r"(?:got|unexpected|unknown tag|[Nn]o filter named|[Nn]o test named) '([^']+)'"
)
# Template tags on a line: {{ ... }} and {% ... %}, or up to the line's end when not closed.
_TAG = re.compile(r"\{[{%].*?(?:[}%]\}|$)")
_DELIMITERS = ("{{", "}}", "{%", "%}", "{#", "#}")
_MACRO_NAME = re.compile(r"\bmacro\s+$")


def _lines(text: str) -> list[str]:
    """The template's lines as Jinja counts them (``\\r\\n``, ``\\r`` and ``\\n`` end a line)."""
    return re.split(r"\r\n|\r|\n", text)


def _quoted(message: str, *, last: bool = False) -> str:
    found: list[str] = [a or b for a, b in _QUOTED.findall(message)]
    if not found:
        return ""
    return found[-1] if last else found[0]


def _syntax_column(text: str, line: int, message: str) -> int:
    """The column of the token a syntax error is about, 0 when it cannot be found."""
    char = _UNEXPECTED_CHAR.search(message)
    if char is not None:  # the lexer gives the offset in the template, newlines as \n
        offset = int(char.group(1))
        normalised = "\n".join(_lines(text))
        if offset <= len(normalised):
            return offset - (normalised.rfind("\n", 0, offset) + 1) + 1
    token = _SYNTAX_TOKEN.search(message)
    if token is None:
        return 0
    return _column(text, line, token.group(1), avoid_delimiters=True)


def _column(text: str, line: int, needle: str, *, avoid_delimiters: bool = False) -> int:
    """The 1-based column of ``needle`` on ``line`` of the template, 0 when not found.

    Template tags on the line are searched first, so a word that also occurs in the prose
    around them is found where the template uses it. A name only matches as a whole word.
    """
    lines = _lines(text)
    if not needle or not 1 <= line <= len(lines):
        return 0
    source = lines[line - 1]
    if needle.isidentifier():
        pattern = re.compile(rf"(?<![\w]){re.escape(needle)}(?![\w])")
    else:
        pattern = re.compile(re.escape(needle))
    spans = [(m.start(), m.end()) for m in _TAG.finditer(source)] + [(0, len(source))]
    for start, end in spans:
        for match in pattern.finditer(source, start, end):
            at = match.start()
            if avoid_delimiters and _in_delimiter(source, at, len(needle)):
                continue
            if _MACRO_NAME.search(source, 0, at):  # where a macro is defined, not used
                continue
            return at + 1
    return 0


def _in_delimiter(source: str, at: int, length: int) -> bool:
    """Whether the text at ``at`` is part of a ``{{ }}``, ``{% %}`` or ``{# #}`` delimiter."""
    for delimiter in _DELIMITERS:
        for offset in range(-len(delimiter) + 1, length):
            start = at + offset
            if start >= 0 and source.startswith(delimiter, start):
                return True
    return False
