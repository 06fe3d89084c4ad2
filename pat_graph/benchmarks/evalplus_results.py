"""`evaluate --results FILE`: the judged samples in the layout of EvalPlus's `eval_results.json`.

Why that layout: dashboards, leaderboards and scripts written for EvalPlus read it, so a
pat-graph evaluation drops into them unchanged. The keys are EvalPlus's (checked against its
`evalplus/evaluate.py`): `date` ("%Y-%m-%d %H:%M"), `hash` (the data set's hash: here
pat-graph's hash of the benchmark file), `eval` (task id -> one object per sample, in the
samples file's order: `task_id`, `solution`, `base_status` and `plus_status` each "pass",
"fail" or "timeout" (`plus_status` null without plus tests), `base_fail_tests` and
`plus_fail_tests`: the input a failing tier stopped at, as EvalPlus lists by default), and
`pass_at_k` (`{"base": {"pass@1": ...}, "plus": {...}}`).

Two differences, both marked: a task without a sample is listed with one empty solution that
fails and `"missing": true` (EvalPlus refuses such a file; pat-graph counts the task as failed,
so the file's pass@k is the one `evaluate` printed), and the plus tier of a sample whose base
tier failed is not run (its `plus_status` is "fail", which is what EvalPlus's plus pass@k makes
of it: a sample counts there only when both tiers pass).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pat_graph.benchmarks.evaluate import Evaluation, SampleVerdict
from pat_graph.benchmarks.judge import Verdict
from pat_graph.benchmarks.types import Task

PASS, FAIL, TIMEOUT = "pass", "fail", "timeout"


def tier_status(verdict: Verdict, tier: str) -> str | None:
    """EvalPlus's status of one tier: pass, fail or timeout (None: the task has no such tier)."""
    passed = verdict.base if tier == "base" else verdict.plus
    if passed is None:
        return None
    if passed:
        return PASS
    details = verdict.details.get(tier)
    outcomes = details if isinstance(details, list) else []
    if any(isinstance(o, dict) and (o.get("timeout") or o.get("status") == "timeout")
           for o in outcomes):  # fmt: skip
        return TIMEOUT
    return FAIL


def _jsonable(value: Any) -> Any:
    """An input as JSON: itself when it is, else its Python literal text."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def fail_tests(task: Task, verdict: Verdict, tier: str) -> list[Any]:
    """The input a failed differential tier stopped at (EvalPlus's default: only that one)."""
    details = verdict.details.get(tier)
    inputs = task.base_inputs if tier == "base" else task.plus_inputs
    if not isinstance(details, list) or not inputs:
        return []
    out = []
    for outcome in details:
        index = outcome.get("input") if isinstance(outcome, dict) else None
        if isinstance(index, int) and 0 <= index < len(inputs):
            out.append(_jsonable(list(inputs[index])))
    return out


def sample_entry(task: Task, sample: SampleVerdict) -> dict[str, Any]:
    v = sample.verdict
    entry: dict[str, Any] = {
        "task_id": task.task_id,
        "solution": sample.program,
        "base_status": tier_status(v, "base"),
        "plus_status": tier_status(v, "plus"),
        "base_fail_tests": fail_tests(task, v, "base"),
        "plus_fail_tests": fail_tests(task, v, "plus"),
    }
    if sample.missing:
        entry["missing"] = True
    return entry


def evalplus_results(evaluation: Evaluation) -> dict[str, Any]:
    """The whole results object (see the module docstring for its keys)."""
    data = evaluation.to_dict()
    pass_at_k: dict[str, Any] = {"base": {f"pass@{k}": v for k, v in data["pass_at_k"].items()}}
    if data["pass_at_k_plus"] is not None:
        pass_at_k["plus"] = {f"pass@{k}": v for k, v in data["pass_at_k_plus"].items()}
    return {
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "hash": evaluation.benchmark.data_hash,
        "eval": {
            t.task_id: [sample_entry(t, s) for s in evaluation.samples[t.task_id]]
            for t in evaluation.tasks
        },
        "pass_at_k": pass_at_k,
    }


def looks_like_results(path: Path) -> bool:
    """Empty, or a JSON object with EvalPlus's `eval` key: a results file we may replace."""
    text = Path(path).read_text(encoding="utf-8", errors="replace").strip()
    if not text:
        return True
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and "eval" in data
