"""Shared problems and scripted replies for the graph tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pat_graph.problem import Problem
from pat_graph.program.doctests import example_tests
from pat_graph.program.parse import fenced_blocks
from pat_graph.sandbox import get_sandbox
from pat_graph.sandbox.base import TestReport
from pat_graph.testing import fenced, target_of

ADD_SQ = '''def add_sq(a: int, b: int) -> int:
    """Return a*a + b*b.
    >>> add_sq(1, 2)
    5
    >>> add_sq(0, 3)
    9
    """
'''

WRONG_ADD_SQ = "def add_sq(a: int, b: int) -> int:\n    return a + b"
RIGHT_ADD_SQ = "def add_sq(a: int, b: int) -> int:\n    return a * a + b * b"

PLAN_ADD_SQ = '''def add_sq(a: int, b: int) -> int:
    """Return a*a + b*b."""
    return square(a) + square(b)


def square(x: int) -> int:
    """Return x squared.
    >>> square(3)
    9
    """
    ...
'''

PLAN_SQUARE = '''def square(x: int) -> int:
    """Return x squared."""
    return mul(x, x)


def mul(a: int, b: int) -> int:
    """Return a times b.
    >>> mul(2, 5)
    10
    """
    ...
'''


def add_sq_problem(task_id: str = "t/add_sq") -> Problem:
    return Problem(task_id, ADD_SQ, "add_sq")


def responder(table: dict[tuple[str, str], str | Callable[[], str]]) -> Callable[..., str]:
    """Reply by (purpose, target function); ('*', target) and (purpose, '*') are fallbacks.
    A missing entry answers with chatter and no code, which the graph must survive; a missing
    "examples" entry (("*", target) does not count) answers as a faithful extractor would
    (`extract_examples`)."""

    def respond(purpose: str, messages: Sequence[Any]) -> str:
        target = target_of(messages)
        keys = [(purpose, target), ("*", target), (purpose, "*")]
        if purpose == "examples":  # an ("*", target) entry scripts code, not an extraction
            keys.remove(("*", target))
        for key in keys:
            if key in table:
                value = table[key]
                return value() if callable(value) else value
        if purpose == "examples":
            return extract_examples(messages)
        return "I am not sure how to do that."

    return respond


def extract_examples(messages: Sequence[Any]) -> str:
    """What a model extracting the examples of the function shown answers: its doctest
    examples as asserts (the example_parser="llm" request, scripted)."""
    shown = fenced_blocks(str(messages[-1].content))
    name = target_of(messages)
    tests = example_tests(shown[-1], name) if shown and name else []
    return "The examples:\n\n```python\n" + "\n".join(tests) + "\n```"


class RecordingSandbox:
    """The real sandbox, recording every program it was asked to verify."""

    name = "recording"

    def __init__(self) -> None:
        self.inner = get_sandbox("auto")
        self.programs: list[str] = []
        self.tests: list[list[Any]] = []

    async def run_tests(self, code: str, tests: Sequence[Any], **kwargs: Any) -> TestReport:
        self.programs.append(code)
        self.tests.append(list(tests))
        return await self.inner.run_tests(code, tests, **kwargs)


TESTS_REPLY = fenced("assert add_sq(2, 2) == 8\nassert add_sq(1, 1) == 2\nadd_sq(3, 3)")
