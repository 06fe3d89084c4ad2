"""The planner rewrites the function as a body that calls new helper stubs (only after a failed
trial under PaT; first thing under PbT). Answers that cannot be parsed are retried."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pat_graph import codeparse, prompts
from pat_graph.llm import sample
from pat_graph.nodes.deps import Deps


def plan_node(deps: Deps):
    async def plan(state: dict[str, Any]) -> dict[str, Any]:
        if deps.planner is None:
            return {"status": "plan_failed"}
        problem = state["problem"]
        round_no = state.get("round", 0) + 1
        entry = problem.get("entry_point") or "main"
        signature = None
        if problem.get("kind") != "stdio":
            signature = codeparse.target_signature(problem["prompt"], entry)
        helpers = state.get("helpers") or {}
        known = {name for name, h in helpers.items() if h.get("code")}
        best = state.get("best")
        messages = prompts.plan_messages(
            problem,
            attempt=best["code"] if best else None,
            failures=best["failures"] if best else [],
            known_helpers=[helpers[name]["header"] for name in sorted(known)],
            round_no=round_no,
            after_failure=deps.policy == "pat",
        )
        ledger: list[dict[str, Any]] = []
        parsed = None
        for _ in range(deps.budgets.parse_retries):
            texts, entries = await sample(
                deps.planner,
                messages,
                n=1,
                temperature=deps.budgets.plan_temperature,
                role="planner",
                purpose="plan",
                depth=state.get("depth", 0),
            )
            ledger += entries
            parsed = codeparse.parse_plan(texts[0] if texts else "", entry, signature, known)
            if parsed is not None:
                break
        if parsed is None:
            return {"round": round_no, "plan": None, "status": "plan_failed", "ledger": ledger}
        return {
            "round": round_no,
            "plan": {"code": parsed.code, "stubs": [asdict(s) for s in parsed.stubs]},
            "status": "planned",
            "ledger": ledger,
        }

    return plan
