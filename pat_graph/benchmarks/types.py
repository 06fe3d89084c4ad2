"""A benchmark task splits into what the solver may see (`problem`) and what only the judge may see.

Keeping the two halves in separate fields (rather than one dict) makes the hidden-test firewall
checkable: anything handed to the solving loop is `task.problem` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pat_graph.benchmarks.patches import StatementPatch, apply_patches
from pat_graph.problem import Problem
from pat_graph.sandbox.base import Test

# How the judge decides a verdict:
# - "check":        hidden tests are sandbox tests (source strings, call dicts or stdio pairs).
# - "differential": EvalPlus style; compare against the canonical solution's outputs on inputs.
# - "codeforces":   stdio programs judged as Codeforces does (benchmarks/xcodeeval.py): tokens
#                   compared with any of the accepted outputs, per-test time limit, first failure.
# A "check" task that also has plus inputs (mbpp-pat) is judged by its own asserts for base and by
# EvalPlus's inputs for plus.
JudgeMode = Literal["check", "differential", "codeforces"]

# Which EvalPlus oracle family applies (special cases are keyed by entry point inside a family).
Dataset = Literal["humaneval", "mbpp", "apps", "xcodeeval", "custom"]


@dataclass(frozen=True)
class Task:
    """One benchmark problem: `problem` is visible, every other field is judge-only."""

    problem: Problem
    dataset: Dataset
    mode: JudgeMode
    hidden_tests: list[Test] = field(default_factory=list)
    base_inputs: list[list[Any]] | None = None
    plus_inputs: list[list[Any]] | None = None
    canonical_solution: str | None = None
    atol: float = 0.0
    # The full reference program (prompt + canonical solution) used to compute expected outputs.
    reference_program: str | None = None
    # sha256 of the benchmark data the task came from: keys the reference-output cache.
    data_hash: str = ""
    # Corrections to the statement's examples (benchmarks/patches.py); the judge never uses them.
    statement_patches: tuple[StatementPatch, ...] = ()
    # The benchmark's own judge settings: the default import block before the program, and a time
    # limit: for a "check" task all hidden tests together (mbpp-pat: the PaT authors' MBPP judge,
    # 2.5 s), for a "codeforces" task each test (the problem's limit).
    time_limit_s: float | None = None
    judge_imports: bool = False
    # Difficulty rating (xCodeEval's Codeforces rating); `report` groups Pass@1 by it.
    rating: int | None = None

    @property
    def task_id(self) -> str:
        return self.problem.task_id

    @property
    def has_plus(self) -> bool:
        return self.plus_inputs is not None

    def problem_for(self, patched: bool = True) -> Problem:
        """What the solver sees: the statement with its example patches applied (the
        `benchmark_patches` knob), or exactly as shipped."""
        if not patched or not self.statement_patches:
            return self.problem
        return apply_patches(self.problem, self.statement_patches)


@dataclass(frozen=True)
class Benchmark:
    name: str
    data_hash: str
    tasks: list[Task]

    @property
    def has_plus(self) -> bool:
        return any(t.has_plus for t in self.tasks)

    def by_id(self) -> dict[str, Task]:
        return {t.task_id: t for t in self.tasks}

    def __len__(self) -> int:
        return len(self.tasks)
