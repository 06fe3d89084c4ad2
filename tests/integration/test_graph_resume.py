"""Resume from a real SQLite checkpoint: only the interrupted node runs again."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from pat_graph import build_graph, solve
from pat_graph.errors import LLMCallError
from pat_graph.graph.solve import initial_state, result_from_state
from pat_graph.testing import ScriptedChatModel, fenced
from tests.unit.graph_fixtures import (
    PLAN_ADD_SQ,
    WRONG_ADD_SQ,
    RecordingSandbox,
    add_sq_problem,
    responder,
)

pytestmark = pytest.mark.integration

GEN_TABLE = {
    ("trial", "add_sq"): fenced(WRONG_ADD_SQ),
    ("trial", "square"): fenced("def square(x):\n    return x * x"),
}


async def test_plan_failure_resumes_without_rerunning_trial_or_verify(tmp_path):
    gen = ScriptedChatModel(respond=responder(GEN_TABLE), model_name="gen")
    plan = ScriptedChatModel(
        respond=responder({("plan", "add_sq"): fenced(PLAN_ADD_SQ)}),
        model_name="plan",
        fail_times=1,
    )
    sandbox = RecordingSandbox()
    builder = build_graph("pat", generator=gen, planner=plan, sandbox=sandbox, generate_tests=False)
    config = {"configurable": {"thread_id": "t1"}, "recursion_limit": 50}
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "cp.sqlite")) as saver:
        graph = builder.compile(checkpointer=saver)
        with pytest.raises(LLMCallError, match=r"model 'plan' at .*ConnectionError"):
            await graph.ainvoke(initial_state(add_sq_problem()), config)
        assert len(gen.calls_for("trial")) == 1
        assert len(sandbox.programs) == 1  # the trial was verified before plan failed
        snapshot = await graph.aget_state(config)
        assert snapshot.next == ("plan",)

        state = await graph.ainvoke(None, config)

    result = result_from_state(state)
    assert result.verified and result.origin == "round 1"
    # trial and its verification ran once; the resume re-ran plan and went on from there
    assert len([c for c in gen.calls_for("trial") if c.target == "add_sq"]) == 1
    assert sandbox.programs[0].strip().endswith("return a + b")
    assert not any(p.strip().endswith("return a + b") for p in sandbox.programs[1:])
    assert len(plan.calls) == 1  # the failed request never returned, so it is not billed
    assert result.planner_calls == 1


async def test_solve_with_a_checkpointer_resumes_the_same_thread(tmp_path):
    gen = ScriptedChatModel(respond=responder(GEN_TABLE), model_name="gen")
    plan = ScriptedChatModel(
        respond=responder({("plan", "add_sq"): fenced(PLAN_ADD_SQ)}),
        model_name="plan",
        fail_times=1,
    )
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "cp.sqlite")) as saver:
        with pytest.raises(LLMCallError, match=r"model 'plan' at .*ConnectionError"):
            await solve(
                add_sq_problem(),
                generator=gen,
                planner=plan,
                checkpointer=saver,
                generate_tests=False,
            )
        result = await solve(
            add_sq_problem(), generator=gen, planner=plan, checkpointer=saver, generate_tests=False
        )
    assert result.verified
    assert len(gen.calls_for("trial")) == 2  # root trial once, helper trial once
