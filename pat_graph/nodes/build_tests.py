"""The in-loop tests: the statement's visible tests, its docstring examples (parsed, no LLM), and
tests the generator writes with expected values. Hidden benchmark tests never get here."""

from __future__ import annotations

from typing import Any

from pat_graph import prompts
from pat_graph.doctests import example_tests
from pat_graph.llm import sample
from pat_graph.nodes.deps import Deps
from pat_graph.nodes.verify import can_plan
from pat_graph.testgen import parse_generated_tests


def build_tests_node(deps: Deps):
    async def build_tests(state: dict[str, Any]) -> dict[str, Any]:
        problem = state["problem"]
        budgets = deps.budgets
        visible = list(problem.get("tests") or [])
        examples: list[str] = []
        generated: list[str] = []
        ledger: list[dict[str, Any]] = []
        if problem.get("kind") != "stdio":
            examples = [
                t
                for t in example_tests(problem["prompt"], problem["entry_point"])
                if t not in visible
            ]
            if budgets.generate_tests and budgets.n_generated_tests > 0:
                for _ in range(budgets.test_retries):
                    texts, entries = await sample(
                        deps.generator,
                        prompts.tests_messages(problem, budgets.n_generated_tests),
                        n=1,
                        temperature=budgets.test_temperature,
                        role="generator",
                        purpose="tests",
                        depth=state.get("depth", 0),
                    )
                    ledger += entries
                    seen = set(visible) | set(examples)
                    generated = [
                        t
                        for t in parse_generated_tests(
                            texts[0] if texts else "",
                            problem["entry_point"],
                            budgets.n_generated_tests,
                        )
                        if t not in seen
                    ]
                    if generated:
                        break
        update: dict[str, Any] = {}
        if deps.policy == "pbt":
            update["status"] = "plan_first" if can_plan(deps, state.get("depth", 0)) else "trial"
        return {
            **update,
            "tests": visible + examples + generated,
            "test_origin": {
                "visible": len(visible),
                "examples": len(examples),
                "generated": len(generated),
            },
            "generated_tests": generated,
            "ledger": ledger,
        }

    return build_tests
