"""The PaT paper's MBPP task set (`mbpp-pat`, `mbpp-pat-200`): selection, statements, judging."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest

from pat_graph.benchmarks import list_benchmarks, load_benchmark
from pat_graph.benchmarks.judge import judge
from pat_graph.benchmarks.mbpp_pat import mbpp_pat_tasks, typed_statements
from pat_graph.benchmarks.sampling import seeded_sample
from pat_graph.program.preamble import DEFAULT_IMPORTS
from pat_graph.sandbox.base import CallOutcome
from pat_graph.sandbox.compare import decode_value

# sha256 of the 175 task ids, sorted as strings and joined with "\n" (no final newline).
IDS_175_SHA256 = "5e39a58b06a94f2d7863aa487f5da2ddda06df0161f0690688d5e753bc0cb870"


def test_the_seeded_sample_is_a_seed_42_shuffle_kept_in_file_order() -> None:
    keys = [5, 3, 9, 1, 7, 2, 8]
    shuffled = list(keys)
    rng = random.Random()
    rng.seed(42)
    rng.shuffle(shuffled)
    assert seeded_sample(keys, 3) == [k for k in keys if k in shuffled[:3]]
    assert seeded_sample(keys, 3) != sorted(seeded_sample(keys, 3)) or keys == sorted(keys)
    assert seeded_sample(keys, 100) == keys


def test_mbpp_pat_is_the_175_and_mbpp_pat_200_the_200() -> None:
    assert {"mbpp-pat", "mbpp-pat-200"} <= set(list_benchmarks())
    pat, all200 = load_benchmark("mbpp-pat"), load_benchmark("mbpp-pat-200")
    v020 = {t.task_id for t in load_benchmark("mbpp-plus-v0.2").tasks}
    ids, ids200 = [t.task_id for t in pat.tasks], [t.task_id for t in all200.tasks]
    assert (len(ids), len(ids200)) == (175, 200)
    assert set(ids) == set(ids200) & v020  # the 25 others are not in MBPP+ v0.2.0
    assert all(i.startswith("Mbpp/") for i in ids200)
    assert hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest() == IDS_175_SHA256
    # visited in sanitized MBPP's file order, which is by task id
    assert ids200 == sorted(ids200, key=lambda i: int(i.split("/")[1]))
    assert pat.has_plus and not all200.has_plus


def test_the_model_sees_a_typed_signature_and_no_example() -> None:
    for task in load_benchmark("mbpp-pat-200").tasks:
        problem = task.problem
        assert problem.tests == [] and problem.kind == "function"
        assert problem.prompt.startswith(("def ", "from typing import"))
        assert f"def {problem.entry_point}(" in problem.prompt
        assert "assert" not in problem.prompt and ">>>" not in problem.prompt
        assert not any(test in problem.prompt for test in task.hidden_tests)
        assert task.mode == "check" and task.hidden_tests and task.time_limit_s == 2.5
        assert task.judge_imports and task.canonical_solution


def test_the_typed_files_one_typo_is_fixed_and_rows_without_a_typed_line_are_dropped() -> None:
    typed = [
        {
            "name": "mbpp_56_checks",
            "prompt": "def checks(n: int) -> bool:\n",
            "entry_point": "checks",
        },
        {"name": "mbpp_7_f", "prompt": "def f(x: int) -> int:\n", "entry_point": "f"},
    ]
    assert typed_statements(typed)[56]["entry_point"] == "check"
    sanitized = [
        {"task_id": 7, "code": "def f(x):\n    return x", "test_list": ["assert f(1) == 1"]},
        {"task_id": 8, "code": "def g(x):\n    return x", "test_list": ["assert g(1) == 1"]},
    ]
    tasks = mbpp_pat_tasks(sanitized, typed)
    assert [t.task_id for t in tasks] == ["Mbpp/7"]
    assert tasks[0].hidden_tests == ["assert f(1) == 1"] and tasks[0].plus_inputs is None


class FakeBox:
    """Answers the judge's calls with a known-right (or always raising) function, decided here
    on the host from test code, and records what the judge sends: the task's asserts are judged
    on the host, so the sandbox only ever sees calls (issue 19)."""

    name = "fake"

    def __init__(self, ok: bool) -> None:
        self.ok = ok
        self.runs: list[dict[str, Any]] = []

    async def run_calls(self, code, calls, *, kind="function", timeout_s=6.0, entry_point=None):
        self.runs.append({"code": code, "calls": list(calls), "timeout_s": timeout_s})
        if len(self.runs) > 1:  # one round answers every assert; a second is the plus tier
            raise AssertionError("plus inputs were run although base failed")
        out = []
        for call in calls:
            args, _kwargs = decode_value(call["argv"])
            if not self.ok:
                out.append(CallOutcome("error", message="ValueError: wrong"))
                continue
            a, b = args
            out.append(CallOutcome("ok", value=bin(a ^ b).count("1") == 1))
        return out


@pytest.mark.parametrize("ok", [True, False])
async def test_base_is_the_test_list_after_the_default_imports_within_2_5_s(ok: bool) -> None:
    task = next(t for t in load_benchmark("mbpp-pat-200").tasks if t.task_id == "Mbpp/6")
    box = FakeBox(ok)
    verdict = await judge(task, "def differ_At_One_Bit_Pos(a, b):\n    return True\n", sandbox=box)  # type: ignore[arg-type]
    [run] = box.runs
    assert run["code"].startswith(DEFAULT_IMPORTS) and run["timeout_s"] == 2.5
    assert {c["fn"] for c in run["calls"]} == {"differ_At_One_Bit_Pos"}
    assert len(run["calls"]) == len(task.hidden_tests)  # one call per assert of the test_list
    assert verdict.base is ok and verdict.plus is None


async def test_on_mbpp_pat_a_failed_base_fails_plus_without_running_it() -> None:
    task = load_benchmark("mbpp-pat").tasks[0]
    verdict = await judge(task, "def nothing():\n    pass\n", sandbox=FakeBox(False))  # type: ignore[arg-type]
    assert verdict.base is False and verdict.plus is False
    assert verdict.details["plus"] == "skipped: base failed"
