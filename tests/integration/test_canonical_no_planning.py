"""Issue 10, done-when: a generator that answers every HumanEval problem correctly, with test
writing switched off, makes `pat` plan on 0 of 164 problems (real sandbox, paper profile).

Planning after a correct trial means the in-loop tests rejected a correct program: wrong
statement examples (patched), prose parsed as examples, or a missing import.
"""

from __future__ import annotations

import asyncio

import pytest

from pat_graph import solve
from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.types import Task
from pat_graph.testing import ScriptedChatModel, fenced

pytestmark = pytest.mark.integration


def _canonical_generator(task: Task) -> ScriptedChatModel:
    """Answers every request with the task's canonical program (statement + solution)."""
    answer = fenced(task.reference_program or "")
    return ScriptedChatModel(respond=lambda purpose, messages: answer)


async def _planner_calls(
    task: Task, sem: asyncio.Semaphore, profile: str
) -> tuple[str, int, bool, int]:
    planner = ScriptedChatModel(respond=lambda purpose, messages: "no plan")
    async with sem:
        result = await solve(
            task.problem_for(True),
            generator=_canonical_generator(task),
            planner=planner,
            policy="pat",
            profile=profile,
            generate_tests=False,
        )
    return task.task_id, len(planner.calls), result.verified, result.tests_total


@pytest.mark.parametrize("profile", ["paper", "strict"])
async def test_pat_plans_on_no_humaneval_problem_when_every_trial_is_correct(profile: str):
    sem = asyncio.Semaphore(4)
    tasks = load_benchmark("humaneval").tasks
    results = await asyncio.gather(*(_planner_calls(t, sem, profile) for t in tasks))
    planned = sorted(tid for tid, calls, *_ in results if calls)
    assert len(results) == 164
    assert planned == []
    # every program that had a test passed it; one without any test is untested (issue 22)
    assert all(verified == (total > 0) for *_, verified, total in results)
