"""Scores a finished program on a task's hidden tests, with EvalPlus semantics.

The judge is the only reader of a task's hidden half, and it decides every verdict on the host:
"differential" tasks (HumanEval+, MBPP+) send only the inputs into the sandbox (one run per
tier) and compare the outputs with the canonical solution's here, with EvalPlus's oracle;
"check" tasks run their hidden tests through `run_tests`, which splits every test it can into a
call (sent) and an expected value (kept here). HumanEval's `check()` harness is first taken apart
into its assert lines when it consists of nothing else; the harnesses that do not run inside as
one test, and a candidate written against pat-graph could forge those (docs/sandbox.md).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from pat_graph.benchmarks.harness import judge_tier, tier_calls, tier_timeout
from pat_graph.benchmarks.reference import reference_outputs
from pat_graph.benchmarks.types import Task
from pat_graph.benchmarks.xcodeeval import judge_codeforces
from pat_graph.errors import BenchmarkError
from pat_graph.program.preamble import with_default_imports
from pat_graph.sandbox.base import DEFAULT_TIMEOUT_S, Sandbox, Test, TestReport
from pat_graph.sandbox.runner import CallOptions, PooledSandbox
from pat_graph.sandbox.split import NotLiteral, parse_literal, split_source

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


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return (
            ast.copy_location(ast.Name(self.new, node.ctx), node) if node.id == self.old else node
        )


def humaneval_asserts(harness: str, entry_point: str) -> list[str] | None:
    """HumanEval's `check(candidate)` as one assert test per line (candidate renamed to the
    entry point), when the harness is nothing but imports, METADATA, asserts that split, and
    the final `check(...)` call; None when any of it must run inside."""
    try:
        tree = ast.parse(harness)
    except SyntaxError:
        return None
    setup: list[str] = []
    tests: list[str] = []
    checks = 0
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            setup.append(ast.unparse(stmt))
        elif _harness_noise(stmt, entry_point):
            continue
        elif isinstance(stmt, ast.FunctionDef) and stmt.name == "check" and not checks:
            checks += 1
            args = stmt.args.args
            if len(args) != 1 or stmt.decorator_list:
                return None
            rename = _Rename(args[0].arg, entry_point)
            for inner in stmt.body:
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    setup.append(ast.unparse(inner))
                elif isinstance(inner, ast.Assert):
                    tests.append(ast.unparse(rename.visit(inner)))
                elif isinstance(inner, ast.Pass) or (
                    isinstance(inner, ast.Expr) and isinstance(inner.value, ast.Constant)
                ):
                    continue
                else:
                    return None
        else:
            return None
    if not checks:
        return None
    prefix = "".join(line + "\n" for line in setup)
    tests = [prefix + t for t in tests]
    if any(split_source(t) is None for t in tests if not _trivially_true(t)):
        return None
    return [t for t in tests if not _trivially_true(t)]


def _harness_noise(stmt: ast.stmt, entry_point: str) -> bool:
    """METADATA, docstrings and the final `check(entry)` call: nothing to judge in them."""
    if isinstance(stmt, ast.Assign):
        return [ast.unparse(t) for t in stmt.targets] == ["METADATA"]
    if isinstance(stmt, ast.Expr):
        value = stmt.value
        return isinstance(value, ast.Constant) or ast.unparse(value) == f"check({entry_point})"
    return False


def _trivially_true(test: str) -> bool:
    stmt = ast.parse(test).body[-1]
    if not isinstance(stmt, ast.Assert):
        return False
    try:
        return bool(parse_literal(stmt.test))
    except NotLiteral:
        return False


async def _judge_check(task: Task, program: str, sandbox: Sandbox | None) -> Verdict:
    tests: list[Test] = list(task.hidden_tests)
    timeout_s = max(DEFAULT_TIMEOUT_S, CHECK_TIMEOUT_S if task.dataset == "humaneval" else 0)
    options = CallOptions(stop_on_error=True)
    if task.time_limit_s is not None:  # the benchmark's own limit for all its tests together
        timeout_s = task.time_limit_s
        options = CallOptions(stop_on_error=True, budget_s=task.time_limit_s)
    if task.dataset == "humaneval" and len(tests) == 1 and isinstance(tests[0], str):
        asserts = humaneval_asserts(tests[0], task.problem.entry_point)
        if asserts:
            # The whole check() had CHECK_TIMEOUT_S; its asserts share that budget.
            tests, options = list(asserts), CallOptions(stop_on_error=True, budget_s=timeout_s)
    box = _box(sandbox)
    extra = {"options": options} if isinstance(box, PooledSandbox) else {}
    report = await box.run_tests(
        program,
        tests,
        kind=task.problem.kind,
        timeout_s=timeout_s,
        entry_point=task.problem.entry_point or None,
        **extra,
    )
    passed = report.passed and report.n_total == len(tests)
    return Verdict(base=passed, plus=None, details={"base": _summary(report)})


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
        details[tier] = [{"status": "pass" if result.passed else "fail", "message": result.message}]
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
