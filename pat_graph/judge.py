"""Scores a finished program on a task's hidden tests, with EvalPlus semantics.

The judge is the only reader of a task's hidden half. It runs everything through the sandbox:
"check" tasks run their hidden tests directly; "differential" tasks (HumanEval+, MBPP+) compare
the candidate's outputs with the canonical solution's on every input, one sandbox run per tier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pat_graph.benchmarks.harness import tier_source, tier_timeout
from pat_graph.benchmarks.reference import reference_outputs
from pat_graph.benchmarks.types import Task
from pat_graph.sandbox.base import DEFAULT_TIMEOUT_S, Sandbox, Test, TestReport

CHECK_TIMEOUT_S = 20.0  # a whole check() harness or one APPS/custom test
TIME_LIMIT_RETRIES = 1


@dataclass(frozen=True)
class Verdict:
    """`plus` follows EvalPlus: it is True only when the base AND the plus tests pass."""

    base: bool
    plus: bool | None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "plus": self.plus, "details": self.details}


async def _run_tests(
    code: str,
    tests: Sequence[Test],
    *,
    kind: str,
    timeout_s: float,
    sandbox: Sandbox | None,
    entry_point: str | None,
) -> TestReport:
    from pat_graph.sandbox import run_tests  # imported late: the sandbox backends are optional

    return await run_tests(
        code, list(tests), kind=kind, timeout_s=timeout_s, sandbox=sandbox, entry_point=entry_point
    )


def _only_slow(report: TestReport) -> bool:
    """A tier lost only to the clock; on a shared, loaded machine that deserves one more try."""
    return any(
        o.status == "timeout" or (o.status == "fail" and "over the time limit" in o.message)
        for o in report.outcomes
    )


def _summary(report: TestReport) -> list[dict[str, Any]]:
    return [{"status": o.status, "message": o.message[:200]} for o in report.outcomes]


async def _judge_check(task: Task, program: str, sandbox: Sandbox | None) -> Verdict:
    report = await _run_tests(
        program,
        task.hidden_tests,
        kind=task.problem.kind,
        timeout_s=max(DEFAULT_TIMEOUT_S, CHECK_TIMEOUT_S if task.dataset == "humaneval" else 0),
        sandbox=sandbox,
        entry_point=task.problem.entry_point or None,
    )
    passed = report.passed and report.n_total == len(task.hidden_tests)
    return Verdict(base=passed, plus=None, details={"base": _summary(report)})


async def _judge_differential(task: Task, program: str, sandbox: Sandbox | None) -> Verdict:
    ref = await reference_outputs(task, task.data_hash)
    tiers = [("base", task.base_inputs or [], ref.base, ref.base_time, ref.base_digest)]
    if task.plus_inputs is not None:
        tiers.append(("plus", task.plus_inputs, ref.plus, ref.plus_time, ref.plus_digest))
    details: dict[str, Any] = {}
    passed: dict[str, bool] = {}
    for tier, inputs, expected, times, digests in tiers:
        if tier == "plus" and not passed["base"]:
            details[tier] = "skipped: base failed"  # plus counts only with base, as in EvalPlus
            passed[tier] = False
            continue
        for attempt in range(1 + TIME_LIMIT_RETRIES):
            if attempt:
                # Lost only to the clock: time the canonical solution again under the machine's
                # present load and allow whichever reference time is larger, input by input.
                now = await reference_outputs(task, task.data_hash, fresh=True)
                fresh = now.base_time if tier == "base" else now.plus_time
                times = [max(a, b) for a, b in zip(times, fresh, strict=True)]
            source = tier_source(
                tier=tier,
                dataset=task.dataset,
                entry_point=task.problem.entry_point,
                inputs=inputs,
                expected_src=expected,
                ref_times=times,
                atol=task.atol,
                digests=digests,
            )
            report = await _run_tests(
                program,
                [source],
                kind="function",
                timeout_s=tier_timeout(times),
                sandbox=sandbox,
                entry_point=task.problem.entry_point,
            )
            if not _only_slow(report):
                break
        passed[tier] = report.passed and report.n_total == 1
        details[tier] = _summary(report)
    plus = None if task.plus_inputs is None else passed["base"] and passed["plus"]
    return Verdict(base=passed["base"], plus=plus, details=details)


async def judge(task: Task, program: str, *, sandbox: Sandbox | None = None) -> Verdict:
    """Base and plus verdicts for one whole program (prompt included) on one task."""
    if task.mode == "differential":
        return await _judge_differential(task, program, sandbox)
    return await _judge_check(task, program, sandbox)
