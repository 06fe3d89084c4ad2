"""The MBPP task set of the PaT paper: `mbpp-pat` (175 tasks) and `mbpp-pat-200` (200 tasks).

The authors did not use EvalPlus's MBPP+ statements. Their model saw a typed signature whose
docstring is the task text, with no example assert (MultiPL-E's typed MBPP), over sanitized MBPP,
200 tasks drawn with seed 42. The paper's MBPP and MBPP+ columns are over the 175 of those that
MBPP+ v0.2.0 keeps. The selection here follows the procedure of their code step by step (facts in
data/mbpp_typed/SOURCE.md), so a change in any step changes the ids and the tests see it.

Judging: base is the task's own `test_list`, all asserts within 2.5 s after the default import
block (their MBPP judge); plus (`mbpp-pat` only) is EvalPlus's MBPP+ base and plus inputs under
the usual EvalPlus rules, counted only when base passed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pat_graph.benchmarks.evalplus_data import mbpp_plus_task
from pat_graph.benchmarks.sampling import seeded_sample
from pat_graph.benchmarks.types import Task
from pat_graph.errors import BenchmarkError
from pat_graph.problem import Problem

TYPED_FILE = "mbpp_typed/mbpp-py.jsonl.gz"
SANITIZED_FILE = "mbpp/sanitized-mbpp.json.gz"
SAMPLE_SIZE = 200
JUDGE_TIME_LIMIT_S = 2.5  # the authors' MBPP judge: the whole assert block
# The authors' one correction to the typed file: this line's entry point has a typo.
_ENTRY_FIXES = {"mbpp_56_checks": "check"}


def typed_statements(rows: Iterable[Mapping[str, Any]]) -> dict[int, dict[str, Any]]:
    """The typed lines by MBPP task id, entry point corrected."""
    statements: dict[int, dict[str, Any]] = {}
    for row in rows:
        name = str(row["name"])
        fixed = dict(row)
        if name in _ENTRY_FIXES:
            fixed["entry_point"] = _ENTRY_FIXES[name]
        statements[int(name.split("_")[1])] = fixed
    return statements


def _base_tests(row: Mapping[str, Any]) -> list[str]:
    return [line.strip() for line in row["test_list"] if str(line).strip()]


def _task(row: Mapping[str, Any], typed: Mapping[str, Any], plus: Mapping[str, Any] | None) -> Task:
    task_id = f"Mbpp/{row['task_id']}"
    entry = str(typed["entry_point"])
    tests = _base_tests(row)
    if entry not in "\n".join(tests):
        raise BenchmarkError(f"{task_id}: entry point {entry!r} is not called by its test_list")
    # No example reaches the model: the statement is the typed signature and its docstring.
    problem = Problem(task_id, str(typed["prompt"]), entry, [], "function")
    extra: dict[str, Any] = {}
    if plus is not None:
        evalplus = mbpp_plus_task(plus)
        if evalplus.problem.entry_point != entry:
            raise BenchmarkError(
                f"{task_id}: MBPP+ calls {evalplus.problem.entry_point!r}, the typed file {entry!r}"
            )
        extra = {
            "base_inputs": evalplus.base_inputs,
            "plus_inputs": evalplus.plus_inputs,
            "atol": evalplus.atol,
            "reference_program": evalplus.reference_program,
        }
    return Task(
        problem=problem,
        dataset="mbpp",
        mode="check",
        hidden_tests=list(tests),
        canonical_solution=str(row["code"]),
        time_limit_s=JUDGE_TIME_LIMIT_S,
        judge_imports=True,
        **extra,
    )


def mbpp_pat_tasks(
    sanitized: Sequence[Mapping[str, Any]],
    typed_rows: Iterable[Mapping[str, Any]],
    plus_rows: Iterable[Mapping[str, Any]] = (),
    keep: set[str] | None = None,
) -> list[Task]:
    """The seed-42 200 of sanitized MBPP with typed statements; with `keep` (MBPP+ v0.2.0's task
    ids) only those, each with the plus tier from its MBPP+ row."""
    typed = typed_statements(typed_rows)
    rows = [r for r in sanitized if int(r["task_id"]) in typed]
    chosen = set(seeded_sample([int(r["task_id"]) for r in rows], SAMPLE_SIZE))
    plus_by_id = {str(r["task_id"]): r for r in plus_rows} if keep is not None else {}
    tasks = []
    for row in rows:
        task_id = f"Mbpp/{row['task_id']}"
        if int(row["task_id"]) not in chosen or (keep is not None and task_id not in keep):
            continue
        plus = plus_by_id.get(task_id) if keep is not None else None
        if keep is not None and plus is None:
            raise BenchmarkError(f"{task_id}: in MBPP+ v0.2.0's ids but not in the MBPP+ data")
        tasks.append(_task(row, typed[int(row["task_id"])], plus))
    return tasks


def read_json_rows(raw: str) -> list[dict[str, Any]]:
    """Sanitized MBPP is one JSON array, not JSON lines."""
    data = json.loads(raw)
    if not isinstance(data, list):
        raise BenchmarkError("sanitized MBPP: expected one JSON array of tasks")
    return data
