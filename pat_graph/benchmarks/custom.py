"""Users' own benchmarks: one JSON object a line, in the format DESIGN.md section 3 fixes.

Every structural mistake raises `BenchmarkError` naming the file and line, because a typo found
an hour into a batch run is far more expensive than one found at load time.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pat_graph.benchmarks.types import Task
from pat_graph.errors import BenchmarkError
from pat_graph.files.jsonl import read_jsonl
from pat_graph.problem import Problem
from pat_graph.sandbox.base import Test

REQUIRED = ("task_id", "prompt", "kind", "tests", "hidden_tests")
OPTIONAL = ("entry_point", "canonical_solution")


def _check_test(test: Any, kind: str, where: str) -> Test:
    if kind == "stdio":
        ok = (
            isinstance(test, Mapping)
            and isinstance(test.get("input"), str)
            and isinstance(test.get("output"), str)
        )
        if not ok:
            raise BenchmarkError(f"{where}: a stdio test must be {{'input': str, 'output': str}}")
        return dict(test)
    if isinstance(test, str):
        try:
            compile(test, "<test>", "exec")
        except SyntaxError as exc:
            # It would only ever score 0, silently: say so at load time instead.
            raise BenchmarkError(
                f"{where}: not valid Python ({exc.msg}, line {exc.lineno} of the test)"
            ) from exc
        return test
    if isinstance(test, Mapping) and isinstance(test.get("args"), list) and "expected" in test:
        return dict(test)
    raise BenchmarkError(
        f"{where}: a function test must be Python source (a string) or "
        "{'args': [...], 'expected': ...}"
    )


def parse_custom_row(row: Any, where: str) -> Task:
    if not isinstance(row, Mapping):
        raise BenchmarkError(f"{where}: each line must be a JSON object")
    unknown = [k for k in row if k not in REQUIRED + OPTIONAL]
    if unknown:
        # A misspelled field (hiden_tests) would otherwise be ignored without a word.
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), REQUIRED + OPTIONAL, n=1)
            hints.append(f"{key} (did you mean {close[0]}?)" if close else str(key))
        raise BenchmarkError(
            f"{where}: unknown field(s) {', '.join(hints)}; allowed: "
            f"{', '.join(REQUIRED + OPTIONAL)}"
        )
    missing = [k for k in REQUIRED if k not in row]
    if missing:
        raise BenchmarkError(f"{where}: missing field(s) {', '.join(missing)}")
    kind = row["kind"]
    if kind not in ("function", "stdio"):
        raise BenchmarkError(f"{where}: kind must be 'function' or 'stdio', got {kind!r}")
    entry_point = row.get("entry_point") or ""
    if kind == "function" and not (isinstance(entry_point, str) and entry_point):
        raise BenchmarkError(f"{where}: a 'function' problem needs a non-empty entry_point")
    if not isinstance(row["task_id"], str) or not row["task_id"]:
        raise BenchmarkError(f"{where}: task_id must be a non-empty string")
    if not isinstance(row["prompt"], str):
        raise BenchmarkError(f"{where}: prompt must be a string")
    for key in ("tests", "hidden_tests"):
        if not isinstance(row[key], list):
            raise BenchmarkError(f"{where}: {key} must be a list")
    if not row["hidden_tests"]:
        raise BenchmarkError(
            f"{where}: hidden_tests is empty, so the judge could not fail anything"
        )
    tests = [_check_test(t, kind, f"{where}, tests[{i}]") for i, t in enumerate(row["tests"])]
    hidden = [
        _check_test(t, kind, f"{where}, hidden_tests[{i}]")
        for i, t in enumerate(row["hidden_tests"])
    ]
    canonical = row.get("canonical_solution")
    if canonical is not None and not isinstance(canonical, str):
        raise BenchmarkError(f"{where}: canonical_solution must be a string when present")
    problem = Problem(row["task_id"], row["prompt"], entry_point, tests, kind)
    return Task(
        problem=problem, dataset="custom", mode="check", hidden_tests=hidden,
        canonical_solution=canonical,
    )  # fmt: skip


def load_custom_jsonl(path: Path) -> list[Task]:
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    for lineno, where, row in read_jsonl(path, what="benchmark file"):
        task = parse_custom_row(row, where)
        if task.task_id in seen:
            raise BenchmarkError(
                f"{where}: duplicate task_id {task.task_id!r} (first on line {seen[task.task_id]})"
            )
        seen[task.task_id] = lineno
        tasks.append(task)
    if not tasks:
        raise BenchmarkError(f"{path}: no problems in the file")
    return tasks
