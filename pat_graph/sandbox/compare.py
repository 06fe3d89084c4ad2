"""Host-side comparison of what a candidate produced with what a test expects.

Comparison happens outside the sandbox on plain data, so a candidate cannot influence it (for
example by returning an object whose ``__eq__`` always says yes).
"""

from __future__ import annotations

import math
from typing import Any

DEFAULT_REL_TOL = 1e-6
DEFAULT_ABS_TOL = 1e-6
_SHOW = 120


def decode_value(value: Any) -> Any:
    """Undo the harness's JSON encoding of non-JSON built-ins (sets, dicts with any keys, inf)."""
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, dict):
        if "__float__" in value:
            return float(value["__float__"])
        if "__set__" in value:
            return {"__set__": [decode_value(v) for v in value["__set__"]]}
        if "__dict__" in value:
            return {"__dict__": [[decode_value(k), decode_value(v)] for k, v in value["__dict__"]]}
    return value


def normalise_expected(value: Any) -> Any:
    """Bring an expected value into the same shape as a decoded candidate value."""
    if isinstance(value, (list, tuple)):
        return [normalise_expected(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {"__set__": sorted((normalise_expected(v) for v in value), key=repr)}
    if isinstance(value, dict):
        return {
            "__dict__": [[normalise_expected(k), normalise_expected(v)] for k, v in value.items()]
        }
    return value


def values_equal(got: Any, expected: Any, atol: float | None = None) -> bool:
    """Elementwise equality with float tolerance; bool is never equal to an int."""
    if isinstance(got, bool) or isinstance(expected, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(got, (int, float)) and isinstance(expected, (int, float)):
        if isinstance(got, int) and isinstance(expected, int):
            return got == expected
        if math.isnan(got) or math.isnan(expected):
            return math.isnan(got) and math.isnan(expected)
        tol = DEFAULT_ABS_TOL if atol is None else atol
        return math.isclose(got, expected, rel_tol=DEFAULT_REL_TOL, abs_tol=tol)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(
            values_equal(g, e, atol) for g, e in zip(got, expected, strict=True)
        )
    if isinstance(got, dict) and isinstance(expected, dict):
        if "__set__" in got and "__set__" in expected:
            return values_equal(got["__set__"], expected["__set__"], atol)
        if "__dict__" in got and "__dict__" in expected:
            return values_equal(_sorted_pairs(got), _sorted_pairs(expected), atol)
        return False
    return type(got) is type(expected) and got == expected


def _sorted_pairs(value: dict[str, Any]) -> list[Any]:
    return sorted(value["__dict__"], key=lambda kv: repr(kv[0]))


def _token_equal(got: str, expected: str) -> bool:
    if got == expected:
        return True
    try:
        g, e = float(got), float(expected)
    except ValueError:
        return False
    return values_equal(g, e)


def _lines(text: str) -> list[list[str]]:
    lines = [line.split() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def stdio_mismatch(got: str, expected: str) -> str | None:
    """None when outputs agree line by line (whitespace-normalised, numbers with a tolerance)."""
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


def value_mismatch(got: Any, expected: Any, atol: float | None = None) -> str | None:
    got_v, exp_v = decode_value(got), normalise_expected(expected)
    if values_equal(got_v, exp_v, atol):
        return None
    return f"expected {_clip(repr(expected))}, got {_clip(repr(_display(got_v)))}"


def _display(value: Any) -> Any:
    if isinstance(value, list):
        return [_display(v) for v in value]
    if isinstance(value, dict) and "__set__" in value:
        return set(map(_hashable, value["__set__"]))
    if isinstance(value, dict) and "__dict__" in value:
        return {_hashable(k): _display(v) for k, v in value["__dict__"]}
    return value


def _hashable(value: Any) -> Any:
    return tuple(map(_hashable, value)) if isinstance(value, list) else value


def _clip(text: str) -> str:
    return text if len(text) <= _SHOW else text[: _SHOW - 3] + "..."
