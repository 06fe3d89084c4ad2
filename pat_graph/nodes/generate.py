"""The trial: the generator samples candidates; unusable ones are dropped, not verified."""

from __future__ import annotations

from typing import Any

from pat_graph import codeparse, prompts
from pat_graph.llm import sample
from pat_graph.nodes.deps import Deps


def program_for(problem: dict[str, Any], code: str) -> str:
    """A candidate as the verifier runs it: the statement's own context first, then the code."""
    if problem.get("kind") == "stdio":
        return code
    context = codeparse.prompt_context(problem["prompt"], problem["entry_point"])
    body = codeparse.clean_module(code)
    return f"{context}\n\n\n{body}" if context else body


def usable_candidate(problem: dict[str, Any], text: str) -> str | None:
    entry = problem.get("entry_point") or None
    if problem.get("kind") == "stdio":
        return codeparse.extract_code(text, entry)
    code = codeparse.extract_code(text, entry)
    if code is None:
        return None
    signature = codeparse.target_signature(problem["prompt"], problem["entry_point"])
    if not codeparse.defines_target(code, problem["entry_point"], signature):
        return None
    return program_for(problem, code)


def generate_node(deps: Deps):
    async def generate(state: dict[str, Any]) -> dict[str, Any]:
        problem = state["problem"]
        budgets = deps.budgets
        texts, ledger = await sample(
            deps.generator,
            prompts.trial_messages(problem),
            n=budgets.n_samples,
            temperature=budgets.trial_temperature,
            role="generator",
            purpose="trial",
            depth=state.get("depth", 0),
        )
        candidates = [c for c in (usable_candidate(problem, t) for t in texts) if c]
        return {
            "phase": "trial",
            "candidates": candidates,
            "dropped": len(texts) - len(candidates),
            "ledger": ledger,
        }

    return generate
