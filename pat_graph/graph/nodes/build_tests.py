"""The in-loop tests: the statement's visible tests, its docstring examples (extracted by the
generator, `example_parser = "llm"`, or parsed without a model, `"doctest"`), and tests the
generator writes. Hidden benchmark tests never get here.

What the generator writes depends on the profile (docs/fidelity.md, items 1 and 6):
- strict: asserts with expected values, written from the statement alone, next to the trial;
- paper: bare calls `f(args)` (a call passes when it neither raises nor times out), written after
  seeing one trial candidate; MBPP statements and helpers get no statement tests; a trial that
  ends with no test at all is run again (up to `trial_attempts` trials).
"""

from __future__ import annotations

from typing import Any

from pat_graph.graph import prompts
from pat_graph.graph.nodes.asking import ask_for_tests
from pat_graph.graph.nodes.deps import Deps, as_node
from pat_graph.program import parse as codeparse
from pat_graph.program.doctests import example_tests, extraction_view, parse_extracted
from pat_graph.program.preamble import DEFAULT_IMPORTS
from pat_graph.program.testgen import parse_call_tests, parse_generated_tests


def is_mbpp(problem: dict[str, Any]) -> bool:
    """MBPP(+) tasks, by their id ("Mbpp/2"): the released configuration gives them no
    statement tests."""
    return str(problem.get("task_id") or "").lower().startswith("mbpp/")


def statement_tests_allowed(deps: Deps, problem: dict[str, Any], depth: int) -> bool:
    budgets = deps.budgets
    if depth > 0 and not budgets.helper_examples:
        return False
    return budgets.statement_tests_mbpp or not is_mbpp(problem)


def _takes_no_arguments(problem: dict[str, Any]) -> bool:
    signature = codeparse.target_signature(problem["prompt"], problem["entry_point"])
    return signature is not None and not any(signature)


async def statement_examples(
    deps: Deps, problem: dict[str, Any], candidate: str | None, depth: int
) -> tuple[list[str], list[dict[str, Any]]]:
    """The examples of the statement's docstring as tests, and the ledger of the requests that
    found them. `llm` (the authors' way, shared with FunCoder's root unit tests): the generator
    is shown `candidate`'s function with the statement's docstring (or the stub) and writes the
    examples as asserts or bare calls; up to `test_retries` requests at `test_temperature` while
    it gives none, every request billed to the generator. `doctest`: parsed, no request."""
    prompt, name = problem["prompt"], problem["entry_point"]
    if deps.budgets.example_parser == "doctest":
        return example_tests(prompt, name), []
    if _takes_no_arguments(problem):
        return [f"{name}()"], []  # the authors call such a function instead of asking
    messages = prompts.examples_messages(
        problem, extraction_view(prompt, name, candidate), prompts.style_of(deps.budgets)
    )
    return await ask_for_tests(
        deps, messages, lambda text: parse_extracted(text, name), purpose="examples", depth=depth
    )


def shown_candidate(state: dict[str, Any]) -> str | None:
    """The trial candidate the test writers see (the first usable one), without the default
    import block every program carries."""
    candidates = list(state.get("candidates") or [])
    return candidates[0].replace(DEFAULT_IMPORTS, "").strip() if candidates else None


async def write_tests(
    deps: Deps, state: dict[str, Any], seen: set[str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """The generator's tests for this node and the ledger of the requests that wrote them."""
    problem = state["problem"]
    budgets = deps.budgets
    name = problem["entry_point"]
    limit = budgets.n_generated_tests
    if budgets.test_style == "call":
        if _takes_no_arguments(problem):
            return [f"{name}()"], []  # nothing to choose: the call itself (no request)
        shown = shown_candidate(state)
        style = prompts.style_of(budgets)
        if shown and style.paper:  # the authors show the test writer the function alone
            shown = codeparse.function_source(shown, name)
        messages = prompts.call_tests_messages(problem, shown, style)
    else:
        messages = prompts.tests_messages(problem, limit, prompts.style_of(budgets))
    parse_tests = parse_call_tests if budgets.test_style == "call" else parse_generated_tests

    def new_tests(text: str) -> list[str]:
        return [t for t in parse_tests(text, name, limit) if t not in seen]

    return await ask_for_tests(
        deps, messages, new_tests, purpose="tests", depth=state.get("depth", 0)
    )


def build_tests_node(defaults: Deps):
    async def build_tests(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        problem = state["problem"]
        budgets = deps.budgets
        depth = state.get("depth", 0)
        use_statement = statement_tests_allowed(deps, problem, depth)
        visible = list(problem.get("tests") or []) if use_statement else []
        examples: list[str] = []
        generated: list[str] = []
        ledger: list[dict[str, Any]] = []
        if problem.get("kind") != "stdio":
            if use_statement:
                found, ledger = await statement_examples(
                    deps, problem, shown_candidate(state), depth
                )
                examples = [t for t in found if t not in visible]
            if budgets.generate_tests and budgets.n_generated_tests > 0:
                generated, written = await write_tests(deps, state, set(visible) | set(examples))
                ledger += written
        tests = visible + examples + generated
        update: dict[str, Any] = {}
        if budgets.tests_after_candidate:
            again = (
                deps.policy == "pat"
                and not tests
                and budgets.generate_tests
                and int(state.get("trial_no") or 1) < budgets.trial_attempts
            )
            update["status"] = "retrial" if again else "tested"
        return {
            **update,
            "tests": tests,
            "test_origin": {
                "visible": len(visible),
                "examples": len(examples),
                "generated": len(generated),
            },
            "generated_tests": generated,
            "ledger": ledger,
        }

    return as_node(defaults, build_tests)
