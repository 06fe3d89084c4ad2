"""FunCoder's functional consensus: `build_tests` and `verify` of the `pbt` policy.

build_tests (after conquer): the generator is shown one candidate (picked with the run's seed,
as FunCoder picks one at random) and writes inputs: one-line calls, no expected values, one
request at `test_temperature`, asked again (`test_retries`) while no call can be read. A function
without parameters is simply called once, without a request. At the root the statement's
examples are unit tests besides (stdio samples; MBPP prompt asserts only with
`statement_tests_mbpp`); a stdio root gets no generated inputs (FunCoder's xCodeEval setting).

verify: every candidate runs on every unit test (`run_tests`) and every input (`run_calls`); the
scores are `pat_graph.graph.consensus.consensus_scores`, argmax with a seeded tie-break.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable
from typing import Any

from pat_graph.graph import prompts
from pat_graph.graph.consensus import Outcome, consensus_scores, pick, tie_break_rng
from pat_graph.graph.nodes.asking import ask_for_tests
from pat_graph.graph.nodes.build_tests import is_mbpp, statement_examples
from pat_graph.graph.nodes.deps import Deps, as_node
from pat_graph.graph.nodes.divide import target_name
from pat_graph.program import parse as codeparse
from pat_graph.program.doctests import example_tests
from pat_graph.sandbox.compare import same_output


def _extracts(problem: dict[str, Any], budgets: Any) -> bool:
    """Whether the root's examples are extracted by a request: a function statement that is not
    MBPP's (unless `statement_tests_mbpp`)."""
    if problem.get("kind") == "stdio":
        return False
    return budgets.statement_tests_mbpp or not is_mbpp(problem)


def statement_unit_tests(problem: dict[str, Any], statement_tests_mbpp: bool) -> list[Any]:
    """The root's unit tests: what the statement shows (never hidden tests). MBPP(+) gets none
    unless `statement_tests_mbpp` (FunCoder's MBPP setting has no unit tests at the root)."""
    visible = list(problem.get("tests") or [])
    if problem.get("kind") == "stdio":
        return visible
    if is_mbpp(problem) and not statement_tests_mbpp:
        return []
    examples = example_tests(problem["prompt"], problem["entry_point"])
    return visible + [t for t in examples if t not in visible]


def read_lines(
    text: str, prefix: str, read: Callable[[str], str | None], limit: int = 0
) -> list[str]:
    """What `read` makes of each line of a reply that starts with `prefix` (stripped; None drops
    the line, so a bad line loses only itself), from its fenced blocks or, with none, the whole
    reply; deduplicated, at most `limit` when limit > 0. CodeT's asserts and FunCoder's inputs
    are both read this way."""
    blocks = codeparse.fenced_blocks(text) or [text]
    found: list[str] = []
    for block in blocks:
        for line in block.splitlines():
            if not line.strip().startswith(prefix):
                continue
            item = read(line.strip())
            if item is not None and item not in found:
                found.append(item)
            if 0 < limit <= len(found):
                return found
    return found


def parse_calls(text: str, name: str, limit: int = 0) -> list[str]:
    """One-line calls `name(...)` from a reply, line by line (a bad line loses only itself),
    deduplicated; at most `limit` when limit > 0."""

    def call(line: str) -> str | None:
        try:
            expr = ast.parse(line, mode="eval").body
        except SyntaxError:
            return None
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == name:
            return ast.unparse(expr)
        return None

    return read_lines(text, f"{name}(", call, limit)


def _has_parameters(problem: dict[str, Any]) -> bool:
    fn = codeparse.find_function(problem["prompt"], target_name(problem))
    if fn is None:
        return True
    a = fn.args
    return bool(a.posonlyargs or a.args or a.vararg or a.kwonlyargs or a.kwarg)


def consensus_tests_node(defaults: Deps):
    async def build_tests(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        problem = state["problem"]
        depth = state.get("depth", 0)
        budgets = deps.budgets
        candidates = list(state.get("candidates") or [])
        unit: list[Any] = []
        ledger: list[dict[str, Any]] = []
        name = target_name(problem)
        conquered = state.get("status") == "conquered" and bool(candidates)
        shown = None
        if candidates:
            rng = tie_break_rng(budgets.seed, problem.get("task_id", ""), depth, "shown")
            shown = codeparse.function_source(rng.choice(candidates), name)
        if depth == 0 and budgets.example_parser == "llm" and _extracts(problem, budgets):
            # FunCoder extracts the root's examples with a generator request, as PaT does
            # (none when only the draft is left: then nothing is voted on).
            visible = list(problem.get("tests") or [])
            found: list[str] = []
            if conquered:
                found, ledger = await statement_examples(deps, problem, shown, depth)
            unit = visible + [t for t in found if t not in visible]
        elif depth == 0:
            unit = statement_unit_tests(problem, budgets.statement_tests_mbpp)
        calls: list[str] = []
        wants_inputs = problem.get("kind") != "stdio" and conquered
        if wants_inputs and not _has_parameters(problem):
            calls = [f"{name}()"]
        elif wants_inputs and shown is not None:
            messages = prompts.inputs_messages(
                name, shown, budgets.consensus_inputs, prompts.style_of(budgets)
            )
            calls, written = await ask_for_tests(
                deps,
                messages,
                lambda text: parse_calls(text, name, budgets.consensus_inputs),
                purpose="inputs",
                depth=depth,
            )
            ledger += written
        return {
            "tests": unit,
            "generated_tests": calls,
            "test_origin": {"unit": len(unit), "generated": len(calls)},
            "ledger": ledger,
        }

    return as_node(defaults, build_tests)


def consensus_verify_node(defaults: Deps):
    async def verify(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        problem = state["problem"]
        kind = problem.get("kind", "function")
        unit = list(state.get("tests") or [])
        calls = list(state.get("generated_tests") or [])
        candidates = list(state.get("candidates") or [])
        if not candidates:
            return {"best": None, "reports": [], "status": "final"}
        unique = list(dict.fromkeys(candidates))
        sandbox = deps.get_sandbox()
        entry = problem.get("entry_point") or None
        timeout = deps.budgets.timeout_s

        async def run(code: str) -> list[Outcome]:
            row: list[Outcome] = []
            if unit:
                report = await sandbox.run_tests(
                    code, unit, kind=kind, timeout_s=timeout, entry_point=entry
                )
                row += [Outcome(o.passed, True, unit=True) for o in report.outcomes]
            if calls:
                outs = await sandbox.run_calls(
                    code, calls, kind="function", timeout_s=timeout, entry_point=entry
                )
                row += [Outcome.of(o) for o in outs]
            return row

        rows_by_code = dict(
            zip(unique, await asyncio.gather(*(run(c) for c in unique)), strict=True)
        )
        rows = [rows_by_code[c] for c in candidates]
        scores = consensus_scores(rows, same=same_output)
        rng = tie_break_rng(deps.budgets.seed, problem.get("task_id", ""), state.get("depth", 0))
        chosen = pick(scores, rng)
        reports = [
            {
                "score": scores[i],
                "passed": sum(1 for o in row if o.unit and o.ok),
                "total": len(unit),
                "crashes": sum(1 for o in row if not o.ok),
            }
            for i, row in enumerate(rows)
        ]
        best = {
            "code": candidates[chosen],
            "origin": "divide" if chosen == 0 else f"conquer {chosen}",
            "unimplemented": list(state.get("unimplemented") or []),
            **reports[chosen],
            "failures": [],
        }
        return {"best": best, "reports": reports, "status": "chosen"}

    return as_node(defaults, verify)
