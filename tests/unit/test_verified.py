"""Issue 22, item 7: "verified" means at least one in-loop test ran and every one passed.

A program chosen with zero tests (CodeT's statement stub when no sample or no test came back, a
trial on a problem with no examples and no test writing) is "untested", counted apart in the
report (`untested`, and the text), never in `verified_rate`. Every policy ends in the same
`final_answer`, so each policy's pick is checked through it, and end to end for two of them.
"""

from __future__ import annotations

import pytest

from pat_graph import solve
from pat_graph.graph.events import ProgressEvent, format_event
from pat_graph.graph.nodes.finalize import final_answer, recorded_untested, recorded_verified
from pat_graph.problem import Problem
from pat_graph.reporting.report import format_table, summarize_run
from pat_graph.runs.store import ResultRow, RunRecord
from pat_graph.testing import ScriptedChatModel, fenced
from tests.unit.consensus_fixtures import Behaviour, MarkerSandbox
from tests.unit.graph_fixtures import ADD_SQ, responder
from tests.unit.test_codet import impl, samples

NO_EXAMPLES = 'def twice(x: int) -> int:\n    """Return 2 * x."""\n'


@pytest.mark.parametrize(
    ("best", "verified"),
    [
        ({"code": "x", "passed": 0, "total": 0, "origin": "trial"}, False),  # pat trial, 0 tests
        ({"code": "x", "passed": 0, "total": 0, "origin": "statement stub"}, False),  # codet
        ({"code": "x", "passed": 0, "total": 0, "score": 4, "origin": "divide"}, False),  # pbt
        ({"code": "x", "passed": 0, "total": 0, "origin": "round 2"}, False),  # a composition
        ({"code": "x", "passed": 2, "total": 3, "origin": "trial"}, False),
        ({"code": "x", "passed": 3, "total": 3, "origin": "sample 4"}, True),
    ],
)
def test_final_answer_needs_a_test_that_ran(best: dict, verified: bool) -> None:
    assert final_answer({"best": best, "tests": []})["verified"] is verified
    assert final_answer({"best": None, "tests": []})["verified"] is False


async def test_codet_picking_the_stub_without_any_test_is_untested() -> None:
    gen = ScriptedChatModel(respond=responder({}))  # no usable sample: the stub is the answer
    result = await solve(
        Problem("t/add_sq", ADD_SQ, "add_sq"), generator=gen, policy="codet",
        sandbox=MarkerSandbox({}),
    )  # fmt: skip
    assert result.origin == "statement stub" and result.tests_total == 0
    assert result.verified is False
    assert recorded_untested(result.to_dict()) and not recorded_verified(result.to_dict())


async def test_codet_when_no_test_could_be_written_is_untested_whatever_it_picks() -> None:
    behaviours = {label: Behaviour() for label in "abcdefghijk"}
    origins = set()
    for seed in range(6):  # the seeded pick lands on the stub or on a sample: never verified
        replies = {("trial", "add_sq"): samples(*"abcdefghijk"), ("tests", "add_sq"): "no tests"}
        gen = ScriptedChatModel(respond=responder(replies))
        result = await solve(
            Problem("t/add_sq", ADD_SQ, "add_sq"), generator=gen, policy="codet",
            sandbox=MarkerSandbox(behaviours), seed=seed,
        )  # fmt: skip
        assert result.tests_total == 0 and result.verified is False
        origins.add(result.origin)
    assert len(origins) > 1


async def test_a_trial_with_no_test_at_all_is_untested_not_verified() -> None:
    gen = ScriptedChatModel(
        respond=responder({("trial", "twice"): fenced("def twice(x):\n    return 2 * x  # v:a")})
    )
    result = await solve(
        Problem("t/twice", NO_EXAMPLES, "twice"), generator=gen, policy="standard",
        sandbox=MarkerSandbox({"a": Behaviour()}),
    )  # fmt: skip
    assert "return 2 * x" in result.code and result.tests_total == 0
    assert result.verified is False


async def test_a_program_that_passed_its_tests_is_still_verified() -> None:
    gen = ScriptedChatModel(respond=responder({("trial", "add_sq"): impl("a")}))
    result = await solve(
        Problem("t/add_sq", ADD_SQ, "add_sq"), generator=gen, policy="standard",
        sandbox=MarkerSandbox({"a": Behaviour()}),
    )  # fmt: skip
    assert result.tests_total == 2 and result.tests_passed == 2 and result.verified is True


def _row(task: str, verified: bool, passed: int, total: int) -> ResultRow:
    result = {"code": "def f(): ...", "verified": verified, "tests_passed": passed,
              "tests_total": total, "planner_calls": 0, "ledger": []}  # fmt: skip
    return ResultRow("r", task, "done", result, True, None, None)


def test_report_counts_zero_test_picks_apart_also_in_old_results() -> None:
    record = RunRecord("r", "codet", {"name": "g"}, None, {}, "b.jsonl", "h", problems=4)
    rows = [
        _row("a", True, 3, 3),
        _row("b", True, 0, 0),  # recorded before issue 22: a zero-test pick called verified
        _row("c", False, 0, 0),
        _row("d", False, 1, 2),
    ]
    s = summarize_run(record, rows, [])
    assert s["verified_rate"] == 0.25
    assert s["untested"] == 2
    assert "25.0% (2 untested: chosen with no in-loop test run)" in format_table([s])
    s = summarize_run(record, [_row("a", True, 3, 3)], [])
    assert s["untested"] == 0 and "untested" not in format_table([s])


def test_verbose_line_says_untested() -> None:
    event = ProgressEvent(node="finalize", function="f", depth=0, verified=False,
                          best_passed=0, tests_total=0)  # fmt: skip
    assert "finalize         untested (0/0 tests) |" in format_event(event)
    event = ProgressEvent(node="finalize", function="f", depth=0, verified=False,
                          best_passed=1, tests_total=2)  # fmt: skip
    assert "finalize         NOT verified (1/2 tests) |" in format_event(event)
