"""Loaders for HumanEval, HumanEval+ and MBPP+ rows, split into visible problem and judge data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pat_graph.benchmarks.mbpp_inputs import deserialize_mbpp_inputs
from pat_graph.benchmarks.types import Task
from pat_graph.problem import Problem


def humaneval_task(row: Mapping[str, Any]) -> Task:
    """Original HumanEval: judged by its own `check()` harness; no plus tier.

    The visible tests stay empty: the docstring examples are in the prompt and the solving loop
    parses them itself. `check()` is hidden.
    """
    problem = Problem(row["task_id"], row["prompt"], row["entry_point"], [], "function")
    harness = f"{row['test']}\n\ncheck({row['entry_point']})\n"
    return Task(
        problem=problem,
        dataset="humaneval",
        mode="check",
        hidden_tests=[harness],
        canonical_solution=row["canonical_solution"],
        reference_program=row["prompt"] + row["canonical_solution"],
    )


def humaneval_plus_task(row: Mapping[str, Any]) -> Task:
    """HumanEval+: base and plus inputs judged against the canonical solution's outputs."""
    problem = Problem(row["task_id"], row["prompt"], row["entry_point"], [], "function")
    return Task(
        problem=problem,
        dataset="humaneval",
        mode="differential",
        base_inputs=list(row["base_input"]),
        plus_inputs=list(row["plus_input"]),
        canonical_solution=row["canonical_solution"],
        atol=float(row.get("atol") or 0.0),
        reference_program=row["prompt"] + row["canonical_solution"],
    )


def visible_mbpp_assert(prompt: str) -> list[str]:
    """The single example assert EvalPlus puts into the MBPP+ prompt docstring."""
    return [line.strip() for line in prompt.splitlines() if line.strip().startswith("assert ")][:1]


def mbpp_plus_task(row: Mapping[str, Any]) -> Task:
    """MBPP+: the prompt is the task text plus one example assert (visible); the rest is hidden."""
    task_id = row["task_id"]
    problem = Problem(
        task_id, row["prompt"], row["entry_point"], visible_mbpp_assert(row["prompt"]), "function"
    )
    return Task(
        problem=problem,
        dataset="mbpp",
        mode="differential",
        base_inputs=deserialize_mbpp_inputs(task_id, row["base_input"]),
        plus_inputs=deserialize_mbpp_inputs(task_id, row["plus_input"]),
        canonical_solution=row["canonical_solution"],
        atol=float(row.get("atol") or 0.0),
        reference_program=row["prompt"] + row["canonical_solution"],
    )


def filter_ids(tasks: Iterable[Task], keep: set[str]) -> list[Task]:
    return [t for t in tasks if t.task_id in keep]
