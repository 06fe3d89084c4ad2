"""One helper stub, solved by the same policy one level deeper (it gets a trial first, and is
planned only if its trial fails). Runs once per stub through Send, so helpers run concurrently."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from pat_graph import codeparse
from pat_graph.nodes.deps import Deps

MAX_CONTEXT_CHARS = 3000


def helper_problem(helper: dict[str, Any], parent: dict[str, Any]) -> dict[str, Any]:
    context = ""
    if parent.get("kind") != "stdio":
        context = codeparse.prompt_context(parent["prompt"], parent["entry_point"])
    prompt = f"{context}\n\n\n{helper['header']}" if context else helper["header"]
    return {
        "task_id": f"{parent.get('task_id') or 'problem'}::{helper['name']}",
        "prompt": prompt,
        "entry_point": helper["name"],
        "tests": [],
        "kind": "function",
        "context": str(parent.get("prompt") or "").strip()[:MAX_CONTEXT_CHARS],
    }


def implement_helper_node(deps: Deps):
    async def implement_helper(task: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        helper = task["helper"]
        problem = helper_problem(helper, task["parent"])
        out = await deps.child_graph().ainvoke({"problem": problem, "depth": task["depth"]}, config)
        final = out.get("final") or {}
        record = {
            "code": final.get("code") or None,
            "verified": bool(final.get("verified")),
            "header": helper["header"],
            "depth": task["depth"],
            "passed": final.get("passed", 0),
            "total": final.get("total", 0),
        }
        return {"helpers": {helper["name"]: record}, "ledger": out.get("ledger", [])}

    return implement_helper
