"""Reading the generator's tests: only asserts that state an expected value are kept.

A test that merely calls the function ("did not crash") verifies nothing and lets wrong code pass;
the reference implementation accepted those, pat-graph does not.
"""

from __future__ import annotations

import ast

from pat_graph.codeparse import extract_code


def _calls(expr: ast.AST, name: str) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
        for n in ast.walk(expr)
    )


def _states_expectation(test: ast.expr, name: str) -> bool:
    """`f(x) == y`, `y == f(x)`, `abs(f(x) - y) < e`, `f(x) is True`, `not f(x)`, `f(x)`."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, ast.Compare):
        return _calls(test, name)
    return isinstance(test, ast.Call) and _calls(test, name)


def parse_generated_tests(text: str, entry_point: str, limit: int) -> list[str]:
    """Assert statements on `entry_point` from a reply, deduplicated, at most `limit`."""
    src = extract_code(text)
    if src is None:
        return []
    tests: list[str] = []
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assert) and _states_expectation(node.test, entry_point):
            line = ast.unparse(ast.Assert(test=node.test, msg=None))
            if line not in tests:
                tests.append(line)
        if len(tests) >= limit:
            break
    return tests
