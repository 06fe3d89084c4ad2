"""Benchmark loading, the visible/hidden split, and the judge's pure comparison logic."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest

from pat_graph.benchmarks import list_benchmarks, load_benchmark
from pat_graph.benchmarks.mbpp_inputs import deserialize_mbpp_inputs
from pat_graph.benchmarks.oracle import check_output
from pat_graph.benchmarks.registry import data_dir
from pat_graph.errors import BenchmarkError, PatError
from pat_graph.sandbox.literal import canonical_form, to_source


@pytest.mark.parametrize(
    ("name", "count"),
    [("humaneval", 164), ("humaneval-plus", 164), ("mbpp-plus", 399), ("mbpp-plus-v0.2", 378)],
)
def test_builtin_sizes(name: str, count: int) -> None:
    bench = load_benchmark(name)
    assert len(bench.tasks) == count
    assert len({t.task_id for t in bench.tasks}) == count
    assert name in list_benchmarks()


def test_mbpp_v020_subset_by_option_and_name() -> None:
    by_option = load_benchmark("mbpp-plus", subset="v0.2.0")
    by_name = load_benchmark("mbpp-plus-v0.2")
    assert [t.task_id for t in by_option.tasks] == [t.task_id for t in by_name.tasks]
    ids = {t.task_id for t in by_option.tasks}
    assert len(ids) == 378 and "Mbpp/83" not in ids and "Mbpp/2" in ids
    with pytest.raises(BenchmarkError, match="unknown subset"):
        load_benchmark("humaneval", subset="v0.2.0")


def test_apps_is_deduplicated_and_mixed() -> None:
    bench = load_benchmark("apps")
    assert len(bench.tasks) == 128
    kinds = {t.problem.kind for t in bench.tasks}
    assert kinds == {"stdio", "function"}
    for task in bench.tasks:
        assert task.hidden_tests, task.task_id
        if task.problem.kind == "function":
            assert task.problem.entry_point.isidentifier()


def test_data_hash_is_sha256_of_the_shipped_file() -> None:
    raw = (data_dir() / "humaneval" / "HumanEval.jsonl.gz").read_bytes()
    assert load_benchmark("humaneval").data_hash == hashlib.sha256(raw).hexdigest()
    assert load_benchmark("mbpp-plus").data_hash != load_benchmark("mbpp-plus-v0.2").data_hash


def test_each_data_dir_ships_its_source_note() -> None:
    for sub in ("humaneval", "humanevalplus", "mbppplus", "apps_mapcoder150"):
        note = (data_dir() / sub / "SOURCE.md").read_text()
        assert "License" in note or "license" in note


def test_unknown_benchmark_is_a_config_error() -> None:
    with pytest.raises(PatError, match="unknown benchmark"):
        load_benchmark("no-such-bench")


def _problem_text(task) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(task.problem.to_dict())


def test_humaneval_hides_check_harness() -> None:
    raw = gzip.decompress((data_dir() / "humaneval" / "HumanEval.jsonl.gz").read_bytes())
    rows = {r["task_id"]: r for r in map(json.loads, raw.decode().splitlines())}
    for task in load_benchmark("humaneval").tasks + load_benchmark("humaneval-plus").tasks:
        assert task.problem.tests == []
        text = _problem_text(task)
        assert "def check(candidate)" not in text
        assert rows[task.task_id]["test"].strip() not in text


def test_mbpp_plus_shows_exactly_the_prompt_assert() -> None:
    raw = gzip.decompress((data_dir() / "mbppplus" / "MbppPlus-v0.1.0.jsonl.gz").read_bytes())
    rows = {r["task_id"]: r for r in map(json.loads, raw.decode().splitlines())}
    for task in load_benchmark("mbpp-plus").tasks:
        (visible,) = task.problem.tests
        assert isinstance(visible, str) and visible in task.problem.prompt
        hidden_asserts = [ln.strip() for ln in rows[task.task_id]["assertion"].splitlines()]
        leaked = [a for a in hidden_asserts if a and a != visible and a in _problem_text(task)]
        assert not leaked, (task.task_id, leaked)
        assert task.plus_inputs is not None  # judge-only; a Problem has no field for them


def test_apps_visible_tests_are_the_statement_samples_only() -> None:
    for task in load_benchmark("apps").tasks:
        hidden_only = [t for t in task.hidden_tests if t not in task.problem.tests]
        text = _problem_text(task)
        for test in hidden_only:
            assert json.dumps(test)[1:-1] not in text or len(json.dumps(test)) < 40


def test_mbpp_input_conversion_matches_evalplus() -> None:
    assert deserialize_mbpp_inputs("Mbpp/2", [[[1, 2], [3]]]) == [[(1, 2), (3,)]]
    (args,) = deserialize_mbpp_inputs("Mbpp/115", [[[[1, 2], []]]])
    assert args == [[{1, 2}, {}]] and type(args[0][1]) is dict
    assert deserialize_mbpp_inputs("Mbpp/124", [[3, "1+2j"]]) == [(3.0, complex(1, 2))]
    assert deserialize_mbpp_inputs("Mbpp/580", [[[1, [2, 3]]]]) == [((1, (2, 3)),)]
    assert deserialize_mbpp_inputs("Mbpp/3", [[5]]) == [[5]]


def test_oracle_float_tolerance_and_sticky_atol() -> None:
    assert check_output("humaneval", "f", [], 1.0 + 1e-7, 1.0, 0.0) == (True, 1e-6)
    assert check_output("humaneval", "f", [], 1.1, 1.0, 0.0)[0] is False
    # Once a float output raised atol, it stays raised for later inputs (EvalPlus does this).
    ok, atol = check_output("humaneval", "f", [], [1.0, 2.0], [1.0, 2.0 + 1e-8], 0.0)
    assert ok and atol == 1e-6
    assert check_output("humaneval", "f", [], (1.0,), [1.0 + 1e-9], 1e-6)[0] is False  # type
    assert check_output("humaneval", "f", [], 3, 3, 0.0)[0] is True
    assert check_output("humaneval", "f", [], 3, 4, 0.0)[0] is False


def test_oracle_special_cases() -> None:
    assert check_output("humaneval", "find_zero", [[-6, 11, -6, 1]], 1.0, 99.0, 1e-4)[0]
    assert not check_output("humaneval", "find_zero", [[-6, 11, -6, 1]], 1.5, 1.0, 1e-4)[0]
    assert check_output("mbpp", "similar_elements", [], (5, 4), (4, 5), 0.0)[0]
    assert check_output("mbpp", "check_str", [], object(), True, 0.0)[0]
    assert not check_output("mbpp", "check_str", [], None, True, 0.0)[0]
    assert check_output("mbpp", "sum_div", [], 0, 7, 0.0)[0]
    assert check_output("mbpp", "are_equivalent", [], False, True, 0.0)[0]


@pytest.mark.parametrize(
    "value",
    [0, -(2**20000), 1.5, float("inf"), (1,), (), set(), frozenset({1}), {"a": [1, (2,)]},
     complex(1, -2), b"x", None, [True, "s"]],
    ids=lambda v: type(v).__name__,
)  # fmt: skip
def test_literals_round_trip(value: object) -> None:
    src = to_source(value)
    compiled = compile(src, "<literal>", "eval")  # our own literal text, not candidate code
    back = eval(compiled, {"__builtins__": {"float": float, "complex": complex,
                                             "set": set, "frozenset": frozenset}})  # fmt: skip
    assert back == value and type(back) is type(value)


def test_canonical_form_agrees_with_equality() -> None:
    pairs = [(1, 1.0, True), ([1, 2.0], [1.0, 2], True), ([1], (1,), False), ({1, 2}, {2, 1}, True),
             ({"a": 1}, {"a": 1.0}, True), (1.5, 1.5000001, False), ("a", "b", False)]  # fmt: skip
    for left, right, equal in pairs:
        assert (canonical_form(left) == canonical_form(right)) is equal
        assert (left == right) is equal
