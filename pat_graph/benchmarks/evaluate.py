"""Scores a samples file (EvalPlus / human-eval format) on a benchmark, for `pat-graph evaluate`.

Any tool's outputs can be judged the same way as pat-graph's own runs: a row is
`{task_id, solution}` (a whole program) or `{task_id, completion}` (appended to the prompt).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pat_graph.benchmarks.judge import Verdict, judge
from pat_graph.benchmarks.types import Benchmark, Task
from pat_graph.errors import BenchmarkError
from pat_graph.files.jsonl import read_jsonl
from pat_graph.sandbox.base import Sandbox
from pat_graph.sandbox.compare import safe_text

log = logging.getLogger("pat_graph.benchmarks.evaluate")


class SamplesError(BenchmarkError):
    """A samples file is malformed; the message names the file and line."""


def load_samples(path: str | Path) -> list[dict[str, Any]]:
    """Read a samples JSONL file, failing with the line number of the first bad row."""
    path = Path(path)
    rows: list[dict[str, Any]] = []
    for _lineno, where, row in read_jsonl(path, what="samples file", error=SamplesError):
        if not isinstance(row, dict):
            raise SamplesError(f"{where}: each line must be a JSON object")
        if not isinstance(row.get("task_id"), str):
            raise SamplesError(f"{where}: missing or non-string task_id")
        has = [k for k in ("solution", "completion") if k in row]
        if not has:
            raise SamplesError(f"{where}: a sample needs 'solution' or 'completion'")
        if not all(isinstance(row[k], str) for k in has):
            raise SamplesError(f"{where}: 'solution'/'completion' must be a string")
        rows.append(row)
    return rows


def program_of(task: Task, row: Mapping[str, Any]) -> str:
    """The whole program a row stands for (EvalPlus: solution wins over prompt + completion)."""
    if "solution" in row:
        return str(row["solution"])
    return task.problem.prompt + str(row["completion"])


async def evaluate_samples(
    benchmark: Benchmark,
    samples_rows: Iterable[Mapping[str, Any]],
    *,
    concurrency: int = 2,
    sandbox: Sandbox | None = None,
) -> dict[str, Any]:
    """The `evaluate --json` object (plus `missing_samples`, the tasks without a sample).

    Missing tasks fail; only the first sample of a task is scored (pass@1). Samples naming a task
    the benchmark does not have are an error (SamplesError naming them): they almost always mean
    the samples belong to another benchmark, and scoring them as absent would hide that.
    """
    tasks = benchmark.by_id()
    chosen: dict[str, Mapping[str, Any]] = {}
    unknown: list[str] = []
    for row in samples_rows:
        task_id = str(row["task_id"])
        if task_id not in tasks:
            unknown.append(task_id)
            continue
        chosen.setdefault(task_id, row)
    if unknown:
        names = sorted(set(unknown))
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        raise SamplesError(
            f"{len(names)} task id(s) in the samples are not in {benchmark.name}: {shown}; "
            "check --benchmark (or remove those rows)"
        )
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(task: Task) -> Verdict:
        row = chosen.get(task.task_id)
        if row is None:
            plus = False if task.has_plus else None
            return Verdict(base=False, plus=plus, details={"missing": True})
        async with gate:
            try:
                return await judge(task, program_of(task, row), sandbox=sandbox)
            except Exception as exc:
                # The task's own data failed (its reference solution timed out, say), or judging
                # this one sample raised: it is not counted as passing, and the rest still are.
                why = f"{type(exc).__name__}: {safe_text(exc)}"
                log.warning("%s: cannot be judged: %s", task.task_id, why)
                plus = False if task.has_plus else None
                return Verdict(base=False, plus=plus, details={"judge_error": why})

    verdicts = await asyncio.gather(*(one(t) for t in benchmark.tasks))
    per_task = {
        t.task_id: {"base": v.base, "plus": v.plus}
        for t, v in zip(benchmark.tasks, verdicts, strict=True)
    }
    n = len(benchmark.tasks)
    has_plus = benchmark.has_plus
    return {
        "benchmark": benchmark.name,
        "problems": n,
        "pass_at_1": sum(v.base for v in verdicts) / n if n else 0.0,
        "pass_at_1_plus": (sum(bool(v.plus) for v in verdicts) / n if n else 0.0)
        if has_plus
        else None,
        "per_task": per_task,
        "missing_samples": sorted(t.task_id for t in benchmark.tasks if t.task_id not in chosen),
    }
