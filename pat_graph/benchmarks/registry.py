"""Built-in benchmark names -> shipped data files, plus custom JSONL files by path.

Data is read from the package (never from a shared checkout) so an installed wheel is
self-contained; `data_hash` covers exactly the bytes used, so runs can say what they scored on.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
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
from pat_graph.benchmarks.mbpp_pat import (
    SANITIZED_FILE,
    TYPED_FILE,
    mbpp_pat_tasks,
    read_json_rows,
)
from pat_graph.benchmarks.patches import statement_patches
from pat_graph.benchmarks.types import Benchmark, Task
from pat_graph.benchmarks.xcodeeval import DESCRIPTIONS, UNIT_TESTS, load_xcodeeval
from pat_graph.errors import BenchmarkError

MBPP_V020_IDS = "mbppplus/MbppPlus-v0.2.0-task_ids.txt"
MBPP_PLUS_FILE = "mbppplus/MbppPlus-v0.1.0.jsonl.gz"
# Benchmarks built from several files at once: file -> its text, to the tasks.
Builder = Callable[[dict[str, str]], list[Task]]


@dataclass(frozen=True)
class _Spec:
    files: tuple[str, ...]
    make: Callable[[dict[str, Any]], Task] | None
    description: str
    subset_file: str | None = None
    dedupe: bool = False
    build: Builder | None = None  # instead of `make` per row: all files' texts at once


def _ids(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip()}


def _mbpp_pat(texts: dict[str, str], *, with_plus: bool) -> list[Task]:
    plus = [json.loads(line) for line in texts.get(MBPP_PLUS_FILE, "").splitlines() if line]
    return mbpp_pat_tasks(
        read_json_rows(texts[SANITIZED_FILE]),
        [json.loads(line) for line in texts[TYPED_FILE].splitlines() if line.strip()],
        plus,
        _ids(texts[MBPP_V020_IDS]) if with_plus else None,
    )


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
    # The PaT paper's MBPP (data/mbpp_typed/SOURCE.md): typed statements without examples.
    "mbpp-pat": _Spec(
        (TYPED_FILE, SANITIZED_FILE, MBPP_PLUS_FILE, MBPP_V020_IDS),
        None,
        "the PaT paper's MBPP: seed-42 200 of sanitized MBPP with typed statements, the 175 in "
        "MBPP+ v0.2.0; base = the task's asserts, plus = EvalPlus's inputs",
        build=lambda texts: _mbpp_pat(texts, with_plus=True),
    ),
    "mbpp-pat-200": _Spec(
        (TYPED_FILE, SANITIZED_FILE),
        None,
        "the PaT paper's seed-42 200 MBPP tasks with typed statements, base tests only",
        build=lambda texts: _mbpp_pat(texts, with_plus=False),
    ),
}

_SUBSETS = {("mbpp-plus", "v0.2.0"): "mbpp-plus-v0.2", ("mbpp-plus", "v0.2"): "mbpp-plus-v0.2"}


# Built-in benchmarks whose data the user supplies (`--data DIR`), never shipped.
_USER_DATA = {
    "xcodeeval": "xCodeEval program synthesis, the seed-42 500 (PaT's Table 2); needs --data DIR "
    f"holding {DESCRIPTIONS} and {UNIT_TESTS}",
}


def list_benchmarks() -> dict[str, str]:
    """Built-in benchmark names with a one-line description each."""
    return {**{name: spec.description for name, spec in _SPECS.items()}, **_USER_DATA}


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


def _text(raw: bytes, rel: str) -> str:
    return gzip.decompress(raw).decode("utf-8") if rel.endswith(".gz") else raw.decode("utf-8")


@lru_cache(maxsize=8)
def _load_builtin(name: str) -> Benchmark:
    spec = _SPECS[name]
    digest = hashlib.sha256()
    texts: dict[str, str] = {}
    for rel in spec.files:
        raw = _read_bytes(rel)
        digest.update(raw)
        texts[rel] = _text(raw, rel)
    if spec.build is not None:
        tasks = spec.build(texts)
    else:
        assert spec.make is not None
        tasks = []
        for rel in spec.files:
            rows = [json.loads(line) for line in texts[rel].splitlines() if line.strip()]
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


def load_benchmark(
    name_or_path: str | Path, *, subset: str | None = None, data: str | Path | None = None
) -> Benchmark:
    """A built-in benchmark by name, or a custom JSONL file by path.

    `subset` selects a documented variant, e.g. `load_benchmark("mbpp-plus", subset="v0.2.0")`;
    `data` is the folder holding the user's copy of a benchmark pat-graph does not ship
    (`load_benchmark("xcodeeval", data="xcodeeval/")`).
    """
    name = str(name_or_path)
    if name in _USER_DATA:
        if data is None:
            raise BenchmarkError(
                f"benchmark {name!r} is not shipped: pass --data DIR (Python: data=DIR), the "
                f"folder holding {DESCRIPTIONS} and {UNIT_TESTS}"
            )
        return load_xcodeeval(data)
    if data is not None:
        raise BenchmarkError(f"--data is for {', '.join(_USER_DATA)}; {name!r} needs none")
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
