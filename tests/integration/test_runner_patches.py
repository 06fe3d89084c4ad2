"""The runner hands the solving loop the patched statement (the `benchmark_patches` knob), so a
benchmark's wrong docstring example never becomes an in-loop test; the judge's data stays as
shipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.models.roles import RoleModel
from pat_graph.runs.runner import run_benchmark
from pat_graph.testing import ScriptedChatModel, fenced

pytestmark = pytest.mark.integration

MEDIAN = """def median(l: list):
    l = sorted(l)
    if len(l) % 2 == 1:
        return l[len(l) // 2]
    return (l[len(l) // 2 - 1] + l[len(l) // 2]) / 2.0
"""


async def _trial_prompt(tmp_path: Path, patched: bool) -> str:
    bench = load_benchmark("humaneval")
    task = bench.by_id()["HumanEval/47"]
    chat = ScriptedChatModel(respond=lambda purpose, messages: fenced(MEDIAN))
    await run_benchmark(
        run=f"patched-{patched}",
        benchmark=bench,
        tasks=[task],
        policy="standard",
        generator=RoleModel(chat, "fake", 1.0, 1.0),
        budgets={"benchmark_patches": patched},
        db_path=tmp_path / "runs.sqlite",
        progress=False,
    )
    trials = chat.calls_for("trial")
    assert trials, "the scripted model was never asked for a trial"
    return str(trials[0].messages[-1].content)


async def test_runner_solves_the_patched_statement(tmp_path: Path) -> None:
    prompt = await _trial_prompt(tmp_path, patched=True)
    assert "8.0" in prompt and "15.0" not in prompt


async def test_patches_switched_off_show_the_statement_as_shipped(tmp_path: Path) -> None:
    prompt = await _trial_prompt(tmp_path, patched=False)
    assert "15.0" in prompt
