"""A task the judge cannot score fails alone; the other verdicts of the evaluation survive."""

from __future__ import annotations

import pytest

from pat_graph.benchmarks import evaluate as ev
from pat_graph.benchmarks.judge import Verdict
from pat_graph.benchmarks.types import Benchmark, Task
from pat_graph.errors import BenchmarkError
from pat_graph.problem import Problem


def _task(task_id: str) -> Task:
    problem = Problem(task_id, "def f():\n", "f", [], "function")
    return Task(problem=problem, dataset="humaneval", mode="differential", plus_inputs=[])


async def test_a_judge_error_fails_only_its_task(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_judge(task: Task, program: str, *, sandbox: object = None) -> Verdict:
        if task.task_id == "t/bad":
            raise BenchmarkError("reference solution timed out after 300s")
        return Verdict(base=True, plus=True)

    monkeypatch.setattr(ev, "judge", fake_judge)
    bench = Benchmark("b", "h", [_task("t/ok"), _task("t/bad")])
    rows = [{"task_id": "t/ok", "solution": "x"}, {"task_id": "t/bad", "solution": "x"}]
    result = await ev.evaluate_samples(bench, rows)
    assert result["per_task"] == {
        "t/ok": {"base": True, "plus": True},
        "t/bad": {"base": False, "plus": False},
    }
    assert result["pass_at_1"] == 0.5


@pytest.mark.parametrize(
    "error", [ValueError("Exceeds the limit (4300 digits)"), TypeError("x"), KeyError("k")]
)
async def test_any_exception_judging_one_sample_is_its_failed_verdict(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """Issue 19, class 4: not only BenchmarkError; whatever judging one sample raises is that
    sample's failed verdict with its reason, and the evaluation still ends with a result."""

    async def fake_judge(task: Task, program: str, *, sandbox: object = None) -> Verdict:
        if task.task_id == "t/bad":
            raise error
        return Verdict(base=True, plus=True)

    monkeypatch.setattr(ev, "judge", fake_judge)
    bench = Benchmark("b", "h", [_task("t/ok"), _task("t/bad")])
    rows = [{"task_id": "t/ok", "solution": "x"}, {"task_id": "t/bad", "solution": "x"}]
    result = await ev.evaluate_samples(bench, rows)
    assert result["per_task"]["t/bad"] == {"base": False, "plus": False}
    assert result["per_task"]["t/ok"] == {"base": True, "plus": True}
