"""The import block every program starts with, as in the PaT authors' released code.

Their harness puts a fixed block of imports in front of every candidate and every final program, so
a model may use `math`, `collections`, `List`, ... without importing them, and some MBPP+ statement
examples (`math.isclose(...)`) can only pass with it. The module names are the released code's
list (PaT/methods/PaT/defaults.py); the code here is pat-graph's own.

The released block also imports four third-party packages (numpy as `np`, pydantic, scipy, sympy as
`sp`). The sandbox interpreter may not have them and importing them costs about a second per run,
so pat-graph imports each only when the program refers to its name, and an absent package leaves
the name undefined (the program fails as it would without the block) instead of crashing every run.
"""

from __future__ import annotations

import ast

_STDLIB_MODULES = ("cmath", "collections", "itertools", "math", "queue", "random", "re")
_TYPING_NAMES = (
    "Any",
    "AsyncGenerator",
    "Callable",
    "Dict",
    "Generator",
    "Generic",
    "Iterable",
    "List",
    "Literal",
    "Optional",
    "Set",
    "Tuple",
    "TypeAlias",
    "TypeVar",
    "Union",
)
# (module, the name the released block binds it to)
_THIRD_PARTY = (("numpy", "np"), ("pydantic", "pydantic"), ("scipy", "scipy"), ("sympy", "sp"))

DEFAULT_IMPORTS: str = "\n".join(
    [f"import {m}" for m in _STDLIB_MODULES] + [f"from typing import {', '.join(_TYPING_NAMES)}"]
)


def _third_party_block(names: set[str]) -> str:
    lines = []
    for module, alias in _THIRD_PARTY:
        if alias in names:
            bind = f"import {module}" if alias == module else f"import {module} as {alias}"
            lines.append(f"try:\n    {bind}\nexcept ImportError:\n    pass")
    return "\n".join(lines)


def _names_used(tree: ast.Module) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _future_end(tree: ast.Module) -> int:
    """Index into `tree.body` after the docstring and `from __future__` imports, which Python
    requires to come first, so the block goes after them."""
    index = 0
    body = tree.body
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        index = 1 if isinstance(first.value.value, str) else 0
    while (
        index < len(body)
        and isinstance(body[index], ast.ImportFrom)
        and body[index].module == "__future__"
    ):
        index += 1
    return index


def with_default_imports(code: str) -> str:
    """`code` with the default import block in front (after any `from __future__` imports).

    Idempotent: a program that already holds the block is returned unchanged, so a
    composition of prefixed parts does not grow a second copy at the top."""
    if DEFAULT_IMPORTS in code:
        return code
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return f"{DEFAULT_IMPORTS}\n\n\n{code}"  # fails either way; keep the error where it was
    block = DEFAULT_IMPORTS
    extra = _third_party_block(_names_used(tree))
    if extra:
        block = f"{block}\n{extra}"
    split = _future_end(tree)
    if split == 0:
        return f"{block}\n\n\n{code}"
    lines = code.splitlines(keepends=True)
    end = tree.body[split - 1].end_lineno or 0
    head = "".join(lines[:end])
    if not head.endswith("\n"):
        head += "\n"
    return f"{head}{block}\n\n\n{''.join(lines[end:]).lstrip(chr(10))}"
