"""Users' own benchmarks: one JSON object a line, in the format DESIGN.md section 3 fixes.

Every structural mistake raises `BenchmarkError` naming the file and line, because a typo found
an hour into a batch run is far more expensive than one found at load time.
"""

from __future__ import annotations

import ast
import difflib
import re
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


def _parse_prompt(prompt: str) -> ast.Module:
    """The prompt as Python; a signature without a body (`def add(a, b):`, the usual way to ask
    for a completion) is read with a placeholder body. SyntaxError from the prompt as given."""
    try:
        return ast.parse(prompt)
    except SyntaxError as exc:
        lines = [line for line in prompt.splitlines() if line.strip()]
        last = lines[-1] if lines else ""
        indent = " " * (len(last) - len(last.lstrip()) + 4)
        try:
            return ast.parse(f"{prompt.rstrip()}\n{indent}...\n")
        except SyntaxError:
            raise exc from None


def _check_function_prompt(prompt: str, entry_point: str, where: str) -> None:
    """A 'function' prompt must parse, and name its entry point: define it (HumanEval style) or,
    when it defines no function (MBPP style: a docstring of prose and an example), mention it.
    Else the model cannot write the function the tests call, and every problem scores 0."""
    try:
        tree = _parse_prompt(prompt)
    except SyntaxError as exc:
        raise BenchmarkError(
            f"{where}: the prompt is not valid Python ({exc.msg}, line {exc.lineno} of the "
            "prompt); a 'function' prompt is the function's signature and docstring, or a "
            "docstring"
        ) from exc
    defined: set[str] = set()
    functions: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
            if not isinstance(node, ast.ClassDef):
                functions.append(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.Import | ast.ImportFrom):
            defined.update(_bound_names(node))
    if entry_point in defined:
        return
    if functions:
        raise BenchmarkError(
            f"{where}: entry_point {entry_point!r} is not defined in the prompt, which defines "
            f"{', '.join(functions)}; fix entry_point or the prompt"
        )
    if not re.search(rf"\b{re.escape(entry_point)}\b", prompt):
        raise BenchmarkError(
            f"{where}: entry_point {entry_point!r} appears nowhere in the prompt, so the model "
            "cannot know the function's name; give its signature or an example call"
        )


def _bound_names(node: ast.Assign | ast.AnnAssign | ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


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
    if kind == "function":
        _check_function_prompt(row["prompt"], entry_point, where)
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
