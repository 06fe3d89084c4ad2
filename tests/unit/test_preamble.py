"""The default import block: what the released code's candidates could use without importing."""

from __future__ import annotations

import ast

from pat_graph.program.preamble import DEFAULT_IMPORTS, with_default_imports


def _bound_names(src: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {a.asname or a.name for a in node.names}
    return names


def test_block_binds_the_released_module_names() -> None:
    names = _bound_names(DEFAULT_IMPORTS)
    assert {"math", "cmath", "collections", "itertools", "queue", "random", "re"} <= names
    assert {"List", "Dict", "Optional", "Tuple", "Any", "Callable"} <= names


def test_block_runs_and_makes_math_available() -> None:
    program = with_default_imports("def f(x):\n    return math.isclose(x, 1.0)\n")
    env: dict[str, object] = {}
    exec(compile(program, "<test>", "exec"), env)  # trusted code written by this test
    assert env["f"](1.0) is True  # type: ignore[operator]


def test_idempotent() -> None:
    once = with_default_imports("x = 1\n")
    assert with_default_imports(once) == once
    assert once.count("import math") == 1


def test_future_imports_stay_first() -> None:
    code = '"""doc."""\nfrom __future__ import annotations\n\ndef f() -> int:\n    return 1\n'
    program = with_default_imports(code)
    compile(program, "<test>", "exec")  # a misplaced __future__ import is a SyntaxError
    assert program.index("from __future__") < program.index(DEFAULT_IMPORTS)


def test_third_party_only_when_named_and_guarded() -> None:
    assert "numpy" not in with_default_imports("def f():\n    return 1\n")
    program = with_default_imports("def f():\n    return np.zeros(2)\n")
    assert "import numpy as np" in program
    compile(program, "<test>", "exec")
    env: dict[str, object] = {}
    exec(compile(program, "<test>", "exec"), env)  # must not raise when numpy is absent


def test_unparsable_code_is_still_prefixed() -> None:
    assert with_default_imports("def f(:\n").startswith(DEFAULT_IMPORTS)
