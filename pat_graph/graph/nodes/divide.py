"""FunCoder's divide (the `plan` node of the `pbt` policy): write the function once, and declare
new helper functions only if it is too hard (optional, unlike PaT's mandatory decomposition).

One sample at `divide_temperature`, asked again while the answer is unusable (`divide_retries`).
Every new function of the answer becomes a helper node solved one level deeper, implemented or
not, as in FunCoder's released code (an implemented helper is shown with its body and written
again there). A node at depth >= `max_depth` is never written (FunCoder's depth limit).
"""

from __future__ import annotations

import ast
from typing import Any

from pat_graph.graph import prompts
from pat_graph.graph.nodes.asking import ask_until_usable
from pat_graph.graph.nodes.deps import Deps, as_node
from pat_graph.program import parse as codeparse


def target_name(problem: dict[str, Any]) -> str:
    """The function a node writes: the entry point, or `main()` for a stdio program."""
    return problem.get("entry_point") or "main"


def target_docstring(problem: dict[str, Any]) -> str:
    if problem.get("kind") == "stdio":
        return ""
    fn = codeparse.find_function(problem["prompt"], target_name(problem))
    return codeparse.docstring_of(fn) if fn is not None else ""


def known_names(problem: dict[str, Any]) -> set[str]:
    """Functions the node must not write again: those its statement, context and ancestors
    define (FunCoder never writes a visited function twice)."""
    names: set[str] = set(problem.get("ancestor_names") or ())
    for src in (problem.get("prompt"), problem.get("context"), problem.get("ancestors")):
        tree = codeparse.parse_module(src or "")
        if tree is not None:
            names |= {
                n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            }
    names.discard(target_name(problem))
    return names


def parse_divide(text: str, problem: dict[str, Any], known: set[str]) -> dict[str, Any] | None:
    """{"code": the target (and what else the answer keeps), "stubs": [new functions]}, or None
    when the answer does not define the target with a body. A different signature is accepted,
    as FunCoder's one-sample divide takes its first answer even then (its tests will show it)."""
    name = target_name(problem)
    src = codeparse.extract_code(text, name)
    tree = codeparse.parse_module(src) if src is not None else None
    if src is None or tree is None:
        return None
    target = codeparse.find_function(tree, name)
    if target is None or codeparse.is_stub(target):
        return None
    stubs: list[dict[str, str]] = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name == name or node.name in known or any(s["name"] == node.name for s in stubs):
            continue
        # A stub's statement is its header; an implemented helper is shown as written.
        header = (
            codeparse.header_of(src, node)
            if codeparse.is_stub(node)
            else (ast.get_source_segment(src, node) or codeparse.header_of(src, node))
        )
        stubs.append(
            {"name": node.name, "header": header, "docstring": codeparse.docstring_of(node)}
        )
    # Known functions the answer repeats are dropped too (FunCoder skips visited names).
    code = codeparse.remove_functions(src, {s["name"] for s in stubs} | known, tree)
    code = codeparse.clean_module(code)
    return {"code": code, "stubs": stubs}


def divide_node(defaults: Deps):
    async def divide(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        problem = state["problem"]
        depth = state.get("depth", 0)
        budgets = deps.budgets
        if depth >= budgets.max_depth:
            return {"status": "too_deep", "plan": None}
        model = deps.planner or deps.generator
        messages = prompts.divide_messages(
            problem, target_docstring(problem), prompts.style_of(budgets)
        )
        known = known_names(problem)
        parsed, ledger = await ask_until_usable(
            model,
            messages,
            lambda text: parse_divide(text, problem, known),
            tries=budgets.divide_retries,
            temperature=budgets.divide_temperature,
            role="planner",
            purpose="divide",
            depth=depth,
        )
        if parsed is None:
            return {"status": "divide_failed", "plan": None, "ledger": ledger}
        return {"status": "divided", "plan": parsed, "round": 1, "ledger": ledger}

    return as_node(defaults, divide)
