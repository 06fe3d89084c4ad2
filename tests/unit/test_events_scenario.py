"""A scripted PaT scenario shared by the events and embedding tests (and checked here).

The verdicts come from `RuleSandbox`, which decides by reading the code, never by running it:
these tests are about the graph's plumbing, and generated code is only ever run in the real
sandbox. The scenario: the trial of `add_then_double` is wrong (`a + b`), so the planner is
called once and decomposes into `add` and `double`; their trials pass (they have no tests), and
the composition passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from pat_graph import Problem
from pat_graph.sandbox import base as verdicts  # aliased: pytest would try to collect Test*
from pat_graph.testing import ScriptedChatModel, fenced, target_of
from tests.unit.graph_fixtures import extract_examples

PROMPT = '''def add_then_double(a: int, b: int) -> int:
    """Return (a + b) * 2.
    >>> add_then_double(1, 2)
    6
    """
'''
WRONG_TRIAL = "def add_then_double(a: int, b: int) -> int:\n    return a + b\n"
RIGHT_TRIAL = "def add_then_double(a: int, b: int) -> int:\n    return (a + b) * 2\n"
PLAN = '''def add_then_double(a: int, b: int) -> int:
    """Return (a + b) * 2."""
    return double(add(a, b))


def add(a: int, b: int) -> int:
    """Sum of a and b."""
    ...


def double(x: int) -> int:
    """Twice x."""
    ...
'''
HELPERS = {
    "add": "def add(a: int, b: int) -> int:\n    return a + b\n",
    "double": "def double(x: int) -> int:\n    return 2 * x\n",
}
PRICES = {"gen-model": (1.0, 2.0), "plan-model": (10.0, 20.0)}


def problem() -> Problem:
    return Problem(
        "demo/1", PROMPT, "add_then_double", tests=["assert add_then_double(2, 3) == 10"]
    )


def generator(*, trial_right: bool = False) -> ScriptedChatModel:
    def respond(purpose: str, messages: list[BaseMessage]) -> str:
        target = target_of(messages)
        if purpose == "trial":
            if target == "add_then_double":
                return fenced(RIGHT_TRIAL if trial_right else WRONG_TRIAL)
            return fenced(HELPERS.get(target, "pass"))
        if purpose == "tests" and target == "add_then_double":
            return fenced("assert add_then_double(0, 4) == 8")
        if purpose == "examples":  # the paper profile's example extraction (issue 20)
            return extract_examples(messages)
        return "no tests from me"

    return ScriptedChatModel(respond=respond, model_name="gen-model")


def planner() -> ScriptedChatModel:
    return ScriptedChatModel(
        respond=lambda purpose, messages: fenced(PLAN), model_name="plan-model"
    )


class RuleSandbox:
    """Passes a test when the code is one of the scenario's correct programs."""

    name = "rules"

    def __init__(self) -> None:
        self.runs: list[str] = []

    async def run_tests(
        self,
        code: str,
        tests: Sequence[Any],
        *,
        kind: str = "function",
        timeout_s: float = 6.0,
        entry_point: str | None = None,
    ) -> verdicts.TestReport:
        self.runs.append(code)
        right = "return (a + b) * 2" in code or (
            "return double(add(a, b))" in code and "return 2 * x" in code and "return a + b" in code
        )
        status = "pass" if right else "fail"
        return verdicts.TestReport(
            tuple(verdicts.TestOutcome(status, "" if right else "AssertionError") for _ in tests)
        )


async def test_rule_sandbox_tells_right_from_wrong() -> None:
    box = RuleSandbox()
    wrong = await box.run_tests(WRONG_TRIAL, ["t1", "t2"])
    right = await box.run_tests(RIGHT_TRIAL, ["t1", "t2"])
    assert (wrong.n_passed, right.n_passed) == (0, 2)
