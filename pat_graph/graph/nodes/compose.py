"""Put the plan and its helpers together into one program to verify.

A helper that could not be implemented is never dropped silently: it becomes a function that
raises, it is listed in `unimplemented`, and verification shows the failure.
"""

from __future__ import annotations

from typing import Any

from pat_graph.graph.nodes.deps import Deps, as_node
from pat_graph.program import parse as codeparse
from pat_graph.program import stdio as stdio_program
from pat_graph.program.preamble import DEFAULT_IMPORTS, with_default_imports


def missing_helper(name: str) -> str:
    return (
        f"def {name}(*args, **kwargs):\n"
        f"    raise NotImplementedError(\"pat-graph: helper '{name}' could not be implemented\")\n"
    )


def compose_program(
    problem: dict[str, Any],
    plan: dict[str, Any],
    helpers: dict[str, Any],
    default_imports: bool = False,
) -> tuple[str, list[str]]:
    parts: list[str] = []
    unimplemented: list[str] = []
    for name in sorted(helpers):
        code = helpers[name].get("code")
        if code and default_imports:
            # Helpers arrive with the block already; one copy at the top is enough (item 8).
            code = code.replace(DEFAULT_IMPORTS, "")
        if code and code.strip():
            parts.append(code.strip())
    declared = [stub["name"] for stub in plan.get("stubs", [])]
    # Helpers of earlier rounds that failed and that this plan still calls (the paper profile
    # never tries a helper twice) raise too, instead of being undefined names.
    failed = [
        name
        for name in sorted(helpers)
        if not helpers[name].get("code") and f"{name}(" in str(plan.get("code") or "")
    ]
    for name in dict.fromkeys([*declared, *failed]):
        if not (helpers.get(name) or {}).get("code"):
            unimplemented.append(name)
            parts.append(missing_helper(name).strip())
    plan_code = plan["code"].strip()
    if problem.get("kind") == "stdio":  # a script must call its main, or it prints nothing
        plan_code = stdio_program.with_entry_call(plan_code, problem.get("entry_point") or "main")
    parts.append(plan_code)
    if problem.get("kind") != "stdio":
        context = codeparse.prompt_context(problem["prompt"], problem["entry_point"])
        if context:
            parts.insert(0, context)
    program = "\n\n\n".join(parts) + "\n"
    if default_imports:
        program = with_default_imports(program)
    return program, unimplemented


def compose_node(defaults: Deps):
    async def compose(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        program, unimplemented = compose_program(
            state["problem"],
            state["plan"] or {"code": "", "stubs": []},
            state.get("helpers") or {},
            default_imports=deps.budgets.default_imports,
        )
        return {"phase": "plan", "candidates": [program], "unimplemented": unimplemented}

    return as_node(defaults, compose)
