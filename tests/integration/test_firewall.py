"""Hidden-test firewall: no hidden test text reaches a prompt or the in-loop verifier.

Runs PaT (which plans, so every prompt kind is exercised) on real HumanEval, HumanEval+ and MBPP+
problems with a recording model and a recording in-loop sandbox. The judge's sandbox is recorded
too, as the positive control: the same scan must find the hidden material there.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.types import Task
from pat_graph.models.roles import RoleModel
from pat_graph.runs.runner import run_benchmark
from pat_graph.sandbox import get_sandbox
from pat_graph.testing import ScriptedChatModel, fenced, target_of

pytestmark = pytest.mark.integration


class Recorder:
    """A real sandbox that keeps every program and test it was given."""

    name = "recorder"

    def __init__(self) -> None:
        self.inner = get_sandbox("process")
        self.seen: list[str] = []

    async def run_tests(self, code: str, tests: Sequence[Any], **kw: Any):
        self.seen.append(code)
        self.seen.extend(str(t) for t in tests)
        return await self.inner.run_tests(code, tests, **kw)

    async def run_calls(self, code: str, calls: Sequence[Any], **kw: Any):
        self.seen.append(code)
        self.seen.extend(str(c) for c in calls)
        return await self.inner.run_calls(code, calls, **kw)


def respond(purpose: str, messages: Sequence[Any]) -> str:
    """Wrong trials (so PaT plans), a plan with one helper, and one generated test."""
    target = target_of(messages)
    if purpose == "plan":
        return fenced(
            f"def {target}(*args):\n    return helper_step(*args)\n\n\n"
            'def helper_step(*args):\n    """Do one step."""\n    ...\n'
        )
    if purpose == "tests":  # an assert (strict profile) and a bare call (paper profile)
        return fenced(f"assert {target}(0) is not None\n{target}(0)")
    # Raising, so the trial fails even when the only tests are calls (paper profile, MBPP+).
    return fenced(f"def {target}(*args):\n    raise ValueError('wrong')")


def _visible(task: Task) -> str:
    return task.problem.prompt + "\n".join(str(t) for t in task.problem.tests)


def hidden_fingerprints(task: Task) -> set[str]:
    """Pieces of hidden material that the visible statement does not itself contain."""
    pieces: set[str] = set()
    for inputs in (task.base_inputs or []) + (task.plus_inputs or []):
        pieces.update(repr(arg) for arg in inputs)
    for test in task.hidden_tests:
        text = str(test)
        pieces.update(line.strip() for line in text.splitlines())
        if "def check(" in text:
            pieces.add("def check(")
    if task.canonical_solution:
        pieces.update(line.strip() for line in task.canonical_solution.splitlines())
    visible = _visible(task)
    return {p for p in pieces if len(p) >= 12 and p not in visible}


@pytest.mark.parametrize("profile", ["paper", "strict"])
@pytest.mark.parametrize("name", ["humaneval", "humaneval-plus", "mbpp-plus"])
async def test_no_hidden_test_reaches_a_prompt_or_the_verifier(
    name: str, profile: str, tmp_path: Path
) -> None:
    bench = load_benchmark(name)
    tasks = bench.tasks[:3]
    chat = ScriptedChatModel(respond=respond)
    in_loop, judge_box = Recorder(), Recorder()
    outcome = await run_benchmark(
        run="fw", benchmark=bench, tasks=tasks, policy="pat",
        generator=RoleModel(chat, "recorder"), db_path=tmp_path / "fw.sqlite",
        budgets={"n_samples": 1, "plan_rounds": 1, "max_depth": 1, "profile": profile},
        sandbox=in_loop, judge_sandbox=judge_box, concurrency=3, progress=False,
    )  # fmt: skip
    assert outcome.done + outcome.errored == len(tasks)
    assert chat.calls_for("plan"), "PaT never planned, so planner prompts went unchecked"
    prompts = "\n".join(str(m.content) for call in chat.calls for m in call.messages)
    verifier = "\n".join(in_loop.seen)
    judged = "\n".join(judge_box.seen)
    for task in tasks:
        prints = hidden_fingerprints(task)
        assert prints, f"{task.task_id}: nothing hidden to look for"
        assert task.problem.prompt.strip()[:60] in prompts  # the scan sees this task's prompts
        leaked = sorted(p for p in prints if p in prompts)
        assert not leaked, f"{task.task_id}: hidden text in a prompt: {leaked[:3]}"
        ran = sorted(p for p in prints if p in verifier)
        assert not ran, f"{task.task_id}: hidden text given to the in-loop verifier: {ran[:3]}"
        # Positive control: the judge did receive hidden material (of the tests, not the
        # canonical solution, which is not passed to the judge's sandbox for every benchmark).
        assert any(p in judged for p in prints), f"{task.task_id}: the scan found nothing"
