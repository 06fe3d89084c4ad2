"""FunCoder's conquer (the `generate` node of the `pbt` policy): once the helpers are written,
re-sample the function `conquer_samples` times at `conquer_temperature`, shown the implemented
helpers and its own stub, and put the divide draft first: 1 + 10 candidates in the shipped setting.

Runs at every node, leaves included (FunCoder's `opt_refine_leaf=True`). A request is repeated
(at most `conquer_retries` requests) until `conquer_min_samples` usable samples are in hand, and
the whole conquer is tried again while it produced nothing usable (FunCoder's runner: at most
int(1.8 * conquer_samples) times). When no sample is usable the draft alone is the answer and no
inputs are written (as in FunCoder).
"""

from __future__ import annotations

import ast
from typing import Any

from pat_graph.graph import prompts
from pat_graph.graph.nodes.compose import missing_helper
from pat_graph.graph.nodes.deps import Deps, as_node
from pat_graph.graph.nodes.divide import target_docstring, target_name
from pat_graph.models.calls import sample
from pat_graph.program import parse as codeparse
from pat_graph.program.preamble import with_default_imports

RUNNER_RETRY_RATE = 1.8  # FunCoder's funcoder_runner: whole conquers tried while none is usable


def _calls_main(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "main"
        for node in tree.body
    )


def assemble(
    deps: Deps,
    problem: dict[str, Any],
    code: str,
    helpers: dict[str, Any],
    stubs: list[dict[str, Any]],
) -> str:
    """One whole program: the statement's context, the implemented helpers, a raising stand-in for
    each helper that could not be written, then `code`. A stdio program ends by calling main().
    Functions of `code` that redefine an implemented helper are dropped (the helper wins, as in
    FunCoder, where the implemented descendants come last)."""
    written = {name for name, h in helpers.items() if h.get("code")}
    tree = codeparse.parse_module(code)
    if written & {n.name for n in (tree.body if tree else []) if isinstance(n, ast.FunctionDef)}:
        code = codeparse.remove_functions(code, written, tree)
    parts: list[str] = []
    if problem.get("kind") != "stdio":
        parts.append(codeparse.prompt_context(problem["prompt"], target_name(problem)))
    parts += [helpers[name]["code"].strip() for name in sorted(written)]
    parts += [missing_helper(s["name"]).strip() for s in stubs if s["name"] not in written]
    parts.append(code.strip())
    program = "\n\n\n".join(p for p in parts if p) + "\n"
    if problem.get("kind") == "stdio":
        parsed = codeparse.parse_module(program)
        if parsed is not None and not _calls_main(parsed):
            program += "\n\nmain()\n"
    if deps.budgets.default_imports:
        program = with_default_imports(program)
    return program


def usable_sample(text: str, problem: dict[str, Any]) -> tuple[str, bool] | None:
    """(the sample's module with demo code dropped, whether its signature matches the
    statement's) when it defines the target with a body; None otherwise."""
    name = target_name(problem)
    signature = None
    if problem.get("kind") != "stdio":
        signature = codeparse.target_signature(problem["prompt"], name)
    src = codeparse.extract_code(text, name)
    tree = codeparse.parse_module(src) if src is not None else None
    fn = codeparse.find_function(tree, name) if tree is not None else None
    if src is None or fn is None or codeparse.is_stub(fn):
        return None
    matches = signature is None or codeparse.signature_of(fn) == signature
    return codeparse.clean_module(src, tree), matches


def conquer_node(defaults: Deps):
    async def conquer(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        problem = state["problem"]
        plan = state.get("plan") or {"code": "", "stubs": []}
        helpers = state.get("helpers") or {}
        budgets = deps.budgets
        written = [helpers[n]["code"] for n in sorted(helpers) if helpers[n].get("code")]
        messages = prompts.conquer_messages(
            problem, target_docstring(problem), written, prompts.style_of(budgets)
        )
        ledger: list[dict[str, Any]] = []
        samples: list[tuple[str, bool]] = []
        dropped = 0
        # FunCoder's runner asks for the whole conquer again while it produced nothing usable,
        # up to int(1.8 * conquer_samples) times; each conquer is up to `conquer_retries`
        # requests until `conquer_min_samples` usable samples are in hand.
        for _ in range(int(RUNNER_RETRY_RATE * budgets.conquer_samples)):
            for _ in range(budgets.conquer_retries):
                texts, entries = await sample(
                    deps.generator,
                    messages,
                    n=budgets.conquer_samples,
                    temperature=budgets.conquer_temperature,
                    role="generator",
                    purpose="conquer",
                    depth=state.get("depth", 0),
                )
                ledger += entries
                for text in texts:
                    usable = usable_sample(text, problem)
                    if usable is None:
                        dropped += 1
                    else:
                        samples.append(usable)
                # FunCoder counts samples with a wrong signature towards the minimum ...
                if len(samples) >= budgets.conquer_min_samples:
                    break
            if samples:
                break
        # ... and keeps them only when no sample has the right one.
        if any(matches for _, matches in samples):
            dropped += sum(1 for _, matches in samples if not matches)
            samples = [(code, True) for code, matches in samples if matches]
        stubs = list(plan.get("stubs") or [])
        draft = assemble(deps, problem, plan["code"], helpers, stubs)
        candidates = [draft] + [assemble(deps, problem, c, helpers, stubs) for c, _ in samples]
        unimplemented = [s["name"] for s in stubs if not (helpers.get(s["name"]) or {}).get("code")]
        return {
            "phase": "consensus",
            "candidates": candidates,
            "dropped": dropped,
            "unimplemented": unimplemented,
            "status": "conquered" if samples else "draft_only",
            "ledger": ledger,
        }

    return as_node(defaults, conquer)
