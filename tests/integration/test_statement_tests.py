"""The canonical solutions pass their own statement tests, in the real sandbox (issue 10).

The statement tests are the in-loop tests pat-graph takes from a statement: the visible tests
(MBPP+'s prompt assert) and the docstring examples parsed by `doctests.example_tests`, with the
statement patches and the default import block applied. A canonical solution that fails one
would make the loop plan on a problem it has solved, so every exception is listed in the patch
file and asserted here exactly.
"""

from __future__ import annotations

import asyncio

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.patches import documented_exceptions, patched_task_ids
from pat_graph.benchmarks.types import Benchmark, Task
from pat_graph.program.doctests import example_tests
from pat_graph.program.preamble import with_default_imports
from pat_graph.sandbox import run_tests

pytestmark = pytest.mark.integration

# MBPP+ prompt examples written as `math.isclose(...)` (the statement never imports math).
MBPP_NEED_MATH = {"Mbpp/98", "Mbpp/124", "Mbpp/137", "Mbpp/300"}


def statement_tests(task: Task, patched: bool = True) -> list[str]:
    problem = task.problem_for(patched)
    visible = [t for t in problem.tests if isinstance(t, str)]
    parsed = example_tests(problem.prompt, problem.entry_point)
    return visible + [t for t in parsed if t not in visible]


async def failing_tasks(
    bench: Benchmark, *, patched: bool = True, default_imports: bool = True
) -> tuple[dict[str, list[str]], int]:
    """Task id -> messages of the failed statement tests, and the number of tests run."""
    sem = asyncio.Semaphore(4)

    async def one(task: Task) -> tuple[str, list[str], int]:
        tests = statement_tests(task, patched)
        program = task.reference_program or ""
        if default_imports:
            program = with_default_imports(program)
        async with sem:
            report = await run_tests(program, tests, entry_point=task.problem.entry_point)
        return task.task_id, [o.message for o in report.outcomes if not o.passed], len(tests)

    results = await asyncio.gather(*(one(t) for t in bench.tasks))
    return {tid: msgs for tid, msgs, _ in results if msgs}, sum(n for *_, n in results)


@pytest.mark.parametrize("name", ["humaneval", "humaneval-plus"])
async def test_humaneval_canonical_solutions_pass_every_statement_test(name: str):
    bench = load_benchmark(name)
    failures, n_tests = await failing_tasks(bench)
    assert failures == {}
    assert n_tests >= 350  # the examples of 128+ statements, not an empty list passing vacuously


async def test_humaneval_without_patches_fails_exactly_the_patched_examples():
    failures, _ = await failing_tasks(load_benchmark("humaneval"), patched=False)
    # 115's patch removes an import (its examples are prose); the other three fix examples
    assert set(failures) == {"HumanEval/47", "HumanEval/116", "HumanEval/148"}


async def test_mbpp_plus_fails_only_the_documented_exceptions():
    bench = load_benchmark("mbpp-plus")
    failures, n_tests = await failing_tasks(bench)
    assert set(failures) == set(documented_exceptions("mbpp-plus"))
    assert n_tests >= len(bench.tasks)  # every MBPP+ prompt shows an example


async def test_mbpp_plus_without_patches_or_imports_fails_the_known_examples():
    bench = load_benchmark("mbpp-plus")
    exceptions = set(documented_exceptions("mbpp-plus"))
    unpatched, _ = await failing_tasks(bench, patched=False)
    assert set(unpatched) == exceptions | set(patched_task_ids("mbpp-plus"))
    # Without the block only the isclose examples may fail (the sandbox may read
    # `math.isclose(E, LIT)` as a comparison made on the host, which needs no import).
    no_imports, _ = await failing_tasks(bench, default_imports=False)
    assert exceptions <= set(no_imports) <= exceptions | MBPP_NEED_MATH
