"""The trial: the generator samples candidates; unusable ones are dropped, not verified.

Paper profile (item 6): the trial asks again, up to `trial_requests` requests of N samples each,
until it holds `min_trial_samples` usable candidates. Every candidate starts with the released
code's default imports when `default_imports` is on (item 8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pat_graph.graph import prompts
from pat_graph.graph.nodes.deps import Deps, as_node
from pat_graph.models.calls import sample
from pat_graph.program import parse as codeparse
from pat_graph.program.preamble import with_default_imports
from pat_graph.program.stdio import with_entry_call


@dataclass(frozen=True)
class Target:
    """What the statement says about the function to write, read once per node call."""

    kind: str
    entry_point: str | None
    signature: codeparse.Signature | None
    context: str
    imports: bool = False  # prefix the default import block (pat_graph.program.preamble)
    exclude: frozenset[str] = frozenset()  # ancestors a helper's answer may repeat: dropped

    @classmethod
    def of(cls, problem: dict[str, Any], imports: bool = False) -> Target:
        entry = problem.get("entry_point") or None
        if problem.get("kind") == "stdio" or entry is None:
            kind = "stdio" if problem.get("kind") == "stdio" else "function"
            return cls(kind, entry, None, "", imports)
        prompt = problem["prompt"]
        return cls(
            "function",
            entry,
            codeparse.target_signature(prompt, entry),
            codeparse.prompt_context(prompt, entry),
            imports,
            frozenset(problem.get("ancestor_names") or ()) - {entry},
        )

    def usable(self, text: str) -> str | None:
        """The candidate as the verifier runs it (the statement's own context first, then the
        code), or None when it does not define the target with its signature and a body."""
        code = codeparse.extract_code(text, self.entry_point)
        if code is None:
            return None
        if self.kind == "stdio":
            # A `main()` the answer defines but never calls is run, as the authors' judge does.
            code = with_entry_call(code, self.entry_point or "main")
            return with_default_imports(code) if self.imports else code
        tree = codeparse.parse_module(code)
        if self.entry_point is not None:
            fn = codeparse.find_function(tree, self.entry_point) if tree else None
            if fn is None or codeparse.is_stub(fn):
                return None  # missing, or the statement copied back without a body
            if self.signature is not None and codeparse.signature_of(fn) != self.signature:
                return None
        body = codeparse.clean_module(code, tree)
        if self.exclude and tree is not None:
            body = codeparse.remove_functions(body, set(self.exclude))
        program = f"{self.context}\n\n\n{body}" if self.context else body
        return with_default_imports(program) if self.imports else program


def generate_node(defaults: Deps):
    async def generate(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        problem = state["problem"]
        budgets = deps.budgets
        target = Target.of(problem, imports=budgets.default_imports)
        candidates: list[str] = []
        ledger: list[dict[str, Any]] = []
        sampled = 0
        messages = prompts.trial_messages(problem, prompts.style_of(budgets))
        for _ in range(budgets.trial_requests):
            texts, entries = await sample(
                deps.generator,
                messages,
                n=budgets.n_samples,
                temperature=budgets.trial_temperature,
                role="generator",
                purpose="trial",
                depth=state.get("depth", 0),
            )
            ledger += entries
            sampled += len(texts)
            parsed = {text: target.usable(text) for text in dict.fromkeys(texts)}
            candidates += [c for c in (parsed[t] for t in texts) if c]
            if len(candidates) >= budgets.wanted_trial_samples:
                break
        return {
            "phase": "trial",
            "candidates": candidates,
            "dropped": sampled - len(candidates),
            "trial_no": int(state.get("trial_no") or 0) + 1,
            "ledger": ledger,
        }

    return as_node(defaults, generate)
