"""Custom benchmark JSONL and samples files: round trip, and errors that name the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.evaluate import SamplesError, load_samples, program_of
from pat_graph.errors import BenchmarkError, PatError

ROWS = [
    {"task_id": "t/add", "prompt": "def add(a, b):\n", "entry_point": "add", "kind": "function",
     "tests": ["assert add(1, 2) == 3"], "hidden_tests": ["assert add(-1, 1) == 0",
     {"args": [2, 2], "expected": 4}], "canonical_solution": "    return a + b\n"},
    {"task_id": "t/echo", "prompt": "Echo the line.", "entry_point": "", "kind": "stdio",
     "tests": [{"input": "a\n", "output": "a\n"}],
     "hidden_tests": [{"input": "b\n", "output": "b\n"}]},
]  # fmt: skip


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "bench.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_custom_round_trip(tmp_path: Path) -> None:
    bench = load_benchmark(_write(tmp_path, [json.dumps(r) for r in ROWS]))
    assert [t.task_id for t in bench.tasks] == ["t/add", "t/echo"]
    add, echo = bench.tasks
    assert add.problem.tests == ["assert add(1, 2) == 3"]
    assert add.hidden_tests == ROWS[0]["hidden_tests"]
    assert add.canonical_solution == "    return a + b\n"
    assert echo.problem.kind == "stdio" and echo.problem.entry_point == ""
    assert "add(-1, 1)" not in json.dumps(add.problem.to_dict())
    assert len(bench.data_hash) == 64


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "must be a JSON object"),
        (json.dumps({**ROWS[0], "kind": "repl"}), "kind must be"),
        (json.dumps({k: v for k, v in ROWS[0].items() if k != "hidden_tests"}), "hidden_tests"),
        (json.dumps({**ROWS[0], "entry_point": ""}), "entry_point"),
        (json.dumps({**ROWS[0], "hidden_tests": [3]}), "function test must be"),
        (json.dumps({**ROWS[1], "tests": [{"input": "x"}]}), "stdio test must be"),
        (json.dumps({**ROWS[0], "hidden_tests": []}), "hidden_tests is empty"),
        (json.dumps(ROWS[0]), "duplicate task_id"),
    ],
)
def test_custom_errors_name_the_line(tmp_path: Path, bad_line: str, message: str) -> None:
    path = _write(tmp_path, [json.dumps(ROWS[0]), "", bad_line])
    with pytest.raises(BenchmarkError, match=message) as info:
        load_benchmark(path)
    assert f"{path}:3" in str(info.value)
    assert isinstance(info.value, PatError)


def test_missing_custom_file(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="does not exist"):
        load_benchmark(tmp_path / "nope.jsonl")


def test_samples_loader(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"task_id": "t/add", "completion": "    return a + b\\n"}\n\n'
                    '{"task_id": "t/echo", "solution": "print(input())"}\n')  # fmt: skip
    rows = load_samples(path)
    bench = load_benchmark(_write(tmp_path, [json.dumps(r) for r in ROWS]))
    add, echo = bench.tasks
    assert program_of(add, rows[0]) == "def add(a, b):\n    return a + b\n"
    assert program_of(echo, rows[1]) == "print(input())"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{oops", "not valid JSON"),
        ('{"completion": "x"}', "task_id"),
        ('{"task_id": "a"}', "'solution' or 'completion'"),
        ('{"task_id": "a", "solution": 3}', "must be a string"),
        ("[1]", "JSON object"),
    ],
)
def test_samples_errors_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"task_id": "a", "solution": "x"}\n' + line + "\n")
    with pytest.raises(SamplesError, match=message) as info:
        load_samples(path)
    assert f"{path}:2" in str(info.value)
