"""Reading the generator's tests.

Strict profile (`test_style="assert"`): only asserts that state an expected value are kept. A
test that merely calls the function ("did not crash") lets wrong code pass.
Paper profile (`test_style="call"`): the authors' released code asks for bare calls `f(args)` and
a call passes when it neither raises nor times out; its value is never checked. Such a call is
kept as its own source line, which the sandbox runs as a test that passes when it completes.
"""

from __future__ import annotations

import ast

from pat_graph.program.parse import extract_code, fenced_blocks


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


def parse_call_tests(text: str, entry_point: str, limit: int) -> list[str]:
    """Top-level calls `entry_point(...)` from a reply (one statement each), deduplicated, at
    most `limit`. Anything else in the block (asserts, prints, assignments) is ignored."""
    tests: list[str] = []
    for src in fenced_or_whole(text):
        try:
            body = ast.parse(src).body
        except (SyntaxError, ValueError):
            continue
        for node in body:
            call = node.value if isinstance(node, ast.Expr) else None
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id == entry_point
            ):
                line = ast.unparse(call)
                if line not in tests:
                    tests.append(line)
            if len(tests) >= limit:
                return tests
    return tests


def fenced_or_whole(text: str) -> list[str]:
    """Every Python block of a reply, or the reply itself when it has no fence."""
    blocks = fenced_blocks(text)
    return blocks if blocks else [text]
