"""Split a test into what the sandbox must run (the call) and what only the host may know (the
expected value and how to compare), so that verdicts are decided outside the candidate's reach.

A candidate shares its process with everything inside the sandbox: tokens, harness globals and
any expected value there can be found and forged. A split test sends only its input; the host
compares the plain value that comes back. Forms that split (everything else runs inside as
before, and is counted by `count_unsplittable`):

- ``assert E == LIT`` / ``assert LIT == E`` (LIT a literal: numbers, strings, tuples, lists,
  sets, dicts, None, bools, ``float('inf')``, ``set()``), ``assert E != LIT``,
  ``assert E in LIT`` / ``not in``, ``assert E < LIT`` (and ``<=``, ``>``, ``>=``, either side);
- ``assert E``, ``assert not E``, ``assert E is True|False|None``, ``assert E is not None``;
- ``assert math.isclose(E, LIT[, rel_tol=.., abs_tol=..])``, ``assert abs(E - LIT) < T``
  (``<=`` too; T a constant expression such as ``1e-6 * max(1.0, abs(2.5))``);
- a bare expression statement ``E`` (passes when it neither raises nor times out);
- several of the above in one test, with ``import`` lines as setup;
- call-style mappings ``{"args", "kwargs"?, "expected"?, "atol"?}`` and stdio mappings
  ``{"input", "output"?}``.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pat_graph.sandbox.base import Call, CallOutcome, ProblemKind, Test, TestOutcome
from pat_graph.sandbox.compare import decode_value, safe_repr, stdio_mismatch, values_equal
from pat_graph.sandbox.harness.plain import _plain, _Suspect

Op = Literal[
    "eq", "ne", "in", "not_in", "truthy", "falsy", "is", "is_not", "close", "abs_lt", "abs_le",
    "lt", "le", "gt", "ge", "ran", "stdio",
]  # fmt: skip
# `E < LIT` keeps its op; `LIT < E` is `E > LIT`.
_ORDER = {ast.Lt: ("lt", "gt"), ast.LtE: ("le", "ge"), ast.Gt: ("gt", "lt"), ast.GtE: ("ge", "le")}
_CMP = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}

_SHOW = 160


class NotLiteral(ValueError):
    """The expression is not a plain literal the host can evaluate without running code."""


@dataclass(frozen=True)
class Check:
    """How the host judges one call's output; `expected` never leaves the host."""

    op: Op
    expected: Any = None
    atol: float | None = None
    rtol: float = 0.0
    exact_sequences: bool = True
    source: str = ""


@dataclass(frozen=True)
class SplitTest:
    """One test as calls for the sandbox plus host-side checks (all must pass)."""

    calls: tuple[Call, ...]
    checks: tuple[Check, ...]


def parse_literal(node: ast.expr | str) -> Any:
    """`ast.literal_eval` plus the few spellings of values that are not literals in Python
    syntax (`float('inf')`, `set()`, `frozenset({..})`); raises NotLiteral otherwise."""
    if isinstance(node, str):
        try:
            return ast.literal_eval(node.strip())  # the common case, without the walk below
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
        try:
            node = ast.parse(node.strip(), mode="eval").body
        except SyntaxError as exc:
            raise NotLiteral(str(exc)) from None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name, args = node.func.id, node.args
        if name == "float" and len(args) == 1:
            arg = parse_literal(args[0])
            if isinstance(arg, str) and arg.strip().lower().lstrip("+-") in ("inf", "nan"):
                return float(arg)
        if name == "complex" and len(args) == 2:
            real, imag = parse_literal(args[0]), parse_literal(args[1])
            if type(real) in (int, float) and type(imag) in (int, float):
                return complex(real, imag)
        if name in ("set", "frozenset") and len(args) <= 1:
            items = parse_literal(args[0]) if args else ()
            if isinstance(items, (list, tuple, set, frozenset, str)):
                return set(items) if name == "set" else frozenset(items)
        raise NotLiteral(ast.unparse(node))
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLD:
        try:
            return _fold(node)
        except NotLiteral:
            pass  # complex literals (`-2+1j`) are BinOps too: literal_eval below reads them
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = parse_literal(node.operand)
        if type(inner) in (int, float, complex):
            return -inner if isinstance(node.op, ast.USub) else inner
        raise NotLiteral(ast.unparse(node))
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [parse_literal(e) for e in node.elts]
        kind = {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)]
        try:
            return kind(items)
        except TypeError as exc:
            raise NotLiteral(str(exc)) from None
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise NotLiteral("dict unpacking")
        pairs = zip(node.keys, node.values, strict=True)
        try:
            return {parse_literal(k): parse_literal(v) for k, v in pairs}  # type: ignore[arg-type]
        except TypeError as exc:
            raise NotLiteral(str(exc)) from None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise NotLiteral(ast.unparse(node)) from None


_FOLD = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}


def _fold(node: ast.BinOp) -> Any:
    """Constant arithmetic on numbers (`2.0 / 3.0`, `3 * 5 * 7`) and string concatenation, as
    test authors write expected values; no names, no calls, bounded sizes."""
    a, b = parse_literal(node.left), parse_literal(node.right)
    numbers = (int, float)
    if type(a) in numbers and type(b) in numbers:
        if isinstance(node.op, ast.Pow) and (abs(b) > 1000 or abs(a) > 10**6):
            raise NotLiteral("power too large to fold")
        try:
            return _FOLD[type(node.op)](a, b)
        except (ArithmeticError, ValueError) as exc:
            raise NotLiteral(str(exc)) from None
    if type(a) is str and type(b) is str and isinstance(node.op, ast.Add):
        return a + b
    raise NotLiteral(ast.unparse(node))


def _const_number(node: ast.expr) -> float:
    """A tolerance written as a constant expression: literals, + - * /, abs/max/min."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        a, b = _const_number(node.left), _const_number(node.right)
        ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
        if isinstance(node.op, ast.Div):
            if b == 0:
                raise NotLiteral("division by zero")
            return a / b
        return ops[type(node.op)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        fn = {"abs": abs, "max": max, "min": min}.get(node.func.id)
        if fn is not None and node.args:
            values = [_const_number(a) for a in node.args]
            return float(fn(values[0]) if fn is abs else fn(values))
    value = parse_literal(node)
    if type(value) not in (int, float):
        raise NotLiteral(ast.unparse(node))
    return float(value)


def _is_name(node: ast.expr, *names: str) -> bool:
    if isinstance(node, ast.Name):
        return node.id in names
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and f"{node.value.id}.{node.attr}" in names
    )


def _try_literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, parse_literal(node)
    except NotLiteral:
        return False, None


def _split_expr(test: ast.expr, source: str) -> tuple[ast.expr, Check] | None:
    """The expression the candidate must evaluate and the host-side check of its value."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        if isinstance(test.operand, (ast.Compare, ast.BoolOp)):
            return None
        return test.operand, Check("falsy", source=source)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(op, (ast.Is, ast.IsNot)):
            if isinstance(right, ast.Constant) and right.value in (None, True, False):
                name = "is" if isinstance(op, ast.Is) else "is_not"
                return left, Check(name, right.value, source=source)
            return None
        if isinstance(op, (ast.Eq, ast.NotEq)):
            for call, lit in ((left, right), (right, left)):
                ok, value = _try_literal(lit)
                if ok and not _try_literal(call)[0]:
                    name = "eq" if isinstance(op, ast.Eq) else "ne"
                    return call, Check(name, value, source=source)
            return None
        if isinstance(op, (ast.In, ast.NotIn)):
            ok, value = _try_literal(right)
            if ok and isinstance(value, (list, tuple, set, frozenset, dict)):
                name = "in" if isinstance(op, ast.In) else "not_in"
                return left, Check(name, list(value), source=source)
            return None
        if type(op) in _ORDER and not _is_abs_diff(left):
            for call, lit, which in ((left, right, 0), (right, left, 1)):
                ok, value = _try_literal(lit)
                if ok and not _try_literal(call)[0]:
                    return call, Check(_ORDER[type(op)][which], value, source=source)
            return None
        if isinstance(op, (ast.Lt, ast.LtE)) and _is_abs_diff(left):
            diff = left.args[0]  # type: ignore[attr-defined]
            try:
                tol = _const_number(right)
            except NotLiteral:
                return None
            for call, lit in ((diff.left, diff.right), (diff.right, diff.left)):
                ok, value = _try_literal(lit)
                if ok and type(value) in (int, float) and not _try_literal(call)[0]:
                    name = "abs_lt" if isinstance(op, ast.Lt) else "abs_le"
                    return call, Check(name, value, atol=tol, source=source)
        return None
    if isinstance(test, ast.Call) and _is_name(test.func, "math.isclose", "isclose"):
        return _split_isclose(test, source)
    if isinstance(test, (ast.BoolOp, ast.Compare)):
        return None
    return test, Check("truthy", source=source)


def _compares_inside(expr: ast.expr) -> bool:
    """A comparison inside the call would run next to the candidate's objects (whose __eq__ it
    controls) with whatever it compares to: such a test cannot be split honestly."""
    return any(isinstance(n, ast.Compare) for n in ast.walk(expr))


def _is_abs_diff(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and _is_name(node.func, "abs")
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.BinOp)
        and isinstance(node.args[0].op, ast.Sub)
    )


def _split_isclose(test: ast.Call, source: str) -> tuple[ast.expr, Check] | None:
    if len(test.args) != 2:
        return None
    try:
        opts = {kw.arg: _const_number(kw.value) for kw in test.keywords}
    except NotLiteral:
        return None
    if set(opts) - {"rel_tol", "abs_tol"}:
        return None
    for call, lit in ((test.args[0], test.args[1]), (test.args[1], test.args[0])):
        ok, value = _try_literal(lit)
        if ok and type(value) in (int, float) and not _try_literal(call)[0]:
            check = Check(
                "close",
                value,
                atol=opts.get("abs_tol", 0.0),
                rtol=opts.get("rel_tol", 1e-9),
                source=source,
            )
            return call, check
    return None


def split_source(source: str) -> SplitTest | None:
    """Split a Python test source, or None when any statement of it must run inside."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    setup: list[str] = []
    parts: list[tuple[ast.expr, Check]] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            setup.append(ast.unparse(stmt))
        elif isinstance(stmt, ast.Pass):
            continue
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring or stray literal
        elif isinstance(stmt, ast.Assert):
            is_literal, value = _try_literal(stmt.test)
            if is_literal and value:
                continue  # `assert True, "..."`: nothing of the candidate's to check
            part = None if is_literal else _split_expr(stmt.test, _segment(source, stmt))
            if part is None or _compares_inside(part[0]):
                return None
            parts.append(part)
        elif isinstance(stmt, ast.Expr):
            parts.append((stmt.value, Check("ran", source=_segment(source, stmt))))
        else:
            return None
    if not parts:
        return None
    calls: list[Call] = []
    for expr, _check in parts:
        call = direct_call(expr)
        if call is None:
            return None
        calls.append(call)
    return SplitTest(tuple(calls), tuple(check for _, check in parts))


def direct_call(expr: ast.expr) -> dict[str, Any] | None:
    """`name(literal, ..., key=literal)` as a call the sandbox answers by name with plain
    arguments; None for anything else. Nothing but the candidate's function runs inside: a
    `sorted(f(x))` or `math.fabs(f(x))` evaluated there would use whatever `sorted` or `math`
    the candidate left in its namespace, so such tests run against a proxy instead."""
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Name):
        return None
    if hasattr(builtins, expr.func.id):
        return None  # `sum([1, 2])` is the test's own call, not the candidate's
    if any(isinstance(a, ast.Starred) for a in expr.args) or any(
        k.arg is None for k in expr.keywords
    ):
        return None
    try:
        args = tuple(parse_literal(a) for a in expr.args)
        kwargs = {str(k.arg): parse_literal(k.value) for k in expr.keywords}
        argv = _plain((args, kwargs))
    except (NotLiteral, _Suspect, RecursionError):
        return None
    return {"fn": expr.func.id, "argv": argv}


def _segment(source: str, node: ast.stmt) -> str:
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    return text if len(text) <= _SHOW else text[: _SHOW - 3] + "..."


def split_test(test: Test, kind: ProblemKind) -> SplitTest | None:
    """Split any test the sandbox accepts; None means it has to run inside (unsplittable)."""
    if isinstance(test, Mapping):
        if kind == "stdio":
            call: dict[str, Any] = {"input": str(test.get("input", ""))}
            if "output" in test:
                check = Check("stdio", str(test["output"]), source="stdio")
            else:
                check = Check("ran", source="stdio")
            return SplitTest((call,), (check,))
        fn_call: dict[str, Any] = {
            "args": list(test.get("args", ())),
            "kwargs": dict(test.get("kwargs", {})),
        }
        if "expected" not in test:
            return SplitTest((fn_call,), (Check("ran", source="call"),))
        atol = test.get("atol")
        check = Check(
            "eq",
            test["expected"],
            atol=None if atol is None else float(atol),
            exact_sequences=False,  # call-style data comes from JSON, which has no tuples
            source="call",
        )
        return SplitTest((fn_call,), (check,))
    if kind == "stdio":
        return None
    return split_source(test)


def check_output(check: Check, outcome: CallOutcome) -> TestOutcome:
    """The verdict of one call, decided on the host from plain data."""
    if outcome.status == "timeout":
        return TestOutcome("timeout", outcome.message, outcome.duration_s)
    if outcome.status != "ok":
        return TestOutcome("error", outcome.message, outcome.duration_s)
    if check.op == "ran":
        return TestOutcome("pass", "", outcome.duration_s)
    if check.op == "stdio":
        got = outcome.value if isinstance(outcome.value, str) else ""
        mismatch = stdio_mismatch(got, str(check.expected))
        status = "fail" if mismatch else "pass"
        return TestOutcome(status, mismatch or "", outcome.duration_s)
    try:
        got = decode_value(outcome.value)
    except (ValueError, TypeError, KeyError, IndexError):
        return TestOutcome("error", "the sandbox returned a malformed value", outcome.duration_s)
    try:
        holds = _holds(check, got)
    except Exception as exc:  # e.g. OverflowError comparing a huge int with a float
        why = f"the value cannot be compared: {type(exc).__name__} (got {safe_repr(got, _SHOW)})"
        return TestOutcome("fail", why, outcome.duration_s)
    if holds:
        return TestOutcome("pass", "", outcome.duration_s)
    where = f" at {check.source}" if check.source not in ("call", "") else ""
    if check.op in ("eq", "in", "close", "abs_lt", "abs_le") and check.source == "call":
        message = f"expected {safe_repr(check.expected, _SHOW)}, got {safe_repr(got, _SHOW)}"
    else:
        message = f"AssertionError{where} (got {safe_repr(got, _SHOW)})"
    return TestOutcome("fail", message, outcome.duration_s)


def _number(value: Any) -> bool:
    return type(value) in (int, float)


def _holds(check: Check, got: Any) -> bool:
    exp, op = check.expected, check.op
    if op == "eq":
        return values_equal(got, exp, check.atol, exact_sequences=check.exact_sequences)
    if op == "ne":
        return not values_equal(got, exp, 0.0, rtol=0.0, exact_sequences=check.exact_sequences)
    if op in ("in", "not_in"):
        found = any(values_equal(got, e, check.atol, exact_sequences=True) for e in exp)
        return found if op == "in" else not found
    if op in _CMP:
        try:  # plain built-in values on both sides: Python's own ordering, no candidate code
            return bool(_CMP[op](got, exp))
        except TypeError:
            return False
    if op == "truthy":
        return bool(got)
    if op == "falsy":
        return not got
    if op == "is":
        return got is exp
    if op == "is_not":
        return got is not exp
    if op == "close":
        return _number(got) and math.isclose(got, exp, rel_tol=check.rtol, abs_tol=check.atol or 0)
    if op in ("abs_lt", "abs_le"):
        if not _number(got):
            return False
        diff = abs(got - exp)
        return diff < (check.atol or 0) if op == "abs_lt" else diff <= (check.atol or 0)
    return False


@dataclass(frozen=True)
class Plan:
    """Tests of one run: those that run inside (`inside`), the calls of the split ones, and how
    to put the outcomes back in the tests' order."""

    inside: tuple[Test, ...]
    calls: tuple[Call, ...]
    # per test: ("inside", index into inside) or ("split", first call index, its checks)
    slots: tuple[tuple[str, int, tuple[Check, ...]], ...]


def plan_tests(tests: Sequence[Test], kind: ProblemKind) -> Plan:
    inside: list[Test] = []
    calls: list[Call] = []
    slots: list[tuple[str, int, tuple[Check, ...]]] = []
    for test in tests:
        split = split_test(test, kind)
        if split is None:
            slots.append(("inside", len(inside), ()))
            inside.append(test)
        else:
            slots.append(("split", len(calls), split.checks))
            calls.extend(split.calls)
    return Plan(tuple(inside), tuple(calls), tuple(slots))


def assemble(
    plan: Plan, inside: Sequence[TestOutcome], outcomes: Sequence[CallOutcome]
) -> list[TestOutcome]:
    """One outcome per test in the original order; a multi-assert test fails at its first bad
    assert (the rest of its calls still ran, which an assert chain would not have done)."""
    result: list[TestOutcome] = []
    for where, index, checks in plan.slots:
        if where == "inside":
            result.append(inside[index])
            continue
        verdicts = [check_output(c, outcomes[index + j]) for j, c in enumerate(checks)]
        bad = next((v for v in verdicts if not v.passed), None)
        total = sum(v.duration_s for v in verdicts)
        result.append(bad if bad is not None else TestOutcome("pass", "", round(total, 4)))
    return result


def count_unsplittable(tests: Sequence[Test], kind: ProblemKind) -> int:
    """How many tests must still run inside the candidate's process (and so could be forged)."""
    return sum(1 for t in tests if split_test(t, kind) is None)
