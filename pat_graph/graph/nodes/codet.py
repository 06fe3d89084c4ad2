"""CodeT as FunCoder's codebase runs it: `build_tests` and `verify` of the `codet` policy.

The candidates are the trial's samples (`generate`, `n_samples` of them) plus the draft FunCoder's
runner always adds, which for CodeT is the statement's own function (a stub: it returns None, or
does nothing for a stdio program). build_tests (after generate): the generator is shown one
candidate, picked with the run's seed, and writes assert tests (one request at
`test_temperature`, asked again while none can be read). verify: each candidate's score is the
number of those asserts it passes (`pat_graph.graph.consensus.codet_scores`); argmax, seeded
tie-break.
A stdio problem has no function to assert on: its statement samples are the tests instead.
"""

from __future__ import annotations

import ast
from typing import Any

from pat_graph.graph import prompts
from pat_graph.graph.consensus import codet_scores, pick, tie_break_rng
from pat_graph.graph.nodes.asking import ask_for_tests
from pat_graph.graph.nodes.consensus import read_lines
from pat_graph.graph.nodes.deps import Deps, as_node
from pat_graph.graph.nodes.verify import run_each
from pat_graph.program import parse as codeparse
from pat_graph.program.preamble import with_default_imports


def parse_asserts(text: str, name: str, limit: int = 0) -> list[str]:
    """`assert name(...) ...` lines from a reply, line by line, deduplicated; at most `limit`
    when limit > 0 (FunCoder names no number and keeps every one)."""

    def assertion(line: str) -> str | None:
        try:
            stmt = ast.parse(line).body
        except SyntaxError:
            return None
        if len(stmt) == 1 and isinstance(stmt[0], ast.Assert):
            return ast.unparse(ast.Assert(test=stmt[0].test, msg=None))
        return None

    return read_lines(text, f"assert {name}(", assertion, limit)


def statement_stub(deps: Deps, problem: dict[str, Any]) -> str:
    """The draft CodeT's runner adds: the statement's function as given (no body)."""
    if problem.get("kind") == "stdio":
        return "pass\n"
    stub = problem["prompt"].rstrip() + "\n"
    if not codeparse.parses(stub):
        stub = f"def {problem['entry_point']}(*args, **kwargs):\n    return None\n"
    return with_default_imports(stub) if deps.budgets.default_imports else stub


def codet_tests_node(defaults: Deps):
    async def build_tests(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        problem = state["problem"]
        budgets = deps.budgets
        samples = list(state.get("candidates") or [])
        candidates = [statement_stub(deps, problem), *samples]
        if not samples:  # FunCoder's runner answers with the draft, writing no tests
            return {"candidates": candidates, "tests": [], "generated_tests": []}
        if problem.get("kind") == "stdio":
            visible = list(problem.get("tests") or [])
            return {
                "candidates": candidates,
                "tests": visible,
                "generated_tests": [],
                "test_origin": {"visible": len(visible), "generated": 0},
            }
        name = problem["entry_point"]
        rng = tie_break_rng(budgets.seed, problem.get("task_id", ""), "shown")
        messages = prompts.codet_tests_messages(
            name,
            codeparse.function_source(rng.choice(candidates), name),
            budgets.codet_tests,
            prompts.style_of(budgets),
        )
        tests, ledger = await ask_for_tests(
            deps,
            messages,
            lambda text: parse_asserts(text, name, budgets.codet_tests),
            purpose="tests",
            depth=state.get("depth", 0),
        )
        return {
            "candidates": candidates,
            "tests": tests,
            "generated_tests": tests,
            "test_origin": {"generated": len(tests)},
            "ledger": ledger,
        }

    return as_node(defaults, build_tests)


def codet_verify_node(defaults: Deps):
    async def verify(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        problem = state["problem"]
        tests = list(state.get("tests") or [])
        candidates = list(state.get("candidates") or [])
        reports = await run_each(deps, problem, candidates, tests)
        scores = codet_scores([[o.passed for o in reports[c].outcomes] for c in candidates])
        chosen = pick(scores, tie_break_rng(deps.budgets.seed, problem.get("task_id", "")))
        summaries = [{"passed": int(s), "total": len(tests)} for s in scores]
        best = None
        if chosen >= 0:
            origin = "statement stub" if chosen == 0 else f"sample {chosen}"
            best = {"code": candidates[chosen], "origin": origin, **summaries[chosen]}
            best["failures"] = []
        return {"best": best, "reports": summaries, "status": "chosen"}

    return as_node(defaults, verify)
