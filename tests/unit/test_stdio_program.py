"""A composed stdio program calls its entry point (issue 10: compositions never ran main())."""

from __future__ import annotations

import ast

from pat_graph.graph.nodes.compose import compose_program
from pat_graph.program.stdio import with_entry_call

MAIN = "def main():\n    a, b = map(int, input().split())\n    print(square(a) + square(b))\n"
SQUARE = "def square(x: int) -> int:\n    return x * x\n"


def _top_level_calls(code: str) -> list[str]:
    tree = ast.parse(code)
    return [
        ast.unparse(node)
        for node in tree.body
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import)
        and not isinstance(node, ast.ImportFrom)
    ]


def test_a_main_nobody_calls_gets_a_guarded_call():
    code = with_entry_call(MAIN)
    assert code.endswith('if __name__ == "__main__":\n    main()\n')
    assert _top_level_calls(code) == ["if __name__ == '__main__':\n    main()"]


def test_a_program_that_already_runs_main_is_left_alone():
    for tail in ("main()\n", 'if __name__ == "__main__":\n    main()\n', "sys.exit(main())\n"):
        code = MAIN + "\n" + tail
        assert with_entry_call(code) == code
    assert with_entry_call("print(1)\n") == "print(1)\n"  # no main: a plain script
    assert with_entry_call("def main(:\n") == "def main(:\n"  # unparsable: left to fail


def test_an_async_main_is_run_not_just_created():
    code = with_entry_call("async def main():\n    print(1)\n")
    assert "asyncio').run(main())" in code


def test_the_composition_of_a_stdio_plan_calls_main_after_its_helpers():
    problem = {"task_id": "s/1", "prompt": "Print a*a + b*b.", "entry_point": "", "kind": "stdio"}
    plan = {"code": MAIN, "stubs": [{"name": "square"}]}
    program, unimplemented = compose_program(problem, plan, {"square": {"code": SQUARE}})
    assert unimplemented == []
    assert program.index("def square") < program.index("def main") < program.index("    main()")
    assert _top_level_calls(program) == ["if __name__ == '__main__':\n    main()"]


def test_function_compositions_get_no_call():
    problem = {"task_id": "f/1", "prompt": "def main(x):\n    ...\n", "entry_point": "main"}
    plan = {"code": "def main(x):\n    return x\n", "stubs": []}
    program, _ = compose_program(problem, plan, {})
    assert _top_level_calls(program) == []
