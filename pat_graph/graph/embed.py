"""Use the solver inside other LangGraph / LangChain apps: as a subgraph node, or as a tool.

Why wrappers rather than "just add the compiled graph as a node": a parent app has its own
state, and the solver's state (candidates, reports, plans, ...) is internal detail that should
not leak into it. `solver_node` maps a problem in from the parent's state and a small result out;
because it invokes the compiled graph with the parent's config, LangGraph still treats it as a
subgraph (checkpointed in the parent's namespace, streamed with `subgraphs=True`).

`solver_tool` gives an agent a `solve_code` tool whose result carries the code, whether it
passed the in-loop tests, and what solving it cost, so the agent (and its operator) can weigh
the answer and the spend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from pat_graph.graph.budgets import budgets_for
from pat_graph.graph.policies import build_graph
from pat_graph.graph.solve import Result, initial_state, result_from_state
from pat_graph.graph.state import problem_dict
from pat_graph.models.roles import RoleModel
from pat_graph.problem import Problem
from pat_graph.sandbox.base import Sandbox

ProblemLike = Problem | Mapping[str, Any]


def as_problem(value: ProblemLike) -> Problem:
    """A Problem from a Problem or a dict; `task_id` may be omitted (derived from the prompt)."""
    if isinstance(value, Problem):
        return value
    return Problem.from_dict(problem_dict(value))


def summary(result: Result) -> dict[str, Any]:
    """What a caller needs from a solve, JSON-small (the full ledger stays out of the way)."""
    return {
        "code": result.code,
        "verified": result.verified,
        "cost_usd": result.cost_usd,
        "planner_calls": result.planner_calls,
        "llm_calls": result.llm_calls,
        "tests_passed": result.tests_passed,
        "tests_total": result.tests_total,
        "origin": result.origin,
    }


def solver_node(
    policy: str = "pat",
    *,
    generator: BaseChatModel | RoleModel,
    planner: BaseChatModel | RoleModel | None = None,
    sandbox: Sandbox | None = None,
    prices: Mapping[str, tuple[float, float]] | None = None,
    problem_key: str = "problem",
    result_key: str = "solution",
    to_problem: Callable[[Mapping[str, Any]], ProblemLike] | None = None,
    from_result: Callable[[Result], dict[str, Any]] | None = None,
    **budgets: Any,
) -> Callable[[Mapping[str, Any], RunnableConfig], Any]:
    """An async node for a parent graph: `builder.add_node("solve", solver_node(...))`.

    In: `to_problem(state)` (default: `state[problem_key]`, a Problem or dict).
    Out: `from_result(result)` (default: `{result_key: summary(result)}`).
    """
    graph = build_graph(
        policy, generator=generator, planner=planner, sandbox=sandbox, prices=prices, **budgets
    ).compile()
    limit = budgets_for(policy, budgets).recursion_limit()
    read = to_problem or (lambda state: state[problem_key])
    write = from_result or (lambda result: {result_key: summary(result)})

    async def solve_problem(state: Mapping[str, Any], config: RunnableConfig) -> dict[str, Any]:
        problem = as_problem(read(state))
        # Passing the parent's config makes this a subgraph run (checkpoint namespace, streaming);
        # the recursion limit is the solver's own, whatever the parent uses.
        out = await graph.ainvoke(initial_state(problem), {**config, "recursion_limit": limit})
        return write(result_from_state(out))

    return solve_problem


class SolveCodeInput(BaseModel):
    """What an agent passes to the tool."""

    prompt: str = Field(
        description="The Python function to implement: its signature and a docstring that "
        "states the task, optionally with >>> examples."
    )
    entry_point: str = Field(description="The name of the function to implement.")
    tests: list[str] = Field(
        default_factory=list,
        description="Optional assert statements the code must pass, e.g. 'assert f(2) == 4'.",
    )


TOOL_DESCRIPTION = (
    "Write a Python function and verify it in a sandbox against tests (the docstring examples, "
    "the given asserts, and generated tests). Returns the code, whether it passed every test "
    "('verified'), and the cost in USD. Use it when you need working code, not a sketch."
)


def solver_tool(
    *,
    generator: BaseChatModel | RoleModel,
    planner: BaseChatModel | RoleModel | None = None,
    policy: str = "pat",
    sandbox: Sandbox | None = None,
    prices: Mapping[str, tuple[float, float]] | None = None,
    name: str = "solve_code",
    description: str = TOOL_DESCRIPTION,
    **budgets: Any,
) -> StructuredTool:
    """A LangChain tool for agents (e.g. `create_react_agent(model, [solver_tool(...)])`)."""
    graph = build_graph(
        policy, generator=generator, planner=planner, sandbox=sandbox, prices=prices, **budgets
    ).compile()
    limit = budgets_for(policy, budgets).recursion_limit()

    async def solve_code(
        prompt: str, entry_point: str, config: RunnableConfig, tests: list[str] | None = None
    ) -> dict[str, Any]:
        problem = as_problem({"prompt": prompt, "entry_point": entry_point, "tests": tests or []})
        # The tool call's config: the agent's callbacks, tracers and streams see the solve's
        # model requests nested under the tool run.
        out = await graph.ainvoke(initial_state(problem), {**config, "recursion_limit": limit})
        return summary(result_from_state(out))

    return StructuredTool.from_function(
        coroutine=solve_code, name=name, description=description, args_schema=SolveCodeInput
    )
