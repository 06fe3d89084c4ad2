"""Shared fakes for the performance benchmarks and the fault tests: synthetic problems, the
deterministic replies a model gives them, a chat model that only sleeps, an instant sandbox.

Why synthetic problems and not HumanEval: the benchmarks measure what pat-graph adds around the
model calls, so the call pattern must be known exactly (the ideal loop replays it) and the same at
any N. Problem `i` is "easy" (the trial passes: trial + tests, 2 calls in one latency step) or
"hard" (the trial is wrong: trial + tests, then plan, then the helper's trial + tests: 5 calls in 3
latency steps), so the planning path trial -> verify -> plan -> helper -> compose is exercised.

The replies are real, correct or deliberately wrong Python, so the same problems also work with the
real sandbox and judge (the fault tests run them through `pat-graph run`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import PrivateAttr

from pat_graph.benchmarks.judge import Verdict
from pat_graph.benchmarks.types import Task
from pat_graph.models.answer import Answer, AnswerChatModel
from pat_graph.problem import Problem
from pat_graph.sandbox.base import TestOutcome, TestReport
from pat_graph.testing import count_tokens, fenced, purpose_of, target_of

WRONG_MARK = "# synthetic: wrong on purpose"
HELPER_SUFFIX = "_part"
_NAME = re.compile(r"^([eh])(\d+)((?:_part)*)$")

# Latency steps per problem, each a gather of that many concurrent calls (see the module doc).
EASY_STEPS = (2,)
HARD_STEPS = (2, 1, 2)


def is_hard(i: int, fraction: float = 0.5) -> bool:
    """Spread `fraction` of hard problems evenly over the indices (deterministic, no RNG)."""
    return int((i + 1) * fraction) > int(i * fraction)


async def ideal_loop(n: int, hard: float, latency: float, concurrency: int) -> float:
    """The floor every overhead figure is a ratio to: the same latency steps as the fake
    model's call pattern, at the same concurrency, and nothing else."""
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            for calls in HARD_STEPS if is_hard(i, hard) else EASY_STEPS:
                await asyncio.gather(*(asyncio.sleep(latency) for _ in range(calls)))

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - start


def entry_name(i: int, hard: bool) -> str:
    return f"{'h' if hard else 'e'}{i:05d}"


def _addend(name: str) -> int:
    match = _NAME.match(name)
    return int(match.group(2)) % 10 + 1 if match else 1


def task_index(name: str) -> int | None:
    """Which synthetic problem a function (root or helper) belongs to."""
    match = _NAME.match(name)
    return int(match.group(2)) if match else None


def synthetic_prompt(name: str) -> str:
    k = _addend(name)
    return (
        f"def {name}(x: int) -> int:\n"
        f'    """Return x plus {k}.\n'
        f"    >>> {name}(1)\n"
        f"    {1 + k}\n"
        f'    """\n'
    )


def synthetic_problem(i: int, hard: bool) -> Problem:
    name = entry_name(i, hard)
    return Problem(f"syn/{i:05d}", synthetic_prompt(name), name)


def hidden_tests(name: str) -> list[str]:
    k = _addend(name)
    return [f"assert {name}({x}) == {x + k}" for x in (0, 5, -3)]


def synthetic_task(i: int, hard: bool) -> Task:
    problem = synthetic_problem(i, hard)
    return Task(
        problem=problem,
        dataset="custom",
        mode="check",
        hidden_tests=hidden_tests(problem.entry_point),
    )


def jsonl_row(i: int, hard: bool) -> dict[str, Any]:
    """A custom-benchmark line (DESIGN.md section 3) for problem `i`."""
    problem = synthetic_problem(i, hard)
    return {
        "task_id": problem.task_id,
        "prompt": problem.prompt,
        "entry_point": problem.entry_point,
        "kind": "function",
        "tests": [],
        "hidden_tests": hidden_tests(problem.entry_point),
    }


def write_jsonl(path: Path, n: int, hard_fraction: float = 0.5) -> Path:
    rows = (json.dumps(jsonl_row(i, is_hard(i, hard_fraction))) for i in range(n))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def synthetic_reply(purpose: str, target: str) -> str:
    """What a perfectly deterministic model answers to pat-graph's prompt about `target`."""
    k = _addend(target)
    if purpose == "tests":
        return fenced(f"assert {target}(1) == {1 + k}\nassert {target}(10) == {10 + k}")
    if purpose == "plan":
        helper = f"{target}{HELPER_SUFFIX}"
        return fenced(
            f"def {target}(x: int) -> int:\n"
            f'    """Return x plus {k}."""\n'
            f"    return {helper}(x)\n\n\n"
            f"def {helper}(x: int) -> int:\n"
            f'    """Return x plus {k}."""\n'
            f"    ...\n"
        )
    if purpose == "trial":
        hard_root = target.startswith("h") and not target.endswith(HELPER_SUFFIX)
        if hard_root:
            return fenced(f"def {target}(x: int) -> int:\n    return x - {k}  {WRONG_MARK}")
        return fenced(f"def {target}(x: int) -> int:\n    return x + {k}")
    return "I am not sure what you are asking."


def reply_for(messages: Sequence[BaseMessage]) -> str:
    return synthetic_reply(purpose_of(messages), target_of(messages))


class LatencyChatModel(AnswerChatModel):
    """Sleeps `latency_s` per request, then answers like `synthetic_reply`.

    Unlike `pat_graph.testing.ScriptedChatModel` it keeps no transcript (only counters), so a
    5,000-problem run does not measure the fake's own memory. Async only, like the graphs.
    """

    llm_type = "pat-graph-bench-latency"
    latency_s: float = 0.05
    model_name: str = "fake-latency"
    _counts: Counter[str] = PrivateAttr(default_factory=Counter)

    @property
    def counts(self) -> Counter[str]:
        return self._counts

    async def _aanswer(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> list[Answer]:
        await asyncio.sleep(self.latency_s)
        n = int(kwargs.get("n") or 1)
        purpose = purpose_of(messages)
        self._counts[purpose] += 1
        text = synthetic_reply(purpose, target_of(messages))
        prompt_tokens = sum(count_tokens(str(m.content)) for m in messages)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": n * count_tokens(text),
            "total_tokens": prompt_tokens + n * count_tokens(text),
        }
        return [Answer([text] * n, usage)]


class InstantSandbox:
    """Verdicts without running anything: a program fails every test iff it carries WRONG_MARK.
    Only for the fake model's own replies, which are known; never for model output."""

    name = "instant"

    def __init__(self) -> None:
        self.runs = 0

    async def run_tests(
        self,
        code: str,
        tests: Sequence[Any],
        *,
        kind: str = "function",
        timeout_s: float = 6.0,
        entry_point: str | None = None,
    ) -> TestReport:
        self.runs += 1
        wrong = WRONG_MARK in code
        outcome = TestOutcome("fail", "wrong answer") if wrong else TestOutcome("pass")
        return TestReport(tuple(outcome for _ in tests))


async def instant_judge(task: Task, program: str, *, sandbox: Any = None) -> Verdict:
    """The runner's judge hook for benchmarks: same rule as InstantSandbox."""
    return Verdict(base=WRONG_MARK not in program, plus=None)


def expected_calls(n: int, hard_fraction: float) -> int:
    return sum(sum(HARD_STEPS if is_hard(i, hard_fraction) else EASY_STEPS) for i in range(n))
