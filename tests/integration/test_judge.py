"""The judge through the real sandbox: canonical solutions pass, wrong programs fail.

Expected outputs are computed once per machine and cached (PAT_GRAPH_CACHE_DIR or the user cache
dir), so only the first run pays for them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.evaluate import evaluate_samples
from pat_graph.benchmarks.judge import judge

pytestmark = pytest.mark.integration

# Tasks whose canonical solution does not pass this judge; reasons in docs/benchmarks-data.md.
KNOWN_BROKEN: dict[str, set[str]] = {
    "humaneval": set(),
    "humaneval-plus": set(),
    "mbpp-plus": {"Mbpp/255"},
}


@pytest.mark.parametrize("name", ["humaneval", "humaneval-plus", "mbpp-plus"])
async def test_canonical_solutions_pass(name: str) -> None:
    bench = load_benchmark(name)
    rows = [{"task_id": t.task_id, "solution": t.reference_program} for t in bench.tasks]
    start = time.monotonic()
    result = await evaluate_samples(bench, rows, concurrency=2)
    print(f"{name}: {len(rows)} canonical solutions judged in {time.monotonic() - start:.1f}s")
    assert result["problems"] == len(bench.tasks)
    failed = {k for k, v in result["per_task"].items() if not v["base"] or v["plus"] is False}
    assert failed == KNOWN_BROKEN[name]
    if name == "humaneval":
        assert result["pass_at_1"] == 1.0 and result["pass_at_1_plus"] is None
    if name == "humaneval-plus":
        assert result["pass_at_1"] == result["pass_at_1_plus"] == 1.0


async def test_completion_rows_and_missing_tasks() -> None:
    bench = load_benchmark("humaneval")
    rows = [{"task_id": t.task_id, "completion": t.canonical_solution} for t in bench.tasks[:3]]
    result = await evaluate_samples(bench, rows, concurrency=2)
    assert [result["per_task"][t.task_id]["base"] for t in bench.tasks[:4]] == [True] * 3 + [False]
    assert result["pass_at_1"] == pytest.approx(3 / 164)


@pytest.mark.parametrize("name", ["humaneval", "humaneval-plus", "mbpp-plus"])
async def test_wrong_programs_fail(name: str) -> None:
    bench = load_benchmark(name)
    for task in bench.tasks[:4]:
        stub = f"def {task.problem.entry_point}(*args, **kwargs):\n    return None\n"
        verdict = await judge(task, stub)
        assert verdict.base is False, task.task_id
        assert verdict.plus is (None if name == "humaneval" else False)


async def test_plus_catches_what_base_misses() -> None:
    task = load_benchmark("humaneval-plus").by_id()["HumanEval/130"]
    wrapper = "\n_orig = tri\ndef tri(n):\n    r = _orig(n)\n    if n > 100000:\n        r[-1] += 1\n    return r\n"  # noqa: E501
    verdict = await judge(task, task.reference_program + wrapper)
    assert verdict.base is True and verdict.plus is False


async def test_apps_stdio_and_call_based() -> None:
    bench = load_benchmark("apps")
    stdio = next(t for t in bench.tasks if t.problem.kind == "stdio")
    call = next(t for t in bench.tasks if t.problem.kind == "function")
    assert (await judge(stdio, "print('definitely not it')")).base is False
    stub = f"def {call.problem.entry_point}(*args):\n    return object()\n"
    assert (await judge(call, stub)).base is False


async def test_custom_benchmark_judged_by_its_hidden_tests(tmp_path: Path) -> None:
    rows = [
        {"task_id": "c/add", "prompt": "def add(a, b):\n", "entry_point": "add",
         "kind": "function", "tests": ["assert add(1, 2) == 3"],
         "hidden_tests": ["assert add(-5, 5) == 0", {"args": [2, 3], "expected": 5}]},
        {"task_id": "c/echo", "prompt": "Echo.", "entry_point": "", "kind": "stdio",
         "tests": [], "hidden_tests": [{"input": "hi\n", "output": "hi\n"}]},
    ]  # fmt: skip
    path = tmp_path / "custom.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    bench = load_benchmark(path)
    samples = [
        {"task_id": "c/add", "completion": "    return a + b if a != -5 else 1\n"},
        {"task_id": "c/echo", "solution": "print(input())"},
    ]
    result = await evaluate_samples(bench, samples, concurrency=2)
    assert result["per_task"] == {
        "c/add": {"base": False, "plus": None},
        "c/echo": {"base": True, "plus": None},
    }
    assert result["pass_at_1"] == 0.5 and result["pass_at_1_plus"] is None
