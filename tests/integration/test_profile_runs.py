"""Profiles travel with a run (issue 10): recorded with the full knob dict, shown by `report`,
and a resume under another profile or knob is refused, naming each differing knob."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.cli.parser import _parser
from pat_graph.errors import ConfigError
from pat_graph.graph.budgets import Budgets
from pat_graph.models.roles import RoleModel
from pat_graph.reporting.report import format_table, load_summaries
from pat_graph.runs.runner import run_benchmark
from tests.support.fake_server import scripted_model, write_benchmark

pytestmark = pytest.mark.integration

SMALL = {"n_samples": 2, "plan_rounds": 2, "max_depth": 1}


async def _run(bench, db: Path, budgets: dict) -> None:
    model = RoleModel(scripted_model(), "fake-gen", 1.0, 2.0)
    await run_benchmark(
        run="r1", benchmark=bench, tasks=bench.tasks[:1], policy="pat", generator=model,
        db_path=db, budgets=budgets, progress=False,
    )  # fmt: skip


async def test_profile_and_knobs_are_recorded_reported_and_checked_on_resume(tmp_path: Path):
    bench = load_benchmark(write_benchmark(tmp_path / "fake.jsonl", 1))
    db = tmp_path / "runs.sqlite"
    await _run(bench, db, {**SMALL, "profile": "strict"})
    [summary] = await load_summaries(db)
    assert summary["profile"] == "strict"
    assert set(summary["budgets"]) == {f.name for f in fields(Budgets)}
    assert summary["budgets"]["test_style"] == "assert"  # resolved, not just what was passed
    assert summary["knobs"] == SMALL  # what was set on top of the profile
    rows = dict(line.split(None, 1) for line in format_table([summary]).splitlines()[1:])
    assert rows["profile"] == "strict + max_depth=1, n_samples=2, plan_rounds=2"

    with pytest.raises(ConfigError) as refused:
        await _run(bench, db, SMALL)  # the default profile is paper
    message = str(refused.value)
    assert "budgets.profile: was 'strict', now 'paper'" in message
    assert "budgets.test_style: was 'assert', now 'call'" in message
    assert "budgets.planner_feedback: was True, now False" in message

    with pytest.raises(ConfigError, match=r"budgets\.planner_feedback: was True, now False"):
        await _run(bench, db, {**SMALL, "profile": "strict", "planner_feedback": False})
    [again] = await load_summaries(db)
    assert again["done"] == 1  # the refused invocations changed nothing


def test_run_takes_a_profile_flag():
    base = ["run", "--benchmark", "b", "--generator", "g", "--run", "r"]
    assert _parser().parse_args(base).profile is None  # budgets_for's default: paper
    assert _parser().parse_args([*base, "--profile", "strict"]).profile == "strict"
    with pytest.raises(SystemExit):
        _parser().parse_args([*base, "--profile", "fast"])
