"""Trusted tests run on the host against proxies of the candidate (issue 19, class 1).

The sandbox is a fake here: it answers each call from a dict of Python functions standing for the
candidate, and counts its runs, so these tests check the batching and the verdict rules alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from pat_graph.sandbox.base import CallOutcome
from pat_graph.sandbox.harness.plain import _plain, decode
from pat_graph.sandbox.harness.proxy import unref
from pat_graph.sandbox.proxy import run_proxied


class FakeBox:
    name = "fake"

    def __init__(self, functions: dict[str, Callable[..., Any]]) -> None:
        self.functions = functions
        self.runs: list[int] = []

    async def run_calls(self, code: str, calls: Sequence[Any], **_: Any) -> tuple[CallOutcome, ...]:
        self.runs.append(len(calls))
        out, results = [], {}
        for k, call in enumerate(calls):
            assert set(call) == {"fn", "argv", "timeout_s"}  # only a name and plain arguments
            try:
                args, kwargs = unref(decode(call["argv"]), k, results)
                value = results[k] = self.functions[call["fn"]](*args, **kwargs)
                out.append(CallOutcome("ok", _plain(value)))
            except Exception as exc:
                out.append(CallOutcome("error", message=f"{type(exc).__name__}: {exc}"))
        return tuple(out)


PROMPT = 'def helper(x):\n    return x * 2\n\ndef f(x):\n    """doc"""\n'
CHECK = """
def check(candidate):
    for i in range(20):
        assert candidate(i) == helper(i) + 1
check(f)
"""


async def run(box: FakeBox, tests: list[str], **kw: Any) -> list[str]:
    verdicts = await run_proxied(box, "", tests, entry_point="f", prelude=PROMPT, timeout_s=2, **kw)
    return [v.status for v in verdicts]


async def test_a_check_harness_runs_here_in_one_sandbox_run() -> None:
    box = FakeBox({"f": lambda x: 2 * x + 1})
    assert await run(box, [CHECK]) == ["pass"]
    assert box.runs == [20]  # every call of the loop answered by one run


async def test_helpers_come_from_the_prompt_not_the_candidate() -> None:
    # A candidate whose own `helper` agrees with its wrong `f` still fails: helper is the prompt's.
    box = FakeBox({"f": lambda x: 1, "helper": lambda x: 0})
    assert await run(box, [CHECK]) == ["fail"]


async def test_control_flow_on_answers_takes_more_rounds_and_stays_exact() -> None:
    test = "n = f(0)\nwhile n < 5:\n    n = f(n)\nassert n == 5\n"
    box = FakeBox({"f": lambda x: x + 1})
    assert await run(box, [test]) == ["pass"]
    assert len(box.runs) > 1
    wrong = FakeBox({"f": lambda x: x + 2})
    assert await run(wrong, [test]) == ["fail"]


async def test_random_inputs_are_the_same_in_every_round() -> None:
    test = (
        "import random\nfor _ in range(30):\n    x = random.randint(0, 10**6)\n"
        "    assert f(x) == x\n"
    )
    box = FakeBox({"f": lambda x: x})
    assert await run(box, [test]) == ["pass"]
    assert box.runs == [30]


async def test_exceptions_of_the_candidate_reach_the_test_by_type() -> None:
    test = "try:\n    f(-1)\nexcept ValueError:\n    pass\nelse:\n    assert False\n"

    def f(x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return x

    assert await run(FakeBox({"f": f}), [test]) == ["pass"]
    assert await run(FakeBox({"f": lambda x: x}), [test]) == ["fail"]


async def test_a_test_looping_on_an_answer_times_out_here() -> None:
    test = "for _ in range(f(0)):\n    pass\n"
    box = FakeBox({"f": lambda x: 10**15})
    verdicts = await run_proxied(box, "", [test], entry_point="f", timeout_s=0.3)
    assert verdicts[0].status == "timeout"


@pytest.mark.parametrize(
    "test", ["assert f(1) == 2\nassert f(2) == 3", "assert [f(i) for i in range(3)] == [1, 2, 3]"]
)
async def test_free_names_are_proxies_and_builtins_are_not(test: str) -> None:
    assert await run(FakeBox({"f": lambda x: x + 1}), [test]) == ["pass"]
    assert await run(FakeBox({"f": lambda x: x}), [test]) == ["fail"]


async def test_an_answer_passed_to_a_later_call_needs_no_extra_round() -> None:
    """HumanEval/38's shape: encode with one function, decode the result with the other."""
    test = "for s in ['abc', 'hello', 'x' * 7]:\n    assert decode(encode(s)) == s\n"
    box = FakeBox({"encode": lambda s: s[::-1], "decode": lambda s: s[::-1]})
    verdicts = await run_proxied(box, "", [test], entry_point=None, timeout_s=2)
    assert [v.status for v in verdicts] == ["pass"]
    assert box.runs == [6]  # one sandbox run: the decode calls referred to the encode answers
    wrong = FakeBox({"encode": lambda s: s[::-1], "decode": lambda s: s})
    verdicts = await run_proxied(wrong, "", [test], entry_point=None, timeout_s=2)
    assert [v.status for v in verdicts] == ["fail"]


async def test_a_test_slower_than_the_inline_slice_runs_again_in_a_thread() -> None:
    """A run longer than INLINE_S is stopped on the event loop and run again, with its full
    time, in a worker thread: the same verdict, and no extra sandbox run."""
    test = "import time\ntime.sleep(0.4)\nassert f(1) == 2\n"
    box = FakeBox({"f": lambda x: x + 1})
    assert await run(box, [test]) == ["pass"]
    assert box.runs == [1]
