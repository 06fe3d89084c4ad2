"""Scores a finished program on a task's hidden tests, with EvalPlus semantics.

The judge is the only reader of a task's hidden half, and it decides every verdict on the host:
"differential" tasks (HumanEval+, MBPP+) send only the inputs into the sandbox (one run per
tier) and compare the outputs with the canonical solution's here, with EvalPlus's oracle;
"check" tasks run their hidden test code here, on the host, against proxies of the candidate's
functions (each call goes into the sandbox with plain arguments and comes back as a plain value),
and send call-style and stdio tests as inputs whose outputs are compared here. No hidden test and
no expected value ever enters the sandbox (docs/sandbox.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pat_graph.benchmarks.harness import judge_tier, tier_calls, tier_timeout
from pat_graph.benchmarks.reference import reference_outputs
from pat_graph.benchmarks.types import Task
from pat_graph.benchmarks.xcodeeval import judge_codeforces
from pat_graph.errors import BenchmarkError
from pat_graph.program.preamble import with_default_imports
from pat_graph.sandbox.base import DEFAULT_TIMEOUT_S, Sandbox, Test, TestOutcome, TestReport
from pat_graph.sandbox.proxy import run_proxied
from pat_graph.sandbox.runner import CallOptions, PooledSandbox
from pat_graph.sandbox.split import parse_literal

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


def _box(sandbox: Sandbox | None) -> Sandbox:
    from pat_graph.sandbox import get_sandbox  # imported late: the sandbox backends are optional

    return sandbox if sandbox is not None else get_sandbox("auto")


def _summary(report: TestReport) -> list[dict[str, Any]]:
    return [{"status": o.status, "message": o.message[:200]} for o in report.outcomes]


async def _judge_check(task: Task, program: str, sandbox: Sandbox | None) -> Verdict:
    """Hidden tests of "check" tasks, every verdict decided on the host: Python test sources (a
    HumanEval `check()`, MBPP-style asserts, a custom problem's tests) run here against the
    candidate through proxies (sandbox/proxy.py); call-style and stdio tests send their inputs
    and are compared here (sandbox/split.py)."""
    tests: list[Test] = list(task.hidden_tests)
    timeout_s = max(DEFAULT_TIMEOUT_S, CHECK_TIMEOUT_S if task.dataset == "humaneval" else 0)
    if task.time_limit_s is not None:  # the benchmark's own limit for all its tests together
        timeout_s = task.time_limit_s
    box = _box(sandbox)
    entry = task.problem.entry_point or None
    outcomes: list[TestOutcome | None] = [None] * len(tests)
    sources = [i for i, t in enumerate(tests) if isinstance(t, str)]
    if task.problem.kind == "function" and sources:
        verdicts = await run_proxied(
            box, program, [str(tests[i]) for i in sources], entry_point=entry,
            prelude=task.problem.prompt, timeout_s=timeout_s, budget_s=timeout_s,
        )  # fmt: skip
        for i, verdict in zip(sources, verdicts, strict=True):
            outcomes[i] = verdict
    rest = [i for i, o in enumerate(outcomes) if o is None]
    if rest:
        pooled = isinstance(box, PooledSandbox)
        budget = {"budget_s": task.time_limit_s} if task.time_limit_s is not None else {}
        extra = {"options": CallOptions(stop_on_error=True, **budget)} if pooled else {}
        report = await box.run_tests(
            program, [tests[i] for i in rest], kind=task.problem.kind, timeout_s=timeout_s,
            entry_point=entry, **extra,
        )  # fmt: skip
        for i, outcome in zip(rest, report.outcomes, strict=False):
            outcomes[i] = outcome
    final = TestReport(tuple(o or TestOutcome("error", "no verdict") for o in outcomes))
    passed = final.passed and final.n_total == len(tests)
    return Verdict(base=passed, plus=None, details={"base": _summary(final)})


def _expected_values(sources: list[str], digests: dict[str, str]) -> list[Any]:
    """The canonical outputs as Python values, parsed (never evaluated) on the host."""
    return [None if str(i) in digests else parse_literal(src) for i, src in enumerate(sources)]


async def _judge_differential(task: Task, program: str, sandbox: Sandbox | None) -> Verdict:
    ref = await reference_outputs(task, task.data_hash)
    tiers = [("base", task.base_inputs or [], ref.base, ref.base_time, ref.base_digest)]
    if task.plus_inputs is not None:
        tiers.append(("plus", task.plus_inputs, ref.plus, ref.plus_time, ref.plus_digest))
    box = _box(sandbox)
    entry = task.problem.entry_point
    details: dict[str, Any] = {}
    passed: dict[str, bool] = {}
    for tier, inputs, expected_src, times, digests in tiers:
        if tier == "plus" and not passed["base"]:
            details[tier] = "skipped: base failed"  # plus counts only with base, as in EvalPlus
            passed[tier] = False
            continue
        expected = _expected_values(expected_src, digests)
        for attempt in range(1 + TIME_LIMIT_RETRIES):
            if attempt:
                # Lost only to the clock: time the canonical solution again under the machine's
                # present load and allow whichever reference time is larger, input by input.
                now = await reference_outputs(task, task.data_hash, fresh=True)
                fresh = now.base_time if tier == "base" else now.plus_time
                times = [max(a, b) for a, b in zip(times, fresh, strict=True)]
            calls = tier_calls(
                dataset=task.dataset, entry_point=entry, inputs=inputs, ref_times=times,
                digests=digests,
            )  # fmt: skip
            options = CallOptions(stop_on_error=True, budget_s=tier_timeout(times))
            if isinstance(box, PooledSandbox):
                outcomes = await box.run_calls(
                    program, calls, timeout_s=CHECK_TIMEOUT_S, entry_point=entry, options=options
                )
            else:
                outcomes = await box.run_calls(
                    program, calls, timeout_s=CHECK_TIMEOUT_S, entry_point=entry
                )
            result = judge_tier(
                tier=tier, dataset=task.dataset, entry_point=entry, inputs=inputs,
                expected=expected, digests=digests, atol=task.atol, outcomes=outcomes,
            )  # fmt: skip
            if not result.slow:
                break
        passed[tier] = result.passed
        details[tier] = [{"status": "pass" if result.passed else "fail", "message": result.message,
                          "timeout": result.slow, "input": result.failed_input}]  # fmt: skip
    plus = None if task.plus_inputs is None else passed["base"] and passed["plus"]
    return Verdict(base=passed["base"], plus=plus, details=details)


async def judge(task: Task, program: str, *, sandbox: Sandbox | None = None) -> Verdict:
    """Base and plus verdicts for one whole program (prompt included) on one task."""
    if task.judge_imports:  # the benchmark's own judge puts the default import block first
        program = with_default_imports(program)
    if task.mode == "differential":
        return await _judge_differential(task, program, sandbox)
    if task.mode == "codeforces":
        passed, why = await judge_codeforces(task, program, sandbox=_box(sandbox))
        return Verdict(passed, None, {"base": [{"status": "pass" if passed else "fail",
                                                "message": why}]})  # fmt: skip
    verdict = await _judge_check(task, program, sandbox)
    if task.plus_inputs is None:
        return verdict
    # Base from the task's own tests (mbpp-pat), plus from EvalPlus's base and plus inputs.
    if not verdict.base:
        return Verdict(False, False, {**verdict.details, "plus": "skipped: base failed"})
    try:
        evalplus = await _judge_differential(task, program, sandbox)
    except BenchmarkError as exc:  # the reference could not run: base still stands
        return Verdict(True, False, {**verdict.details, "plus": f"cannot be judged: {exc}"})
    return Verdict(True, bool(evalplus.plus), {**verdict.details, "evalplus": evalplus.details})
