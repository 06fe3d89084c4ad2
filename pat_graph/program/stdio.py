"""A standard-input program must run its entry point, not only define it.

The sandbox runs a stdio program as a script (`__name__ == "__main__"`) and compares what it
prints. The planner rewrites `main` as a function that calls helpers, and a composition puts the
helpers in front of that function; if nothing at the top level calls `main`, the program defines
everything, prints nothing and a correct decomposition scores 0. The released PaT code avoided
this by having its judge call `main()` itself.
"""

from __future__ import annotations

import ast

from pat_graph.program.parse import find_function, parse_module


def runs_at_top_level(tree: ast.Module, name: str) -> bool:
    """Whether a top-level statement other than a definition mentions `name` (a call, a
    `__main__` guard that calls it, `sys.exit(main())`, a thread target ...)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node)):
            return True
    return False


def with_entry_call(code: str, name: str = "main") -> str:
    """`code` plus a guarded call of `name` when it defines `name` and nothing calls it."""
    tree = parse_module(code)
    fn = find_function(tree, name) if tree is not None else None
    if tree is None or fn is None or runs_at_top_level(tree, name):
        return code
    if isinstance(fn, ast.AsyncFunctionDef):
        call = f"__import__('asyncio').run({name}())"
    else:
        call = f"{name}()"
    return f'{code.rstrip()}\n\n\nif __name__ == "__main__":\n    {call}\n'
