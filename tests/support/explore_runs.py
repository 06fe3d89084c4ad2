"""Runs for the explorer's tests and screenshots: scripted models through the real runner,
SQLite, sandbox and judge, so the pages show a real solve tree with planning and helpers.

Three problems, each built to exercise one part of the tree (budgets: 3 samples, 2 rounds,
max depth 2, the strict profile so generated tests are asserts written beside the trial):
- `ex/easy` add_one: the trial passes; no planning.
- `ex/plan` sum_even_squares: the trial fails; the plan calls `evens` (its trial passes) and
  `sum_squares` (its trial fails, so it plans one level deeper with `square_all`); the
  composition passes.
- `ex/fail` median: the trial fails; the planned body (with helper `sort_copy`) is still wrong,
  yet passes the in-loop tests because one generated test expects the wrong value. The judge
  fails it, and the same generated test rejects the canonical solution (a false positive).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage

from pat_graph.testing import ScriptedChatModel, fenced, purpose_of, target_of

RUN_PAT = "fixture-pat"
RUN_STANDARD = "fixture-standard"
N_SAMPLES = 3
PLAN_ROUNDS = 2

PROBLEMS: list[dict[str, Any]] = [
    {
        "task_id": "ex/easy",
        "entry_point": "add_one",
        "prompt": 'def add_one(x: int) -> int:\n    """Return x plus one."""\n',
        "kind": "function",
        "tests": [],
        "hidden_tests": ["assert add_one(0) == 1", "assert add_one(-5) == -4"],
        "canonical_solution": "def add_one(x: int) -> int:\n    return x + 1\n",
    },
    {
        "task_id": "ex/plan",
        "entry_point": "sum_even_squares",
        "prompt": (
            "def sum_even_squares(xs: list[int]) -> int:\n"
            '    """The sum of the squares of the even numbers in xs."""\n'
        ),
        "kind": "function",
        "tests": ["assert sum_even_squares([1, 2, 3, 4]) == 20"],
        "hidden_tests": [
            "assert sum_even_squares([]) == 0",
            "assert sum_even_squares([2, 2]) == 8",
            "assert sum_even_squares([-2, 5]) == 4",
        ],
        "canonical_solution": (
            "def sum_even_squares(xs: list[int]) -> int:\n"
            "    return sum(x * x for x in xs if x % 2 == 0)\n"
        ),
    },
    {
        "task_id": "ex/fail",
        "entry_point": "median",
        "prompt": (
            "def median(xs: list[float]) -> float:\n"
            '    """The median of a non-empty list (the mean of the middle two for even '
            'lengths)."""\n'
        ),
        "kind": "function",
        "tests": [],
        "hidden_tests": ["assert median([3, 1, 2]) == 2", "assert median([4, 1, 3, 2]) == 2.5"],
        "canonical_solution": (
            "def median(xs: list[float]) -> float:\n"
            "    s = sorted(xs)\n"
            "    n = len(s)\n"
            "    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2\n"
        ),
    },
]

# What the scripted model answers, by purpose and target function. A list is cycled through
# the samples of one request after another.
TESTS = {
    "add_one": ["assert add_one(1) == 2", "assert add_one(10) == 11"],
    "sum_even_squares": ["assert sum_even_squares([2]) == 4", "assert sum_even_squares([1]) == 0"],
    "evens": ["assert evens([1, 2, 3, 4]) == [2, 4]"],
    "sum_squares": ["assert sum_squares([1, 2]) == 5", "assert sum_squares([]) == 0"],
    "square_all": ["assert square_all([1, 3]) == [1, 9]"],
    "sort_copy": ["assert sort_copy([3, 1]) == [1, 3]"],
    # The second expectation is wrong (the median of [1, 2] is 1.5): a false positive.
    "median": ["assert median([5, 1, 3]) == 3", "assert median([1, 2]) == 2"],
}
TRIALS = {
    "add_one": ["def add_one(x: int) -> int:\n    return x + 1\n"],
    "sum_even_squares": [
        "def sum_even_squares(xs: list[int]) -> int:\n"
        "    return sum(x for x in xs if x % 2 == 0)\n",
        "def sum_even_squares(xs: list[int]) -> int:\n    return sum(x * x for x in xs)\n",
        "def sum_even_squares(xs: list[int]) -> int:\n    return len(xs)\n",
    ],
    "evens": ["def evens(xs: list[int]) -> list[int]:\n    return [x for x in xs if x % 2 == 0]\n"],
    "sum_squares": ["def sum_squares(xs: list[int]) -> int:\n    return sum(xs)\n"],
    "square_all": ["def square_all(xs: list[int]) -> list[int]:\n    return [x * x for x in xs]\n"],
    "sort_copy": ["def sort_copy(xs: list[float]) -> list[float]:\n    return sorted(xs)\n"],
    "median": [
        "def median(xs: list[float]) -> float:\n    return xs[len(xs) // 2]\n",
        "def median(xs: list[float]) -> float:\n    return sum(xs) / len(xs) + 1\n",
    ],
}
PLANS = {
    "sum_even_squares": (
        "def sum_even_squares(xs: list[int]) -> int:\n"
        '    """The sum of the squares of the even numbers in xs."""\n'
        "    return sum_squares(evens(xs))\n\n\n"
        "def evens(xs: list[int]) -> list[int]:\n"
        '    """The even numbers of xs, in order."""\n'
        "    ...\n\n\n"
        "def sum_squares(xs: list[int]) -> int:\n"
        '    """The sum of the squares of xs."""\n'
        "    ...\n"
    ),
    "sum_squares": (
        "def sum_squares(xs: list[int]) -> int:\n"
        '    """The sum of the squares of xs."""\n'
        "    return sum(square_all(xs))\n\n\n"
        "def square_all(xs: list[int]) -> list[int]:\n"
        '    """Each number of xs squared."""\n'
        "    ...\n"
    ),
    "median": (
        "def median(xs: list[float]) -> float:\n"
        '    """The median of a non-empty list."""\n'
        "    s = sort_copy(xs)\n"
        "    return s[len(s) // 2]\n\n\n"
        "def sort_copy(xs: list[float]) -> list[float]:\n"
        '    """A sorted copy of xs."""\n'
        "    ...\n"
    ),
}

# What the tree of each problem must show under the PaT policy (the browser test counts nodes).
EXPECTED_PAT = {
    "ex/easy": dict(function=1, trial=1, candidate=N_SAMPLES, round=0, composition=0),
    # root + evens + sum_squares + square_all; two planning rounds (root's, sum_squares')
    "ex/plan": {
        "function": 4,
        "trial": 4,
        "candidate": 4 * N_SAMPLES,
        "round": 2,
        "composition": 2,
    },
    # root + sort_copy; the first composition passes the (partly wrong) in-loop tests
    "ex/fail": {
        "function": 2,
        "trial": 2,
        "candidate": 2 * N_SAMPLES,
        "round": 1,
        "composition": 1,
    },
}


class Replies:
    """The scripted answers, cycling through each target's variants sample by sample."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()

    def __call__(self, purpose: str, messages: list[BaseMessage]) -> str:
        target = target_of(messages)
        if purpose == "tests":
            return fenced("\n".join(TESTS.get(target, [])))
        if purpose == "plan" and target in PLANS:
            return fenced(PLANS[target])
        if purpose in ("trial", "program", "plan"):
            variants = TRIALS.get(target, [f"def {target}(*args):\n    return None\n"])
            i = self.seen[(purpose, target)]
            self.seen[(purpose, target)] += 1
            return fenced(variants[i % len(variants)])
        return "I cannot help with that."


def write_benchmark(path: Path) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS), encoding="utf-8")
    return path


def budgets() -> dict[str, Any]:
    from pat_graph.graph.budgets import Budgets

    out: dict[str, Any] = {
        "n_samples": N_SAMPLES,
        "plan_rounds": PLAN_ROUNDS,
        "max_depth": 2,
        "n_generated_tests": 5,
    }
    if "profile" in {f.name for f in dataclasses.fields(Budgets)}:
        out["profile"] = "strict"
    return out


async def build_runs(folder: Path, db: str | Path | None = None) -> Path:
    """A database with a PaT run and a standard run of the three problems; returns its path
    (`db`: another database, e.g. a postgresql:// URL; default `folder`/runs.sqlite)."""
    from pat_graph.benchmarks import load_benchmark
    from pat_graph.models.roles import RoleModel
    from pat_graph.runs.runner import run_benchmark
    from pat_graph.sandbox import get_sandbox

    bench_file = write_benchmark(folder / "explore-fixture.jsonl")
    benchmark = load_benchmark(str(bench_file))
    db = folder / "runs.sqlite" if db is None else db
    sandbox = get_sandbox("auto")
    for run, policy in ((RUN_PAT, "pat"), (RUN_STANDARD, "standard")):
        chat = ScriptedChatModel(respond=Replies(), model_name="scripted")
        model = RoleModel(chat, "scripted", 0.5, 1.5)
        kwargs = budgets() if policy == "pat" else {"n_samples": N_SAMPLES, **_profile()}
        await run_benchmark(
            run=run,
            benchmark=benchmark,
            policy=policy,
            generator=model,
            planner=model if policy == "pat" else None,
            budgets=kwargs,
            db_path=db,
            sandbox=sandbox,
            judge_sandbox=sandbox,
            progress=False,
        )
    return db


def _profile() -> dict[str, Any]:
    return {k: v for k, v in budgets().items() if k == "profile"}


__all__ = ["EXPECTED_PAT", "PROBLEMS", "RUN_PAT", "RUN_STANDARD", "build_runs", "purpose_of"]
