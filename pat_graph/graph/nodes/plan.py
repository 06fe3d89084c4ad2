"""The planner rewrites the function as a body that calls new helper stubs (only after a failed
trial under PaT; first thing under PbT). Answers that cannot be parsed are retried."""

from __future__ import annotations

import ast
from dataclasses import asdict
from typing import Any

from pat_graph.graph import prompts
from pat_graph.graph.nodes.asking import ask_until_usable
from pat_graph.graph.nodes.deps import Deps, as_node
from pat_graph.program import parse as codeparse
from pat_graph.program.preamble import DEFAULT_IMPORTS


def plan_node(defaults: Deps):
    async def plan(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        if deps.planner is None:
            return {"status": "plan_failed"}
        budgets = deps.budgets
        problem = state["problem"]
        round_no = state.get("round", 0) + 1
        entry = problem.get("entry_point") or "main"
        signature = None
        if problem.get("kind") != "stdio":
            signature = codeparse.target_signature(problem["prompt"], entry)
        helpers = state.get("helpers") or {}
        known = {name for name, h in helpers.items() if h.get("code")}
        skip = set(known)
        if budgets.helper_bodies == "trial":
            # Paper: functions that already exist (the statement's, the ancestors', helpers
            # of earlier rounds) are never helpers again; every other function is one.
            # A helper tried in an earlier round is not tried again, even if it failed.
            skip |= set(helpers) | _defined(problem) | set(problem.get("ancestor_names") or ())
        # Paper (items 2, 7): the helpers implemented so far are shown as code; strict: headers.
        field = "code" if budgets.helper_context == "code" else "header"
        known_helpers = [_shown(helpers[name][field]) for name in sorted(known)]
        best = state.get("best")
        ledger: list[dict[str, Any]] = []
        while True:
            messages = prompts.plan_messages(
                problem,
                attempt=best["code"] if best else None,
                failures=best.get("failures", []) if best else [],
                known_helpers=known_helpers,
                round_no=round_no,
                after_failure=deps.policy == "pat",
                feedback=budgets.planner_feedback,
                style=prompts.style_of(budgets),
            )
            parsed, entries = await ask_until_usable(
                deps.planner,
                messages,
                lambda text: codeparse.parse_plan(
                    text, entry, signature, skip, budgets.helper_bodies
                ),
                tries=budgets.parse_retries,
                temperature=budgets.plan_temperature,
                role="planner",
                purpose="plan",
                depth=state.get("depth", 0),
            )
            ledger += entries
            if parsed is not None:
                break
            # Paper (item 4): an answer unparsable after the retries uses up the round and
            # planning goes on; strict: planning ends here. The loop stays inside this node so
            # the only way into `plan` is still the edge out of `verify`.
            if budgets.on_parse_failure != "next_round" or round_no >= budgets.plan_rounds:
                return {"round": round_no, "plan": None, "status": "plan_failed", "ledger": ledger}
            round_no += 1
        return {
            "round": round_no,
            "plan": {"code": parsed.code, "stubs": [asdict(s) for s in parsed.stubs]},
            "status": "planned",
            "ledger": ledger,
        }

    return as_node(defaults, plan)


def _shown(code: str) -> str:
    """A helper as the planner sees it: without the default import block every program has."""
    return code.replace(DEFAULT_IMPORTS, "").strip()


def _defined(problem: dict[str, Any]) -> set[str]:
    """Functions the statement itself defines besides the target (HumanEval's `poly`, ...)."""
    if problem.get("kind") == "stdio" or not problem.get("entry_point"):
        return set()
    tree = codeparse.parse_module(
        codeparse.prompt_context(problem["prompt"], problem["entry_point"])
    )
    return {
        node.name
        for node in (tree.body if tree else [])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
