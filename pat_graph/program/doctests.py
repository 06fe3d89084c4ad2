"""Public examples from a problem statement, turned into tests: parsed without a model
(`example_parser = "doctest"`, `example_tests`), or read from the generator's answer when it
extracted them (`example_parser = "llm"`, the authors' way: `extraction_view` is what it is shown,
`parse_extracted` reads its answer).

The examples a statement shows are the only tests the loop may take from the benchmark; parsing
them deterministically makes them exact and free, but finds nothing in prose ("for lst = [1,2,3]
the output should be 14"), which the model turns into asserts.

Only real examples become tests: a call of the entry point, with no names the statement does not
define, whose expected value is a Python literal (or `true`/`false` spelled in lower case). Prose
that merely looks like an example (`fib4(n) -> fib4(n-1) + ...`, `is_happy(a) => False`) is
skipped, because a test the correct solution fails makes the loop plan on a problem it has solved.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import re

from pat_graph.program.parse import (
    fenced_blocks,
    find_function,
    function_source,
    parse_module,
    raise_in_stubs,
)

# Prose-style examples seen in HumanEval statements: `f(x) ➞ y`, `f(x) == y`, `f(x) => y`, ...
_ARROW = re.compile(
    r"^\s*(?P<call>.+?\))\s*(?:➞|==>|=>|->|==|should return|returns?)\s*(?P<want>.+?)\s*$"
)
_BUILTINS = frozenset(dir(builtins))
# Spellings of constants that statements use for Python's (JSON/JavaScript habits).
_KNOWN_CONSTANTS = {"true": True, "false": False}


def example_tests(prompt: str, entry_point: str) -> list[str]:
    """Assert lines for the examples in the target's docstring (or the whole prompt when the
    statement is not Python). Anything that is not a real `call -> value` example is skipped."""
    text = prompt
    defined = {entry_point}
    tree = parse_module(prompt)
    if tree is not None:
        defined |= _top_level_names(tree)
        fn = find_function(tree, entry_point)
        if fn is not None:
            text = ast.get_docstring(fn, clean=True) or ""
    tests: list[str] = []
    for call, want in _doctest_pairs(text) + _arrow_pairs(text, entry_point):
        test = _assert_for(call, want, entry_point, defined)
        if test and test not in tests:
            tests.append(test)
    return tests


def _top_level_names(tree: ast.Module) -> set[str]:
    """Names the statement itself binds (imports, given helpers, constants): an example may use
    them, since the candidate runs after the statement's context."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _doctest_pairs(text: str) -> list[tuple[str, str]]:
    """`>>> call` followed by its value; `>>> call == value` with no output line counts too (a
    statement writes its example that way as often as the doctest way)."""
    try:
        examples = doctest.DocTestParser().get_examples(text)
    except ValueError:
        return []
    pairs = []
    for ex in examples:
        source, want = ex.source.strip(), ex.want.strip()
        expr = _parse_expr(source)
        if (
            want in ("", "True")
            and isinstance(expr, ast.Compare)
            and len(expr.ops) == 1
            and isinstance(expr.ops[0], ast.Eq)
        ):
            pairs.append((ast.unparse(expr.left), ast.unparse(expr.comparators[0])))
        elif want:
            pairs.append((source, want))
    return pairs


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


def _parse_expr(src: str) -> ast.expr | None:
    try:
        return ast.parse(src, mode="eval").body
    except (SyntaxError, ValueError):
        return None


def _calls(expr: ast.expr, name: str) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
        for n in ast.walk(expr)
    )


def _free_names(expr: ast.expr) -> set[str]:
    """Names an expression reads that it does not bind itself (lambda parameters and
    comprehension variables are bound inside)."""
    bound: set[str] = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Lambda):
            args = node.args
            params = args.posonlyargs + args.args + args.kwonlyargs
            params += [a for a in (args.vararg, args.kwarg) if a is not None]
            bound |= {a.arg for a in params}
        elif isinstance(node, ast.comprehension):
            bound |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    used = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
    return used - bound


def _literal(src: str) -> ast.expr | None:
    """The expected value as an expression, if it is a literal (comments and surrounding prose
    in parentheses are not)."""
    expr = _parse_expr(src)
    if expr is None:
        return None
    if isinstance(expr, ast.Name) and expr.id in _KNOWN_CONSTANTS:
        return ast.Constant(_KNOWN_CONSTANTS[expr.id])
    try:
        ast.literal_eval(expr)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if any(isinstance(n, ast.Constant) and n.value is Ellipsis for n in ast.walk(expr)):
        return None  # `[1, 2, ...]` abbreviates, it does not state a value
    return expr


def _assert_for(call: str, want: str, entry_point: str, defined: set[str]) -> str | None:
    """`assert (call) == (want)`, with a tolerance for floats; None unless the call calls the entry
    point using only names that exist, and the expected value is a literal."""
    call_expr = _parse_expr(call)
    if call_expr is None or not _calls(call_expr, entry_point):
        return None
    if not _free_names(call_expr) <= defined | _BUILTINS:
        return None  # prose such as `fib4(n)` or `is_happy(a)`
    want_expr = _literal(want)
    if want_expr is None:
        return None
    call_src, want_src = ast.unparse(call_expr), ast.unparse(want_expr)
    if _is_float_literal(want_expr):
        return f"assert abs(({call_src}) - ({want_src})) <= 1e-6 * max(1.0, abs({want_src}))"
    return f"assert ({call_src}) == ({want_src})"


def _is_float_literal(expr: ast.expr) -> bool:
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub | ast.UAdd):
        expr = expr.operand
    return isinstance(expr, ast.Constant) and isinstance(expr.value, float)


def extraction_view(prompt: str, entry_point: str, candidate: str | None = None) -> str:
    """The function the extractor is shown: one candidate's function with the statement's
    docstring put back (as the authors' code shows it), or the statement's stub."""
    fn = find_function(prompt, entry_point)
    docstring = (ast.get_docstring(fn, clean=False) or "") if fn is not None else ""
    if candidate:
        source = function_source(candidate, entry_point)
        tree = parse_module(source)
        node = tree.body[0] if tree is not None and tree.body else None
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and docstring:
            doc = ast.Expr(ast.Constant(docstring))
            body = node.body
            has_doc = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            node.body = [doc, *body[1:]] if has_doc else [doc, *body]
            return ast.unparse(node)
        if node is not None:
            return source
    return raise_in_stubs(function_source(prompt, entry_point))


def parse_extracted(text: str, entry_point: str) -> list[str]:
    """The example tests in the extractor's answer: from its python blocks, every call of the
    entry point standing alone (a test that passes when it does not raise) and every assert that
    calls it; a line that does not parse loses only itself."""
    tests: list[str] = []
    for block in fenced_blocks(text):
        tree = parse_module(block)
        statements = tree.body if tree is not None else _line_statements(block)
        for stmt in statements:
            test = _example_statement(stmt, entry_point)
            if test and test not in tests:
                tests.append(test)
    return tests


def _line_statements(block: str) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for line in block.splitlines():
        tree = parse_module(line.strip())
        if tree is not None:
            out += tree.body
    return out


def _example_statement(stmt: ast.stmt, entry_point: str) -> str | None:
    if isinstance(stmt, ast.Assert) and _calls(stmt.test, entry_point):
        return ast.unparse(ast.Assert(test=stmt.test, msg=None))
    value = stmt.value if isinstance(stmt, ast.Expr) else None
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == entry_point
    ):
        return ast.unparse(value)
    return None
