"""The trial: the generator samples candidates; unusable ones are dropped, not verified."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pat_graph import codeparse, prompts
from pat_graph.llm import sample
from pat_graph.nodes.deps import Deps


@dataclass(frozen=True)
class Target:
    """What the statement says about the function to write, read once per node call."""

    kind: str
    entry_point: str | None
    signature: codeparse.Signature | None
    context: str

    @classmethod
    def of(cls, problem: dict[str, Any]) -> Target:
        entry = problem.get("entry_point") or None
        if problem.get("kind") == "stdio" or entry is None:
            return cls("stdio" if problem.get("kind") == "stdio" else "function", entry, None, "")
        prompt = problem["prompt"]
        return cls(
            "function",
            entry,
            codeparse.target_signature(prompt, entry),
            codeparse.prompt_context(prompt, entry),
        )

    def usable(self, text: str) -> str | None:
        """The candidate as the verifier runs it (the statement's own context first, then the
        code), or None when it does not define the target with its signature and a body."""
        code = codeparse.extract_code(text, self.entry_point)
        if code is None or self.kind == "stdio":
            return code
        tree = codeparse.parse_module(code)
        if self.entry_point is not None:
            fn = codeparse.find_function(tree, self.entry_point) if tree else None
            if fn is None or codeparse.is_stub(fn):
                return None  # missing, or the statement copied back without a body
            if self.signature is not None and codeparse.signature_of(fn) != self.signature:
                return None
        body = codeparse.clean_module(code, tree)
        return f"{self.context}\n\n\n{body}" if self.context else body


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
        target = Target.of(problem)
        parsed = {text: target.usable(text) for text in dict.fromkeys(texts)}
        candidates = [c for c in (parsed[t] for t in texts) if c]
        return {
            "phase": "trial",
            "candidates": candidates,
            "dropped": len(texts) - len(candidates),
            "ledger": ledger,
        }

    return generate
