"""FunCoder's functional-consensus score and CodeT's score, on hand-made outcomes."""

from __future__ import annotations

from pat_graph.graph.consensus import (
    CRASH_PENALTY,
    UNIT_TEST_PENALTY,
    Outcome,
    codet_scores,
    consensus_scores,
    pick,
    same_output,
    tie_break_rng,
)
from pat_graph.sandbox.base import CallOutcome
from pat_graph.sandbox.compare import same_output as sandbox_same_output


def ok(value):
    return Outcome(True, value)


CRASH = Outcome(False)


def test_one_point_per_other_candidate_with_the_identical_output():
    # test 0: three agree on 1, one says 2; test 1: two pairs
    rows = [[ok(1), ok("a")], [ok(1), ok("a")], [ok(1), ok("b")], [ok(2), ok("b")]]
    assert consensus_scores(rows) == [2 + 1, 2 + 1, 2 + 1, 0 + 1]


def test_a_crash_costs_100_and_earns_nothing_nor_gives_points():
    rows = [[ok(1), ok(5)], [ok(1), CRASH], [CRASH, CRASH]]
    assert consensus_scores(rows) == [1 + 0, 1 - CRASH_PENALTY, -2 * CRASH_PENALTY]


def test_a_failed_unit_test_costs_10000_once_per_candidate_on_top_of_the_crash():
    unit_ok, unit_fail = Outcome(True, True, unit=True), Outcome(False, None, unit=True)
    rows = [
        [unit_ok, unit_ok, ok(3)],
        [unit_fail, unit_fail, ok(3)],  # two failed unit tests: -10000 once, -100 each
        [unit_ok, unit_ok, ok(4)],
    ]
    scores = consensus_scores(rows)
    assert scores[0] == 1 + 1 + 1  # agrees with #2 on both unit tests, with #1 on the input
    assert scores[1] == 1 - 2 * CRASH_PENALTY - UNIT_TEST_PENALTY
    assert scores[2] == 1 + 1 + 0
    assert pick(scores, tie_break_rng(0)) == 0


def test_identical_means_same_type_and_value():
    assert same_output(ok([1, 2]), ok([1, 2]))
    assert not same_output(ok(1), ok("1"))
    assert not same_output(CRASH, CRASH)
    # the sandbox's comparison (used by the pbt graph) agrees on the same cases
    a, b = CallOutcome("ok", [1, 2]), CallOutcome("ok", [1, 2])
    assert sandbox_same_output(a, b)
    assert not sandbox_same_output(CallOutcome("error"), CallOutcome("error"))


def test_ragged_rows_count_a_missing_outcome_as_a_crash():
    assert consensus_scores([[ok(1), ok(2)], [ok(1)]]) == [1.0, 1 - CRASH_PENALTY]


def test_no_tests_scores_everyone_zero_and_no_candidates_picks_nothing():
    assert consensus_scores([[], [], []]) == [0.0, 0.0, 0.0]
    assert pick([], tie_break_rng(0)) == -1


def test_ties_are_broken_at_random_but_deterministically_for_a_seed():
    scores = [5.0, 1.0, 5.0, 5.0, 0.0]
    first = [pick(scores, tie_break_rng(7, "HumanEval/0", 0)) for _ in range(3)]
    assert len(set(first)) == 1 and first[0] in (0, 2, 3)
    winners = {pick(scores, tie_break_rng(seed, "HumanEval/0", 0)) for seed in range(40)}
    assert winners == {0, 2, 3}  # every tied candidate can win; the others never do
    assert pick([1.0, 9.0, 2.0], tie_break_rng(3)) == 1


def test_codet_scores_count_passed_asserts():
    assert codet_scores([[True, True, False], [False, False, False], [True, True, True]]) == [
        2.0,
        0.0,
        3.0,
    ]
