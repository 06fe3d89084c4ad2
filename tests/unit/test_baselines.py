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
async def test_pbt_divides_at_the_root_for_every_problem(n_problems):
    """FunCoder writes (divides) first at every node, even where a direct trial would pass;
    test_funcoder.py checks the rest of its call pattern."""
    gen = ScriptedChatModel(
        respond=responder(
            {
                ("conquer", "add_sq"): fenced(RIGHT_ADD_SQ),
                ("conquer", "negate"): fenced("def negate(x):\n    return -x"),
                ("inputs", "*"): fenced("add_sq(1, 2)\nnegate(3)"),
            }
        )
    )
    plan = ScriptedChatModel(
        respond=responder(
            {
                ("divide", "add_sq"): fenced(RIGHT_ADD_SQ),
                ("divide", "negate"): fenced("def negate(x):\n    return -x"),
            }
        )
    )
    problems = [add_sq_problem(), Problem("t/negate", NEGATE, "negate")]
    for problem in problems[:n_problems]:
        result = await solve(problem, generator=gen, planner=plan, policy="pbt")
        assert result.verified
        assert result.planner_calls == 1
    assert [c.target for c in plan.calls] == ["add_sq", "negate"]
    assert not [c for c in gen.calls if c.purpose == "trial"]


def test_unknown_policy_and_budget_are_config_errors_that_say_what_to_use():
    gen = ScriptedChatModel(respond=responder({}))
    with pytest.raises(ConfigError, match="choose one of: standard, best-of-n, codet, pbt, pat"):
        build_graph("planless", generator=gen)
    with pytest.raises(ConfigError, match=r"unknown budget.*n_sample.*known budgets"):
        build_graph("pat", generator=gen, n_sample=3)
    with pytest.raises(ConfigError, match="plan_rounds=0"):
        build_graph("pat", generator=gen, plan_rounds=0)


def test_only_planning_policies_have_a_plan_node():
    gen = ScriptedChatModel(respond=responder({}))
    policies = ("standard", "best-of-n", "codet", "pbt", "pat")
    nodes = {p: set(build_graph(p, generator=gen).nodes) for p in policies}
    assert not {"plan"} & (nodes["standard"] | nodes["best-of-n"] | nodes["codet"])
    assert {"generate", "verify", "plan", "implement_helper", "compose"} <= nodes["pat"]
    # FunCoder shares plan/generate/verify names and helper recursion, but never composes
    assert nodes["pbt"] == nodes["pat"] - {"compose"}
