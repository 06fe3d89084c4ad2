"""Host-side comparison of what a candidate produced with what a test expects.

Comparison happens outside the sandbox on plain data, so a candidate cannot influence it (for
example by returning an object whose ``__eq__`` always says yes, or by patching the harness).

The rules are EvalPlus's: integers, strings, booleans and containers of them compare exactly; a
tolerance applies only where the *expected* value is a float (absolute ``atol`` plus a relative
``rtol`` as in ``numpy.allclose``); a float result for an integer expectation must be exactly
equal (``3.0`` passes for ``3``, ``3.0000001`` does not). A bool is never equal to an int here
(stricter than Python's ``True == 1``). Stdio output compares token by token with the same rules.
"""

from __future__ import annotations

import decimal
import json
import math
import re
from collections import deque
from typing import Any

from pat_graph.sandbox.base import CallOutcome, ProblemKind
from pat_graph.sandbox.harness.plain import decode, typed_key

DEFAULT_REL_TOL = 1e-7  # EvalPlus: numpy.allclose(rtol=1e-07, atol=...)
DEFAULT_ABS_TOL = 1e-6  # EvalPlus's atol for float outputs when a task gives none
_SHOW = 120
_INT_TOKEN = re.compile(r"[+-]?\d+\Z")
_FLOAT_TOKEN = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(?=[eE]))([eE][+-]?\d+)?\Z")


def decode_value(value: Any, *, hashable: bool = False) -> Any:
    """Turn the harness's tagged JSON encoding back into the built-in Python value it stands for
    (tuples, sets, dicts with any keys, big ints, inf/nan, bytes, complex, deques)."""
    return decode(value, hashable=hashable)


def _close(got: float, expected: float, atol: float, rtol: float) -> bool:
    if got == expected:
        return True
    diff = abs(got - expected)
    return not math.isnan(diff) and diff <= atol + rtol * abs(expected)


def values_equal(
    got: Any,
    expected: Any,
    atol: float | None = None,
    *,
    rtol: float = DEFAULT_REL_TOL,
    exact_sequences: bool = False,
) -> bool:
    """EvalPlus-style equality of two built-in values (see the module docstring).

    ``exact_sequences`` makes a list differ from a tuple, as Python's ``==`` does; without it
    they compare by content (expected values read from JSON have no tuples).
    """
    if type(got) is bool or type(expected) is bool:
        return type(got) is type(expected) and got == expected
    if type(expected) is float:
        if type(got) is int:
            return got == expected
        if type(got) is not float:
            return False
        return _close(got, expected, DEFAULT_ABS_TOL if atol is None else atol, rtol)
    if type(expected) is int:
        return type(got) in (int, float) and got == expected
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            return False
        if exact_sequences and type(got) is not type(expected):
            return False
        return all(
            values_equal(g, e, atol, rtol=rtol, exact_sequences=exact_sequences)
            for g, e in zip(got, expected, strict=True)
        )
    if isinstance(expected, deque):
        return isinstance(got, deque) and values_equal(
            list(got), list(expected), atol, rtol=rtol, exact_sequences=exact_sequences
        )
    if isinstance(expected, (set, frozenset)):
        if not isinstance(got, (set, frozenset)):
            return False
        return {typed_key(v) for v in got} == {typed_key(v) for v in expected}
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return False
        got_by_key = {typed_key(k): v for k, v in got.items()}
        if set(got_by_key) != {typed_key(k) for k in expected}:
            return False
        exact = exact_sequences
        return all(
            values_equal(got_by_key[typed_key(k)], v, atol, rtol=rtol, exact_sequences=exact)
            for k, v in expected.items()
        )
    return type(got) is type(expected) and got == expected


def _token_equal(got: str, expected: str) -> bool:
    """Integer tokens exact, a tolerance only for a float-literal expected token."""
    if got == expected:
        return True
    if _INT_TOKEN.match(expected):
        if _INT_TOKEN.match(got):
            return int(got) == int(expected)
        # Exact decimal arithmetic, never a float: "3.0" is 3, "124999998.9999999999" is not
        # 124999999 (as a float it would round to it).
        return bool(_FLOAT_TOKEN.match(got)) and _exact(got) == int(expected)
    if _FLOAT_TOKEN.match(expected) and (_INT_TOKEN.match(got) or _FLOAT_TOKEN.match(got)):
        return _close(float(got), float(expected), DEFAULT_ABS_TOL, DEFAULT_REL_TOL)
    return False


def _exact(token: str) -> decimal.Decimal | None:
    """The exact value of a float token; None for exponents too large to hold."""
    try:
        value = decimal.Decimal(token)
        return value if abs(value.adjusted()) < 10_000 else None
    except (decimal.InvalidOperation, ValueError):
        return None


def _lines(text: str) -> list[list[str]]:
    lines = [line.split() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def stdio_mismatch(got: str, expected: str) -> str | None:
    """None when outputs agree line by line (whitespace-normalised, token rules above)."""
    got_lines, exp_lines = _lines(got), _lines(expected)
    for n, (g, e) in enumerate(zip(got_lines, exp_lines, strict=False), start=1):
        if len(g) != len(e) or not all(_token_equal(a, b) for a, b in zip(g, e, strict=True)):
            return f"line {n}: expected {_clip(' '.join(e))!r}, got {_clip(' '.join(g))!r}"
    if len(got_lines) != len(exp_lines):
        return (
            f"expected {len(exp_lines)} lines, got {len(got_lines)}"
            f" (expected {_clip(expected)!r}, got {_clip(got)!r})"
        )
    return None


def value_mismatch(
    got: Any, expected: Any, atol: float | None = None, *, exact_sequences: bool = False
) -> str | None:
    """None when the tagged candidate value `got` equals `expected` (a Python value)."""
    try:
        got_v = decode_value(got)
    except (ValueError, TypeError, KeyError, IndexError):
        return f"the sandbox returned a malformed value: {safe_repr(got)}"
    if values_equal(got_v, expected, atol, exact_sequences=exact_sequences):
        return None
    return f"expected {safe_repr(expected)}, got {safe_repr(got_v)}"


def safe_repr(value: Any, limit: int = _SHOW) -> str:
    """`repr` for messages that cannot raise and is capped: a candidate's value (`10**5000` past
    the int-to-str digit limit, a million nested lists) must never turn a verdict into a crash."""
    if type(value) is int and value.bit_length() > 4000 * 3:
        text = f"<int of {value.bit_length()} bits>"
    else:
        try:
            text = repr(value)
        except Exception:  # any failure only makes the message worse
            text = f"<{type(value).__name__} that cannot be shown>"
    return _clip(text, limit)


def _canonical(value: Any) -> Any:
    """Order-free form of a tagged value: dict entries sorted, so equal dicts serialise equally."""
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        if "__dict__" in value:
            pairs = [[_canonical(k), _canonical(v)] for k, v in value["__dict__"]]
            return {"__dict__": sorted(pairs, key=lambda kv: json.dumps(kv[0], sort_keys=True))}
        return {k: _canonical(v) for k, v in value.items()}
    return value


def same_output(a: CallOutcome, b: CallOutcome, *, kind: ProblemKind = "function") -> bool:
    """Both calls returned and produced identical outputs (FunCoder's functional consensus):
    same types (a tuple is not a list, True is not 1), same values, nan equal to nan; stdio
    output compares whitespace-normalised (line by line, token by token) and otherwise exactly."""
    if not (a.ok and b.ok):
        return False
    if kind == "stdio" and isinstance(a.value, str) and isinstance(b.value, str):
        return _lines(a.value) == _lines(b.value)
    return json.dumps(_canonical(a.value), sort_keys=True) == json.dumps(
        _canonical(b.value), sort_keys=True
    )


def safe_text(exc: BaseException, limit: int = 300) -> str:
    """`str(exc)` that cannot raise and is capped (an exception may carry a candidate's value)."""
    try:
        text = str(exc)
    except Exception:
        text = f"<{type(exc).__name__} that cannot be shown>"
    return _clip(text, limit)


def _clip(text: str, limit: int = _SHOW) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
