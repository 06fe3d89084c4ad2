"""standard, best-of-n and pbt are built from the same nodes and keep their own rules."""

from __future__ import annotations

import pytest

from pat_graph import build_graph, solve
from pat_graph.errors import ConfigError
from pat_graph.problem import Problem
from pat_graph.testing import ScriptedChatModel, fenced
from tests.unit.graph_fixtures import (
    PLAN_ADD_SQ,
    RIGHT_ADD_SQ,
    TESTS_REPLY,
    WRONG_ADD_SQ,
    add_sq_problem,
    responder,
)

NEGATE = '''def negate(x: int) -> int:
    """Return -x.
    >>> negate(2)
    -2
    """
'''
PLAN_NEGATE = '''def negate(x: int) -> int:
    """Return -x."""
    return flip(x)


def flip(x: int) -> int:
    """Return -x."""
    ...
'''


async def test_standard_never_plans_even_when_its_one_sample_fails():
    gen = ScriptedChatModel(respond=responder({("trial", "add_sq"): fenced(WRONG_ADD_SQ)}))
    plan = ScriptedChatModel(respond=responder({("plan", "*"): fenced(PLAN_ADD_SQ)}))
    result = await solve(add_sq_problem(), generator=gen, planner=plan, policy="standard")
    assert not result.verified
    assert plan.calls == []
    assert result.planner_calls == 0
    # one greedy sample, no generated tests: the paper's cost unit
    assert [c.purpose for c in gen.calls] == ["trial"]
    assert gen.calls[0].kwargs == {"temperature": 0.0}


async def test_best_of_n_picks_the_candidate_passing_most_tests_and_never_plans():
    samples = iter(
        [fenced(WRONG_ADD_SQ), fenced(RIGHT_ADD_SQ), fenced("def add_sq(a, b):\n    return 5")]
    )
    gen = ScriptedChatModel(
        respond=responder(
            {("trial", "add_sq"): lambda: next(samples), ("tests", "add_sq"): TESTS_REPLY}
        )
    )
    plan = ScriptedChatModel(respond=responder({}))
    result = await solve(
        add_sq_problem(), generator=gen, planner=plan, policy="best-of-n", n_samples=3
    )
    assert result.verified
    assert "a * a + b * b" in result.code
    assert plan.calls == []


@pytest.mark.parametrize(("profile", "kept"), [("strict", "return 5"), ("paper", "return 9")])
async def test_best_of_n_breaks_ties_by_the_earliest_sample_in_strict(profile, kept):
    # paper: the released code's `>=` scan keeps the later of equal candidates
    samples = iter(
        [fenced("def add_sq(a, b):\n    return 5"), fenced("def add_sq(a, b):\n    return 9")]
    )
    gen = ScriptedChatModel(respond=responder({("trial", "add_sq"): lambda: next(samples)}))
    result = await solve(
        add_sq_problem(), generator=gen, policy="best-of-n", n_samples=2, generate_tests=False,
        profile=profile,
    )  # fmt: skip
    assert result.tests_passed == 1
    assert kept in result.code


@pytest.mark.parametrize("n_problems", [2])
async def test_pbt_plans_at_the_root_for_every_problem(n_problems):
    gen = ScriptedChatModel(
        respond=responder(
            {
                ("trial", "add_sq"): fenced(RIGHT_ADD_SQ),
                ("trial", "square"): fenced("def square(x):\n    return x * x"),
                ("trial", "negate"): fenced("def negate(x):\n    return -x"),
                ("trial", "flip"): fenced("def flip(x):\n    return -x"),
            }
        )
    )
    plan = ScriptedChatModel(
        respond=responder(
            {("plan", "add_sq"): fenced(PLAN_ADD_SQ), ("plan", "negate"): fenced(PLAN_NEGATE)}
        )
    )
    problems = [add_sq_problem(), Problem("t/negate", NEGATE, "negate")]
    for problem in problems[:n_problems]:
        result = await solve(
            problem, generator=gen, planner=plan, policy="pbt", max_depth=1, generate_tests=False
        )
        assert result.verified
        assert result.origin == "round 1"
    root_plans = [c.target for c in plan.calls]
    assert root_plans == ["add_sq", "negate"]
    # even though a direct trial would have passed, PbT never tried one at the root
    assert not [c for c in gen.calls if c.purpose == "trial" and c.target in ("add_sq", "negate")]


def test_unknown_policy_and_budget_are_config_errors_that_say_what_to_use():
    gen = ScriptedChatModel(respond=responder({}))
    with pytest.raises(ConfigError, match="choose one of: standard, best-of-n, pbt, pat"):
        build_graph("funcoder", generator=gen)
    with pytest.raises(ConfigError, match=r"unknown budget.*n_sample.*known budgets"):
        build_graph("pat", generator=gen, n_sample=3)
    with pytest.raises(ConfigError, match="plan_rounds=0"):
        build_graph("pat", generator=gen, plan_rounds=0)


def test_only_planning_policies_have_a_plan_node():
    gen = ScriptedChatModel(respond=responder({}))
    nodes = {
        p: set(build_graph(p, generator=gen).nodes) for p in ("standard", "best-of-n", "pbt", "pat")
    }
    assert "plan" not in nodes["standard"] and "plan" not in nodes["best-of-n"]
    assert {"generate", "verify", "plan", "implement_helper", "compose"} <= nodes["pat"]
    assert nodes["pat"] == nodes["pbt"]
