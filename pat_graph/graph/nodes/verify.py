"""Run candidates against the in-loop tests in the sandbox and decide what happens next.

The decision is written as `status`, so routers only read it: passed, failed (plan next),
plateau / exhausted (planning stops), final (this node may not plan).
"""

from __future__ import annotations

import asyncio
from typing import Any

from pat_graph.graph.nodes.deps import Deps, as_node
from pat_graph.sandbox.base import TestReport

MAX_FAILURES_KEPT = 5
MAX_MESSAGE_CHARS = 300


def _summary(report: TestReport, tests: list[Any]) -> dict[str, Any]:
    failures = [
        {"test": tests[i], "status": o.status, "message": o.message[:MAX_MESSAGE_CHARS]}
        for i, o in enumerate(report.outcomes)
        if not o.passed
    ][:MAX_FAILURES_KEPT]
    return {"passed": report.n_passed, "total": report.n_total, "failures": failures}


async def run_each(
    deps: Deps, problem: dict[str, Any], candidates: list[str], tests: list[Any]
) -> dict[str, TestReport]:
    """Every distinct candidate run on the tests in the sandbox, concurrently (a program sampled
    twice runs once); the reports by program. Shared with CodeT's verify."""
    unique = list(dict.fromkeys(candidates))
    sandbox = deps.get_sandbox()
    reports = await asyncio.gather(
        *(
            sandbox.run_tests(
                code,
                tests,
                kind=problem.get("kind", "function"),
                timeout_s=deps.budgets.timeout_s,
                entry_point=problem.get("entry_point") or None,
            )
            for code in unique
        )
    )
    return dict(zip(unique, reports, strict=True))


def can_plan(deps: Deps, depth: int) -> bool:
    return (
        deps.policy in ("pat", "pbt")
        and deps.planner is not None
        and depth < deps.budgets.max_depth
    )


def verify_node(defaults: Deps):
    async def verify(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        tests = list(state.get("tests") or [])
        candidates = list(state.get("candidates") or [])
        reports = await run_each(deps, state["problem"], candidates, tests)
        by_code = {code: _summary(report, tests) for code, report in reports.items()}
        summaries = [by_code[c] for c in candidates]
        depth = state.get("depth", 0)
        update: dict[str, Any] = {"reports": summaries}
        if state.get("phase") == "plan":
            update.update(_after_composition(deps, state, candidates, summaries))
        else:
            update.update(_after_trial(deps, depth, candidates, summaries, len(tests)))
        return update

    return as_node(defaults, verify)


def _after_trial(
    deps: Deps, depth: int, candidates: list[str], summaries: list[dict[str, Any]], n_tests: int
) -> dict[str, Any]:
    best = None
    if candidates:
        i = pick(summaries, deps.budgets.trial_tie_break, n_tests)
        best = {"code": candidates[i], "origin": "trial", **summaries[i]}
    if best is not None and best["passed"] == n_tests:
        status = "passed"
    elif can_plan(deps, depth):
        status = "failed"
    else:
        status = "final"
    return {"best": best, "status": status}


def pick(summaries: list[dict[str, Any]], tie_break: str, n_tests: int) -> int:
    """The candidate passing most tests. Ties go to the earliest sample (strict) or, as the
    released code's `>=` scan does, to the latest (paper, item 6); with no test at all the
    released code takes the first sample, and so does this."""
    order = range(len(summaries))
    if n_tests == 0:
        return 0
    if tie_break == "later":
        return max(order, key=lambda k: (summaries[k]["passed"], k))
    return max(order, key=lambda k: (summaries[k]["passed"], -k))


def _after_composition(
    deps: Deps, state: dict[str, Any], candidates: list[str], summaries: list[dict[str, Any]]
) -> dict[str, Any]:
    current = {
        "code": candidates[0],
        "origin": f"round {state.get('round', 1)}",
        "unimplemented": list(state.get("unimplemented") or []),
        **summaries[0],
    }
    previous = state.get("scores", [])
    scores = [*previous, current["passed"]]
    best = state.get("best")
    budgets = deps.budgets
    plateau = bool(previous) and _plateau(budgets.plateau_rule, current["passed"], previous[-1])
    if budgets.answer_after_planning == "best":
        # strict: the argmax over the trial and every composition
        if best is None or current["passed"] > best["passed"]:
            best = current
    elif not (plateau and current["passed"] < current["total"]):
        # paper (item 3): once planned, the answer is a composition: this round's, except on a
        # plateau, where the previous round's (already `best`) is kept
        best = current
    if current["passed"] == current["total"]:
        status = "passed"
    elif state.get("round", 1) >= budgets.plan_rounds:
        status = "exhausted"
    elif plateau:
        status = "plateau"
    else:
        status = "failed"
    return {"best": best, "scores": scores, "status": status}


def _plateau(rule: str, score: int, previous: int) -> bool:
    """Paper (item 4): stop when 0 < p <= p_prev (a drop to 0 plans again). Strict: stop when
    the previous round passed something and this round passes no more."""
    if rule == "paper":
        return 0 < score <= previous
    return previous > 0 and score <= previous
