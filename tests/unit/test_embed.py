"""The solver inside other apps: a subgraph node of a parent LangGraph graph, and an agent tool."""

from __future__ import annotations

import json
from typing import Any, TypedDict

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from pat_graph.errors import ConfigError
from pat_graph.graph.embed import as_problem, solver_node, solver_tool
from tests.unit.test_events_scenario import (
    PRICES,
    PROMPT,
    RuleSandbox,
    generator,
    planner,
    problem,
)


class AppState(TypedDict, total=False):
    request: str
    problem: dict[str, Any]
    solution: dict[str, Any]
    answer: str


def parent_app(**solver_kwargs: Any) -> StateGraph:
    async def prepare(state: AppState) -> dict[str, Any]:
        return {"problem": {**problem().to_dict(), "task_id": state["request"]}}

    async def report(state: AppState) -> dict[str, Any]:
        sol = state["solution"]
        return {"answer": f"verified={sol['verified']} cost={sol['cost_usd']:.6f}"}

    builder = StateGraph(AppState)
    builder.add_node("prepare", prepare)
    builder.add_node(
        "solve",
        solver_node(
            generator=generator(), planner=planner(), sandbox=RuleSandbox(), prices=PRICES,
            **solver_kwargs,
        ),
    )  # fmt: skip
    builder.add_node("report", report)
    builder.add_edge(START, "prepare")
    builder.add_edge("prepare", "solve")
    builder.add_edge("solve", "report")
    builder.add_edge("report", END)
    return builder


async def test_subgraph_node_maps_problem_in_and_result_out() -> None:
    # The scenario's counts are the strict profile's (an assert test written next to the trial).
    app = parent_app(profile="strict").compile()
    out = await app.ainvoke({"request": "ticket-7"})
    solution = out["solution"]
    assert solution["verified"] is True
    assert "return double(add(a, b))" in solution["code"]
    assert solution["planner_calls"] == 1 and solution["cost_usd"] > 0
    assert (solution["tests_passed"], solution["tests_total"]) == (3, 3)
    assert out["answer"] == f"verified=True cost={solution['cost_usd']:.6f}"
    # The solver's internal state does not leak into the parent's.
    assert set(out) == {"request", "problem", "solution", "answer"}


async def test_the_solver_runs_as_a_real_subgraph_streamed_and_checkpointed() -> None:
    app = parent_app().compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t1"}}
    namespaces = set()
    async for ns, _update in app.astream({"request": "r"}, config, subgraphs=True):
        namespaces.add(ns)
    solver_ns = [ns for ns in namespaces if ns and ns[0].startswith("solve:")]
    assert solver_ns, namespaces  # the solver's nodes streamed under the parent node
    assert any(len(ns) == 2 and ns[1].startswith("implement_helper:") for ns in solver_ns)
    snapshot = await app.aget_state(config)
    assert snapshot.values["solution"]["verified"] is True and not snapshot.next


async def test_custom_mappings_in_and_out() -> None:
    class Tiny(TypedDict, total=False):
        spec: str
        code: str

    builder = StateGraph(Tiny)
    builder.add_node(
        "solve",
        solver_node(
            generator=generator(), planner=planner(), sandbox=RuleSandbox(),
            to_problem=lambda s: {"prompt": s["spec"], "entry_point": "add_then_double"},
            from_result=lambda r: {"code": r.code if r.verified else ""},
        ),
    )  # fmt: skip
    builder.add_edge(START, "solve")
    out = await builder.compile().ainvoke({"spec": PROMPT})
    assert "def add_then_double" in out["code"]


async def test_tool_returns_code_verified_and_cost() -> None:
    tool = solver_tool(
        generator=generator(), planner=planner(), sandbox=RuleSandbox(), prices=PRICES,
        profile="strict",
    )  # fmt: skip
    assert tool.name == "solve_code"
    assert set(tool.args) == {"prompt", "entry_point", "tests"}
    out = await tool.ainvoke(
        {
            "prompt": PROMPT,
            "entry_point": "add_then_double",
            "tests": ["assert add_then_double(2, 3) == 10"],
        }
    )
    assert out["verified"] is True and "def add_then_double" in out["code"]
    assert out["cost_usd"] > 0 and out["planner_calls"] == 1
    assert out["tests_total"] == 3


async def test_an_agent_tool_call_gets_a_json_tool_message() -> None:
    tool = solver_tool(
        generator=generator(trial_right=True), planner=planner(), sandbox=RuleSandbox(),
        prices=PRICES,
    )  # fmt: skip
    call = {
        "name": "solve_code",
        "args": {"prompt": PROMPT, "entry_point": "add_then_double"},
        "id": "call-1",
        "type": "tool_call",
    }
    agent = StateGraph(MessagesState)  # the tool-executing half of an agent loop
    agent.add_node("tools", ToolNode([tool]))
    agent.add_edge(START, "tools")
    out = await agent.compile().ainvoke({"messages": [AIMessage("", tool_calls=[call])]})
    message = out["messages"][-1]
    assert isinstance(message, ToolMessage) and message.tool_call_id == "call-1"
    payload = json.loads(message.content)
    assert payload["verified"] is True and payload["planner_calls"] == 0
    assert payload["cost_usd"] > 0 and "return (a + b) * 2" in payload["code"]


def test_problems_need_a_prompt_and_get_a_stable_task_id() -> None:
    with pytest.raises(ConfigError, match="entry_point"):
        as_problem({"entry_point": "f"})
    a = as_problem({"prompt": PROMPT, "entry_point": "add_then_double"})
    b = as_problem({"prompt": PROMPT, "entry_point": "add_then_double"})
    assert a.task_id == b.task_id and a.task_id.startswith("embedded/")
