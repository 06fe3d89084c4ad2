"""Built-in benchmark names -> shipped data files, plus custom JSONL files by path.

Data is read from the package (never from a shared checkout) so an installed wheel is
self-contained; `data_hash` covers exactly the bytes used, so runs can say what they scored on.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pat_graph.benchmarks.apps import apps_task, dedupe_apps
from pat_graph.benchmarks.custom import load_custom_jsonl
from pat_graph.benchmarks.evalplus_data import (
    filter_ids,
    humaneval_plus_task,
    humaneval_task,
    mbpp_plus_task,
)
from pat_graph.benchmarks.patches import statement_patches
from pat_graph.benchmarks.types import Benchmark, Task
from pat_graph.errors import BenchmarkError

MBPP_V020_IDS = "mbppplus/MbppPlus-v0.2.0-task_ids.txt"


@dataclass(frozen=True)
class _Spec:
    files: tuple[str, ...]
    make: Callable[[dict[str, Any]], Task]
    description: str
    subset_file: str | None = None
    dedupe: bool = False


_SPECS: dict[str, _Spec] = {
    "humaneval": _Spec(
        ("humaneval/HumanEval.jsonl.gz",), humaneval_task, "OpenAI HumanEval, 164 problems"
    ),
    "humaneval-plus": _Spec(
        ("humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz",),
        humaneval_plus_task,
        "HumanEval+ v0.1.10 (EvalPlus), 164 problems, base + plus tests",
    ),
    "mbpp-plus": _Spec(
        ("mbppplus/MbppPlus-v0.1.0.jsonl.gz",),
        mbpp_plus_task,
        "MBPP+ v0.1.0 (EvalPlus), 399 problems, base + plus tests",
    ),
    "mbpp-plus-v0.2": _Spec(
        ("mbppplus/MbppPlus-v0.1.0.jsonl.gz",),
        mbpp_plus_task,
        "MBPP+ v0.1.0 restricted to the 378 task ids of v0.2.0",
        subset_file=MBPP_V020_IDS,
    ),
    "apps": _Spec(
        ("apps_mapcoder150/selected150.jsonl.gz",),
        apps_task,
        "APPS sample used by MapCoder, 128 unique problems (stdio and call-based)",
        dedupe=True,
    ),
}

_SUBSETS = {("mbpp-plus", "v0.2.0"): "mbpp-plus-v0.2", ("mbpp-plus", "v0.2"): "mbpp-plus-v0.2"}


def list_benchmarks() -> dict[str, str]:
    """Built-in benchmark names with a one-line description each."""
    return {name: spec.description for name, spec in _SPECS.items()}


def data_dir() -> Path:
    return Path(str(resources.files("pat_graph.benchmarks") / "data"))


def _read_bytes(rel: str) -> bytes:
    path = data_dir() / rel
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BenchmarkError(
            f"shipped benchmark data {rel} is missing: reinstall pat-graph"
        ) from exc


def _rows(raw: bytes, rel: str) -> Iterator[dict[str, Any]]:
    text = gzip.decompress(raw).decode("utf-8") if rel.endswith(".gz") else raw.decode("utf-8")
    for line in text.splitlines():
        if line.strip():
            yield json.loads(line)


@lru_cache(maxsize=8)
def _load_builtin(name: str) -> Benchmark:
    spec = _SPECS[name]
    digest = hashlib.sha256()
    tasks: list[Task] = []
    for rel in spec.files:
        raw = _read_bytes(rel)
        digest.update(raw)
        rows = list(_rows(raw, rel))
        if spec.dedupe:
            rows = list(dedupe_apps(rows))
        tasks.extend(spec.make(row) for row in rows)
    if spec.subset_file:
        raw = _read_bytes(spec.subset_file)
        digest.update(raw)
        keep = {line.strip() for line in raw.decode().splitlines() if line.strip()}
        tasks = filter_ids(tasks, keep)
    data_hash = digest.hexdigest()
    tasks = [
        replace(t, data_hash=data_hash, statement_patches=tuple(statement_patches(name, t.task_id)))
        for t in tasks
    ]
    for task in tasks:
        if task.statement_patches:
            task.problem_for(True)  # a patch that no longer matches fails here, at load
    return Benchmark(name=name, data_hash=data_hash, tasks=tasks)


def load_benchmark(name_or_path: str | Path, *, subset: str | None = None) -> Benchmark:
    """A built-in benchmark by name, or a custom JSONL file by path.

    `subset` selects a documented variant, e.g. `load_benchmark("mbpp-plus", subset="v0.2.0")`.
    """
    name = str(name_or_path)
    if subset is not None:
        key = (name, subset)
        if key not in _SUBSETS:
            raise BenchmarkError(f"unknown subset {subset!r} for benchmark {name!r}")
        name = _SUBSETS[key]
    if name in _SPECS:
        return _load_builtin(name)
    path = Path(name_or_path)
    if path.suffix == ".jsonl" or path.exists():
        if not path.is_file():
            raise BenchmarkError(f"benchmark file {path} does not exist")
        raw = path.read_bytes()
        data_hash = hashlib.sha256(raw).hexdigest()
        tasks = [replace(t, data_hash=data_hash) for t in load_custom_jsonl(path)]
        return Benchmark(name=str(path), data_hash=data_hash, tasks=tasks)
    known = ", ".join(sorted(_SPECS))
    raise BenchmarkError(
        f"unknown benchmark {name!r}: use one of {known} or the path of a .jsonl file"
    )
