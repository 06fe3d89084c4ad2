"""Dependencies through LangGraph's runtime context (issue 21): a run (or a parent graph) passes
its own models, sandbox and budgets with `context=`; build_graph's arguments are the defaults.
And the graph's input and schemas as LangGraph Server and Studio use them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph

from pat_graph import POLICIES, ConfigError, build_graph
from pat_graph.graph.embed import solver_node
from pat_graph.graph.nodes.deps import SolveContext
from pat_graph.graph.solve import result_from_state
from pat_graph.testing import ScriptedChatModel
from tests.unit.test_events_scenario import PRICES, RuleSandbox, generator, planner, problem


def poison() -> ScriptedChatModel:
    """A default that must never be asked once the context names other models."""
    return ScriptedChatModel(respond=["unused"], model_name="poison")


def pat_with_poison(**budgets: Any):
    default = poison()
    graph = build_graph(
        "pat", generator=default, sandbox=RuleSandbox(), prices=PRICES, profile="strict",
        **budgets,
    ).compile()  # fmt: skip
    return graph, default


async def test_a_run_brings_its_own_models_helpers_included() -> None:
    graph, default = pat_with_poison()
    gen, plan = generator(), planner()
    state = await graph.ainvoke(
        {"problem": problem()},
        context=SolveContext(generator=gen, planner=plan, prices=PRICES),
    )
    result = result_from_state(state)
    assert result.verified and default.calls == []
    assert {e["model"] for e in result.ledger} == {"gen-model", "plan-model"}
    assert any(e["depth"] == 1 for e in result.ledger)  # helpers ran with the context too
    assert result.cost_usd and result.cost_usd > 0  # the context's prices


async def test_the_planner_follows_the_generator_only_in_the_homogeneous_setting() -> None:
    graph, default = pat_with_poison()
    gen = generator()
    # The context's generator plans too: the graph was built without a planner.
    state = await graph.ainvoke({"problem": problem()}, context=SolveContext(generator=gen))
    assert default.calls == [] and {c.purpose for c in gen.calls} >= {"trial", "plan"}
    assert result_from_state(state).planner_calls >= 1

    plan = planner()
    built = build_graph(
        "pat", generator=poison(), planner=plan, sandbox=RuleSandbox(), profile="strict"
    ).compile()
    await built.ainvoke({"problem": problem()}, context=SolveContext(generator=generator()))
    assert [c.purpose for c in plan.calls] == ["plan"]  # the graph's own planner


async def test_a_dict_context_overrides_budgets() -> None:
    gen = generator(trial_right=True)
    graph = build_graph("best-of-n", generator=gen, sandbox=RuleSandbox()).compile()
    await graph.ainvoke({"problem": problem()}, context={"budgets": {"n_samples": 2}})
    assert [c.kwargs["n"] for c in gen.calls if c.purpose == "trial"] == [2]


@pytest.mark.parametrize(
    ("budgets", "message"),
    [
        ({"tests_after_candidate": False}, "shape the graph"),
        ({"profile": "strict"}, "shape the graph"),
        ({"n_sampels": 3}, "unknown budget"),
        ({"n_samples": 0}, "invalid budget"),
    ],
)
async def test_context_budgets_that_cannot_apply_say_why(budgets, message) -> None:
    graph = build_graph("pat", generator=generator(), sandbox=RuleSandbox()).compile()
    with pytest.raises(ConfigError, match=message):
        await graph.ainvoke({"problem": problem()}, context=SolveContext(budgets=budgets))


async def test_raised_rounds_need_a_recursion_limit_and_the_error_names_it() -> None:
    graph = build_graph("pat", generator=generator(), sandbox=RuleSandbox()).compile()
    with pytest.raises(ConfigError, match=r"recursion_limit=25 is too low.*'recursion_limit': 4"):
        await graph.ainvoke(
            {"problem": problem()},
            {"recursion_limit": 25},
            context=SolveContext(budgets={"plan_rounds": 5, "trial_attempts": 7}),
        )


@dataclass
class AppContext(SolveContext):
    """A parent app's own context, extending pat-graph's."""

    user: str = ""


class AppState(TypedDict, total=False):
    problem: dict[str, Any]
    solution: dict[str, Any]


def parent_app(default: ScriptedChatModel, context_schema: type) -> Any:
    builder = StateGraph(AppState, context_schema=context_schema)
    builder.add_node(
        "solve",
        solver_node(generator=default, sandbox=RuleSandbox(), prices=PRICES, profile="strict"),
    )
    builder.add_edge(START, "solve")
    return builder.compile()


async def test_a_parent_graph_passes_its_models_at_invocation_time() -> None:
    default = poison()
    app = parent_app(default, AppContext)
    out = await app.ainvoke(
        {"problem": problem().to_dict()},
        context=AppContext(generator=generator(), planner=planner(), user="ann"),
    )
    assert out["solution"]["verified"] is True and default.calls == []


async def test_a_parent_context_of_another_kind_leaves_the_defaults() -> None:
    @dataclass
    class Unrelated:
        user_id: str = "u1"

    gen = generator(trial_right=True)
    out = await parent_app(gen, Unrelated).ainvoke(
        {"problem": problem().to_dict()}, context=Unrelated()
    )
    assert out["solution"]["verified"] is True and gen.calls


async def test_a_problem_object_is_accepted_and_checkpointed_as_json() -> None:
    graph = build_graph(
        "best-of-n", generator=generator(trial_right=True), sandbox=RuleSandbox()
    ).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "p1"}}
    state = await graph.ainvoke({"problem": problem()}, config)
    assert state["final"]["verified"] is True
    saved = (await graph.aget_state(config)).values
    assert saved["problem"] == problem().to_dict()
    json.dumps(saved)  # every value is JSON, the problem included


async def test_a_dict_problem_without_task_id_gets_one_and_bad_input_says_what_to_fix() -> None:
    graph = build_graph(
        "best-of-n", generator=generator(trial_right=True), sandbox=RuleSandbox()
    ).compile()
    data = {k: v for k, v in problem().to_dict().items() if k != "task_id"}
    state = await graph.ainvoke({"problem": data})
    assert state["problem"]["task_id"].startswith("embedded/")
    with pytest.raises(ConfigError, match="'prompt' and 'entry_point'"):
        await graph.ainvoke({"problem": {"entry_point": "f"}})
    with pytest.raises(ConfigError, match="entry_point"):
        await graph.ainvoke({"problem": {"prompt": "def f(): ...", "kind": "function"}})


@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_has_json_schemas_and_a_drawing(policy: str) -> None:
    graph = build_graph(policy, generator=generator(), planner=planner()).compile()
    schema = graph.get_input_jsonschema()
    assert set(schema["properties"]) == {"problem", "depth"}
    problem_schema = json.dumps(schema)
    assert "entry_point" in problem_schema and "prompt" in problem_schema
    output = graph.get_output_jsonschema()
    assert {"final", "ledger", "problem", "status"} <= set(output["properties"])
    context = graph.get_context_jsonschema()
    assert context is not None
    assert set(context["properties"]) == {"generator", "planner", "sandbox", "budgets", "prices"}
    json.dumps([schema, output, context])
    mermaid = graph.get_graph().draw_mermaid()
    assert "generate" in mermaid and "verify" in mermaid
