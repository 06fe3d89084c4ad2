"""Statement patches: corrections to the examples a benchmark's prompt shows the solver.

Some statements show examples their own benchmark contradicts (HumanEval/47 says the median of six
numbers is 15.0). The solving loop tests candidates against those examples, so a correct program
fails and the loop plans on a solved problem. The PaT authors patched four HumanEval statements;
pat-graph ships theirs and a list for MBPP+ built once by `benchmarks/build_statement_patches.py`.

Patches are data (pat_graph/benchmarks/data/patches/, each with its reason and source) and touch
only what the solver sees (`Task.problem_for`); the judge's data, the canonical solutions and the
hidden tests are never read or changed at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pat_graph.errors import BenchmarkError
from pat_graph.problem import Problem

# Built-in benchmark name -> patch file (MBPP+ v0.2 is a subset of the v0.1 file).
_FILES = {
    "humaneval": "humaneval.json",
    "humaneval-plus": "humaneval.json",
    "mbpp-plus": "mbppplus.json",
    "mbpp-plus-v0.2": "mbppplus.json",
}


@dataclass(frozen=True)
class StatementPatch:
    """Replace `old` (exactly one occurrence) with `new` in the prompt and in the visible tests."""

    task_id: str
    old: str
    new: str
    why: str


def patches_dir() -> Path:
    return Path(str(resources.files("pat_graph.benchmarks") / "data" / "patches"))


@lru_cache(maxsize=4)
def _read(filename: str) -> dict[str, Any]:
    path = patches_dir() / filename
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchmarkError(f"statement patch file {path} is unreadable: {exc}") from exc


def _entries(benchmark: str) -> list[dict[str, Any]]:
    filename = _FILES.get(benchmark)
    if filename is None:
        return []
    return [
        p
        for p in _read(filename).get("patches", [])
        if benchmark in p.get("benchmarks", [benchmark])
    ]


def statement_patches(benchmark: str, task_id: str) -> list[StatementPatch]:
    """The patches for one task of a built-in benchmark (none for custom files)."""
    return [
        StatementPatch(p["task_id"], p["old"], p["new"], p["why"])
        for p in _entries(benchmark)
        if p["task_id"] == task_id
    ]


def patched_task_ids(benchmark: str) -> list[str]:
    return sorted({p["task_id"] for p in _entries(benchmark)})


def documented_exceptions(benchmark: str) -> dict[str, str]:
    """Tasks whose canonical solution still fails its statement's examples, with the reason (kept
    in the patch file so that a change in the sandbox or the data shows up as a test failure)."""
    filename = _FILES.get(benchmark)
    if filename is None:
        return {}
    return {e["task_id"]: e["why"] for e in _read(filename).get("exceptions", [])}


def apply_patches(
    problem: Problem, patches: list[StatementPatch] | tuple[StatementPatch, ...]
) -> Problem:
    """The problem with each patch applied to its prompt and to its visible test strings.

    A patch whose text is not in the prompt exactly once is a data error (the benchmark file
    changed under the patch list), never silently skipped."""
    prompt, tests = problem.prompt, list(problem.tests)
    for patch in patches:
        if prompt.count(patch.old) != 1:
            raise BenchmarkError(
                f"statement patch for {patch.task_id} does not match its prompt "
                f"({prompt.count(patch.old)} occurrences): the benchmark data changed"
            )
        prompt = prompt.replace(patch.old, patch.new)
        old_line, new_line = patch.old.strip(), patch.new.strip()
        tests = [
            t.replace(old_line, new_line) if isinstance(t, str) and old_line in t else t
            for t in tests
        ]
    return replace(problem, prompt=prompt, tests=tests)
