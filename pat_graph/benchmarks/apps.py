"""The APPS sample MapCoder used: 150 rows holding 128 distinct problems, stdio and call-based.

APPS ships no reference solutions, so the judge runs the hidden `test_list` directly; the examples
in the statement (`sample_io`) are the visible tests.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pat_graph.benchmarks.types import Task
from pat_graph.problem import Problem
from pat_graph.sandbox.base import Test

_DEF = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)


def _parse_arg(line: str) -> Any:
    """Call-based inputs are one argument a line, as a Python literal or else a bare string."""
    try:
        return ast.literal_eval(line)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return line


def _expected(output: Any) -> Any:
    return output[0] if isinstance(output, list) and len(output) == 1 else output


def _tests(pairs: Iterable[Mapping[str, Any]], call_based: bool) -> list[Test]:
    tests: list[Test] = []
    for pair in pairs:
        if call_based:
            args = [_parse_arg(x) for x in str(pair["input"]).split("\n")]
            tests.append({"args": args, "expected": _expected(pair["output"])})
        else:
            out = pair["output"]
            tests.append({"input": str(pair["input"]), "output": "".join(map(str, out))
                          if isinstance(out, list) else str(out)})  # fmt: skip
    return tests


def apps_task(row: Mapping[str, Any]) -> Task:
    starter = str(row.get("starter_code") or "")
    call_based = bool(starter.strip())
    task_id = f"APPS/{row['id']}"
    if call_based:
        match = _DEF.search(starter)
        entry_point = match.group(1) if match else ""
        prompt = (
            f"{row['description'].rstrip()}\n\nStarter code:\n```python\n{starter.rstrip()}\n```\n"
        )
        kind = "function"
    else:
        entry_point = ""
        prompt = (
            f"{row['description'].rstrip()}\n\n"
            "Read the input from standard input and write the answer to standard output.\n"
        )
        kind = "stdio"
    problem = Problem(task_id, prompt, entry_point, _tests(row["sample_io"], call_based), kind)
    return Task(
        problem=problem,
        dataset="apps",
        mode="check",
        hidden_tests=_tests(row["test_list"], call_based),
    )


def dedupe_apps(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The sample repeats 21 problems verbatim; the first occurrence of each id is kept."""
    seen: set[Any] = set()
    out = []
    for row in rows:
        if row["id"] not in seen:
            seen.add(row["id"])
            out.append(row)
    return out
