"""One helper stub, solved by the same policy one level deeper (it gets a trial first, and is
planned only if its trial fails). Runs once per stub through Send, so helpers run concurrently."""

from __future__ import annotations

import ast
from typing import Any

from pat_graph.graph.nodes.deps import Deps, as_node
from pat_graph.models.calls import current_config
from pat_graph.program import parse as codeparse

MAX_CONTEXT_CHARS = 3000


def helper_problem(
    helper: dict[str, Any],
    parent: dict[str, Any],
    plan_code: str = "",
    helper_context: str = "statement",
) -> dict[str, Any]:
    """The helper as a problem of its own.

    helper_context="statement" (strict): the root statement is shown as prose context.
    helper_context="code" (paper, item 7): the current code is shown instead: every ancestor with
    the planner's body, root first, then the stub; the helper's answer may not redefine them.
    """
    context = ""
    if parent.get("kind") != "stdio":
        context = codeparse.prompt_context(parent["prompt"], parent["entry_point"])
    prompt = f"{context}\n\n\n{helper['header']}" if context else helper["header"]
    problem: dict[str, Any] = {
        "task_id": f"{parent.get('task_id') or 'problem'}::{helper['name']}",
        "prompt": prompt,
        "entry_point": helper["name"],
        "tests": [],
        "kind": "function",
    }
    if helper_context == "code":
        chain = [str(parent.get("ancestors") or "").strip(), plan_code.strip()]
        ancestors = "\n\n\n".join(part for part in chain if part)
        tree = codeparse.parse_module(ancestors)
        names = [
            node.name
            for node in (tree.body if tree else [])
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        problem["ancestors"] = ancestors
        problem["ancestor_names"] = sorted(set(names) - {helper["name"]})
    else:
        problem["context"] = str(parent.get("prompt") or "").strip()[:MAX_CONTEXT_CHARS]
    return problem


def implement_helper_node(defaults: Deps):
    async def implement_helper(task: dict[str, Any], deps: Deps) -> dict[str, Any]:
        helper = task["helper"]
        depth = task["depth"]
        record: dict[str, Any] = {"header": helper["header"], "depth": depth}
        if depth >= deps.budgets.max_depth and not deps.budgets.trial_at_max_depth:
            # Paper (item 5): a node at the depth limit is never implemented; the composition
            # gets a stub that raises, so the loss shows in verification.
            record.update(code=None, verified=False, passed=0, total=0, skipped="max_depth")
            return {"helpers": {helper["name"]: record}}
        problem = helper_problem(
            helper, task["parent"], task.get("plan_code") or "", deps.budgets.helper_context
        )
        # The node's config makes it a subgraph run (checkpoint namespace, streams, callbacks);
        # the context is handed on explicitly, as it is not checkpointed.
        out = await deps.child_graph().ainvoke(
            {"problem": problem, "depth": depth}, current_config(), context=deps.context
        )
        final = out.get("final") or {}
        record.update(
            code=final.get("code") or None,
            verified=bool(final.get("verified")),
            passed=final.get("passed", 0),
            total=final.get("total", 0),
        )
        return {"helpers": {helper["name"]: record}, "ledger": out.get("ledger", [])}

    return as_node(defaults, implement_helper)
