"""Public examples from a problem statement, turned into assert tests without an LLM.

The examples a statement shows are the only tests the loop may take from the benchmark; parsing them
deterministically makes them exact and free (the reference code paid an LLM to do this).
"""

from __future__ import annotations

import ast
import doctest
import re

from pat_graph.codeparse import find_function, parse_module

# Prose-style examples seen in HumanEval statements: `f(x) ➞ y`, `f(x) == y`, `f(x) => y`, ...
_ARROW = re.compile(
    r"^\s*(?P<call>.+?\))\s*(?:➞|==>|=>|->|==|should return|returns?)\s*(?P<want>.+?)\s*$"
)


def example_tests(prompt: str, entry_point: str) -> list[str]:
    """Assert lines for the examples in the target's docstring (or the whole prompt when the
    statement is not Python). Examples that cannot be read as `call -> value` are skipped."""
    text = prompt
    tree = parse_module(prompt)
    if tree is not None:
        fn = find_function(tree, entry_point)
        if fn is not None:
            text = ast.get_docstring(fn, clean=True) or ""
    tests: list[str] = []
    for call, want in _doctest_pairs(text) + _arrow_pairs(text, entry_point):
        test = _assert_for(call, want, entry_point)
        if test and test not in tests:
            tests.append(test)
    return tests


def _doctest_pairs(text: str) -> list[tuple[str, str]]:
    try:
        examples = doctest.DocTestParser().get_examples(text)
    except ValueError:
        return []
    return [(ex.source.strip(), ex.want.strip()) for ex in examples if ex.want.strip()]


def _arrow_pairs(text: str, entry_point: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        line = line.strip().rstrip(",.;")
        if ">>>" in line or f"{entry_point}(" not in line:
            continue
        match = _ARROW.match(line)
        if match:
            pairs.append((match.group("call").strip(), match.group("want").strip()))
    return pairs


def _assert_for(call: str, want: str, entry_point: str) -> str | None:
    """`assert call == want`, with a tolerance for floats; None unless both sides are plain
    expressions and the call really calls the entry point."""
    try:
        call_expr = ast.parse(call, mode="eval").body
        want_expr = ast.parse(want, mode="eval").body
    except SyntaxError:
        want_expr = None
        call_expr = None
    if call_expr is None:
        return None
    calls_target = any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == entry_point
        for n in ast.walk(call_expr)
    )
    if not calls_target:
        return None
    if want_expr is None:
        # Printed output that is not a Python literal (rare): compare the printed form.
        if "\n" in want:
            return None
        return f"assert str({call}) == {want!r}"
    if _is_float_literal(want_expr):
        return f"assert abs(({call}) - ({want})) <= 1e-6 * max(1.0, abs({want}))"
    return f"assert ({call}) == ({want})"


def _is_float_literal(expr: ast.expr) -> bool:
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub | ast.UAdd):
        expr = expr.operand
    return isinstance(expr, ast.Constant) and isinstance(expr.value, float)
