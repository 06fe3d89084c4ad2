"""On the real sandbox, a decomposed stdio program prints its answer (issue 10: a composition
never ran main(), so a correct decomposition scored 0)."""

from __future__ import annotations

import pytest

from pat_graph import solve
from pat_graph.graph.nodes.compose import compose_program
from pat_graph.problem import Problem
from pat_graph.sandbox import run_tests
from pat_graph.testing import ScriptedChatModel, fenced

pytestmark = pytest.mark.integration

SAMPLES = [{"input": "1 2\n", "output": "5\n"}, {"input": "0 3\n", "output": "9\n"}]
MAIN = "def main():\n    a, b = map(int, input().split())\n    print(square(a) + square(b))\n"
STUB = 'def square(x: int) -> int:\n    """x squared"""\n    ...\n'
SQUARE = "def square(x: int) -> int:\n    return x * x\n"


async def test_a_composed_main_runs_and_passes_the_samples():
    problem = {"task_id": "s/1", "prompt": "Print a*a + b*b.", "entry_point": "", "kind": "stdio"}
    plan = {"code": MAIN, "stubs": [{"name": "square"}]}
    program, _ = compose_program(problem, plan, {"square": {"code": SQUARE}})
    report = await run_tests(program, SAMPLES, kind="stdio")
    assert report.passed and report.n_total == 2
    # the same program without the call prints nothing: what every composition used to score
    silent = program[: program.index('if __name__ == "__main__"')]
    assert (await run_tests(silent, SAMPLES, kind="stdio")).n_passed == 0


async def test_pat_solves_a_stdio_problem_whose_plan_never_calls_main():
    problem = Problem("s/1", "Read two integers a and b and print a*a + b*b.", "", SAMPLES, "stdio")

    def generator(purpose: str, messages: list) -> str:
        if purpose == "program":  # the trial: a wrong direct attempt
            return fenced("a, b = map(int, input().split())\nprint(a + b)")
        return fenced(SQUARE)  # the helper's trial

    gen = ScriptedChatModel(respond=generator)
    planner = ScriptedChatModel(respond=lambda purpose, messages: fenced(MAIN + "\n\n" + STUB))
    result = await solve(problem, generator=gen, planner=planner, policy="pat")
    assert result.planner_calls >= 1
    assert result.verified and result.tests_passed == 2
    report = await run_tests(result.code, SAMPLES, kind="stdio")
    assert report.passed
