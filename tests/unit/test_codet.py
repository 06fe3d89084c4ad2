"""Fidelity of the `codet` policy to CodeT as FunCoder's codebase runs it: N samples plus the
draft (the statement's own function), scored by how many generator-written asserts each passes,
argmax with a seeded tie-break; never plans."""

from __future__ import annotations

from pat_graph import build_graph, solve
from pat_graph.graph.budgets import budgets_for
from pat_graph.graph.policies import graph_defaults
from pat_graph.problem import Problem
from pat_graph.testing import ScriptedChatModel, fenced
from tests.unit.consensus_fixtures import Behaviour, MarkerSandbox
from tests.unit.graph_fixtures import ADD_SQ, responder

SIG = "def add_sq(a: int, b: int) -> int:\n"
ASSERTS = fenced(
    "assert add_sq(1, 1) == 2\nassert add_sq(2, 0) == 4\nassert add_sq(0, 3) == 9\n"
    "add_sq(5, 5)  # a bare call is not a CodeT test"
)


def impl(label: str) -> str:
    return fenced(f"{SIG}    return a * a + b * b  # v:{label}")


def samples(*labels: str):
    it = iter(labels)
    return lambda: impl(next(it))


async def run(labels, behaviours, seed=0, tests=ASSERTS, **budgets):
    gen = ScriptedChatModel(
        respond=responder({("trial", "add_sq"): samples(*labels), ("tests", "add_sq"): tests})
    )
    plan = ScriptedChatModel(respond=responder({}))
    box = MarkerSandbox(behaviours)
    result = await solve(
        Problem("t/add_sq", ADD_SQ, "add_sq"),
        generator=gen,
        planner=plan,
        policy="codet",
        sandbox=box,
        seed=seed,
        **budgets,
    )
    return result, gen, plan, box


async def test_call_pattern_n_samples_then_one_assert_request_and_no_planner():
    labels = ["a"] * 11
    result, gen, plan, box = await run(labels, {"a": Behaviour(passes=("(1, 1)",))})
    assert budgets_for("codet").n_samples == 11
    assert [(c.purpose, c.kwargs) for c in gen.calls] == [
        ("trial", {"temperature": 0.8, "n": 11}),
        ("tests", {"temperature": 0.2}),
    ]
    assert plan.calls == [] and result.planner_calls == 0
    ask = str(gen.calls_for("tests")[0].messages[-1].content)
    assert "assert add_sq(...) == expected" in ask and "def add_sq" in ask  # shown one candidate
    # the tests are the generator's asserts only: no bare call, no statement example
    tests = box.test_runs[0][1]
    assert tests == [
        "assert add_sq(1, 1) == 2",
        "assert add_sq(2, 0) == 4",
        "assert add_sq(0, 3) == 9",
    ]
    # the draft is the statement's own function (no body), candidate 0
    assert any("# v:" not in code and '"""Return a*a + b*b.' in code for code, _ in box.test_runs)


async def test_the_candidate_passing_most_asserts_is_the_answer():
    labels = ["one"] * 5 + ["all"] + ["two"] * 5
    behaviours = {
        "one": Behaviour(passes=("(1, 1)",)),
        "two": Behaviour(passes=("(1, 1)", "(2, 0)")),
        "all": Behaviour(passes=("add_sq",)),
    }
    result, *_ = await run(labels, behaviours)
    assert "# v:all" in result.code and result.origin == "sample 6"
    assert (result.tests_passed, result.tests_total) == (3, 3) and result.verified


async def test_ties_are_broken_with_the_run_seed_and_the_stub_is_a_candidate():
    labels = [f"c{i}" for i in range(11)]
    behaviours = {label: Behaviour(unit_ok=False) for label in labels}  # everyone scores 0
    answers = []
    for seed in range(12):
        result, *_ = await run(labels, behaviours, seed=seed)
        again, *_ = await run(labels, behaviours, seed=seed)
        assert again.code == result.code
        answers.append(result.origin)
    assert len(set(answers)) >= 3


async def test_unreadable_tests_are_asked_again():
    replies = iter([fenced("add_sq(1, 2)"), ASSERTS])
    gen = ScriptedChatModel(
        respond=responder(
            {("trial", "add_sq"): impl("a"), ("tests", "add_sq"): lambda: next(replies)}
        )
    )
    await solve(
        Problem("t/add_sq", ADD_SQ, "add_sq"),
        generator=gen,
        policy="codet",
        sandbox=MarkerSandbox({"a": Behaviour()}),
    )
    assert [c.purpose for c in gen.calls].count("tests") == 2


def test_codet_graph_never_plans():
    gen = ScriptedChatModel(respond=responder({}))
    builder = build_graph("codet", generator=gen, planner=gen)
    assert graph_defaults("codet", generator=gen, planner=gen).planner is None
    graph = builder.compile().get_graph()
    assert "plan" not in graph.nodes
    edges = {(e.source, e.target) for e in graph.edges}
    assert {("__start__", "generate"), ("generate", "build_tests"), ("verify", "finalize")} <= edges


async def test_without_a_usable_sample_the_stub_is_the_answer_and_no_test_is_written():
    gen = ScriptedChatModel(respond=responder({("tests", "add_sq"): ASSERTS}))
    result = await solve(
        Problem("t/add_sq", ADD_SQ, "add_sq"),
        generator=gen,
        policy="codet",
        sandbox=MarkerSandbox({}),
    )
    assert [c.purpose for c in gen.calls] == ["trial"] * 3  # the trial's requests, no tests
    assert result.origin == "statement stub" and result.tests_total == 0
