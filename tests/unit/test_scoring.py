"""Scoring like the tools people compare against (issue 22): pass@k with the unbiased estimator,
`evaluate --only-sampled`, and EvalPlus's eval_results.json layout."""

from __future__ import annotations

import json
from itertools import combinations
from math import comb
from pathlib import Path

import pytest

from pat_graph.benchmarks import evaluate as ev
from pat_graph.benchmarks.evalplus_results import evalplus_results
from pat_graph.benchmarks.judge import Verdict
from pat_graph.benchmarks.passk import pass_at_k, usable_ks
from pat_graph.benchmarks.types import Benchmark, Task
from pat_graph.cli import main
from pat_graph.problem import Problem
from tests.support.fake_server import write_benchmark


@pytest.mark.parametrize("n", [1, 2, 5, 10, 20])
def test_pass_at_k_is_the_unbiased_estimator(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            expected = 1 - comb(n - c, k) / comb(n, k)
            assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_is_the_chance_that_k_drawn_samples_hold_a_pass() -> None:
    """By enumeration: every k-subset of 6 samples of which 2 pass."""
    samples = [True, True, False, False, False, False]
    for k in range(1, 7):
        subsets = list(combinations(samples, k))
        assert pass_at_k(6, 2, k) == pytest.approx(sum(any(s) for s in subsets) / len(subsets))
    assert pass_at_k(0, 0, 1) == 0.0  # a task without samples is a failure


def test_default_ks_follow_evalplus_and_asked_ones_need_the_samples() -> None:
    assert usable_ks([(1, 0), (1, 1)], None) == [1]
    assert usable_ks([(12, 3), (10, 0), (0, 0)], None) == [1, 10]  # no-sample tasks aside
    assert usable_ks([(3, 1)], [1, 3]) == [1, 3]
    with pytest.raises(ValueError, match="pass@5 needs at least 5 samples"):
        usable_ks([(3, 1), (8, 2)], [1, 5])


RIGHT = "def add_{k}(x: int) -> int:\n    return x + {k}\n"
WRONG = "def add_{k}(x: int) -> int:\n    return x + {k} + 1\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_benchmark(tmp_path / "bench.jsonl", 3)
    rows = [  # fake/2 has no sample
        ("fake/0", RIGHT), ("fake/0", WRONG), ("fake/0", RIGHT),
        ("fake/1", WRONG), ("fake/1", WRONG), ("fake/1", RIGHT),
    ]  # fmt: skip
    (tmp_path / "s.jsonl").write_text(
        "".join(
            json.dumps({"task_id": t, "solution": code.format(k=t[-1])}) + "\n" for t, code in rows
        )
    )
    return tmp_path


def evaluate(capsys, *extra: str) -> dict:
    args = ["evaluate", "--benchmark", "bench.jsonl", "--samples", "s.jsonl", "--json"]
    assert main([*args, *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_several_samples_per_task_give_pass_at_k(workdir: Path, capsys) -> None:
    data = evaluate(capsys, "--k", "1,3")
    assert data["problems"] == 3 and data["samples"] == 6
    assert data["pass_at_1"] == pytest.approx((2 / 3 + 1 / 3 + 0) / 3)
    assert data["pass_at_k"] == pytest.approx({"1": (2 / 3 + 1 / 3) / 3, "3": 2 / 3})
    assert data["pass_at_k_plus"] is None  # a custom benchmark has no plus tests
    assert data["per_task"]["fake/0"] == {
        "base": True, "plus": None, "samples": 3, "base_passed": 2, "plus_passed": None,
    }  # fmt: skip
    assert data["per_task"]["fake/2"] == {"base": False, "plus": None}
    assert data["missing_samples"] == ["fake/2"]


def test_only_sampled_scores_just_the_tasks_in_the_file(workdir: Path, capsys) -> None:
    data = evaluate(capsys, "--only-sampled", "--k", "1,3")
    assert data["problems"] == 2 and data["only_sampled"] is True
    assert data["benchmark_problems"] == 3
    assert data["pass_at_1"] == pytest.approx(0.5)
    assert data["pass_at_k"]["3"] == pytest.approx(1.0)
    assert data["missing_samples"] == [] and set(data["per_task"]) == {"fake/0", "fake/1"}
    assert main(["evaluate", "--benchmark", "bench.jsonl", "--samples", "s.jsonl",
                 "--only-sampled", "--k", "1,3"]) == 0  # fmt: skip
    assert "2 sampled problems, pass@1 50.0% (plus -), pass@3 100.0%" in capsys.readouterr().out


def test_a_k_beyond_the_samples_is_one_clear_error(workdir: Path, capsys) -> None:
    args = ["evaluate", "--benchmark", "bench.jsonl", "--samples", "s.jsonl", "--k", "1,4"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pass@4 needs at least 4 samples" in err
    assert main([*args[:-1], "1,x"]) == 2
    assert "--k 1,x: write whole numbers" in capsys.readouterr().err


def test_results_file_has_evalplus_layout(workdir: Path, capsys) -> None:
    data = evaluate(capsys, "--results", "out/eval_results.json", "--k", "1,3")
    results = json.loads((workdir / "out" / "eval_results.json").read_text())
    assert set(results) == {"date", "hash", "eval", "pass_at_k"}
    from pat_graph.benchmarks import load_benchmark

    assert results["hash"] == load_benchmark(str(workdir / "bench.jsonl")).data_hash
    assert [e["base_status"] for e in results["eval"]["fake/0"]] == ["pass", "fail", "pass"]
    first = results["eval"]["fake/0"][0]
    assert set(first) == {"task_id", "solution", "base_status", "plus_status",
                          "base_fail_tests", "plus_fail_tests"}  # fmt: skip
    assert first["solution"] == RIGHT.format(k=0) and first["plus_status"] is None
    assert results["eval"]["fake/2"] == [{
        "task_id": "fake/2", "solution": "", "base_status": "fail", "plus_status": None,
        "base_fail_tests": [], "plus_fail_tests": [], "missing": True,
    }]  # fmt: skip
    assert results["pass_at_k"] == {
        "base": {"pass@1": pytest.approx(data["pass_at_1"]), "pass@3": pytest.approx(2 / 3)}
    }
    # Written again over its own file; a file it did not write is refused (exit 2).
    evaluate(capsys, "--results", "out/eval_results.json")
    assert main(["evaluate", "--benchmark", "bench.jsonl", "--samples", "s.jsonl",
                 "--results", "s.jsonl"]) == 2  # fmt: skip
    assert "--results s.jsonl" in capsys.readouterr().err
    assert (workdir / "s.jsonl").read_text().count("\n") == 6


def test_results_statuses_and_fail_tests_of_a_differential_task(monkeypatch) -> None:
    """HumanEval+-style tiers: a timeout, a wrong plus output with the input it stopped at."""
    problem = Problem("t/1", "def f(x):\n", "f", [], "function")
    task = Task(problem=problem, dataset="humaneval", mode="differential",
                base_inputs=[[1], [2]], plus_inputs=[[3], [(4, 5)]])  # fmt: skip
    verdicts = {
        "slow": Verdict(False, False, {"base": [{"status": "fail", "timeout": True, "input": 1}],
                                        "plus": "skipped: base failed"}),
        "plus": Verdict(True, False, {"base": [{"status": "pass", "input": None}],
                                      "plus": [{"status": "fail", "input": 1}]}),
        "good": Verdict(True, True, {}),
    }  # fmt: skip

    async def fake_judge(task: Task, program: str, *, sandbox: object = None) -> Verdict:
        return verdicts[program]

    monkeypatch.setattr(ev, "judge", fake_judge)
    rows = [{"task_id": "t/1", "solution": s} for s in ("slow", "plus", "good")]
    import asyncio

    evaluation = asyncio.run(ev.judge_samples(Benchmark("b", "h1", [task]), rows))
    out = json.loads(json.dumps(evalplus_results(evaluation)))  # as the file has it
    entries = out["eval"]["t/1"]
    assert [(e["base_status"], e["plus_status"]) for e in entries] == [
        ("timeout", "fail"), ("pass", "fail"), ("pass", "pass"),
    ]  # fmt: skip
    assert entries[0]["base_fail_tests"] == [[2]] and entries[0]["plus_fail_tests"] == []
    assert entries[1]["plus_fail_tests"] == [[[4, 5]]]  # the tuple as JSON
    assert out["pass_at_k"] == {"base": {"pass@1": pytest.approx(2 / 3)},
                                "plus": {"pass@1": pytest.approx(1 / 3)}}  # fmt: skip
    assert out["hash"] == "h1"


def seed_model(right: set[int]):
    """A generator that solves exactly the tasks `add_<k>` with k in `right`."""
    from pat_graph.testing import ScriptedChatModel, fenced, target_of

    def respond(purpose: str, messages) -> str:
        target = target_of(messages)
        k = int(target.rsplit("_", 1)[1])
        return fenced(f"def {target}(x: int) -> int:\n    return x + {k if k in right else k + 1}")

    return ScriptedChatModel(respond=respond, model_name="fake-gen")


def test_report_gives_a_seed_groups_pass_at_k(tmp_path: Path, capsys) -> None:
    import asyncio

    from pat_graph.benchmarks import load_benchmark
    from pat_graph.models.roles import RoleModel
    from pat_graph.runs.runner import run_benchmark

    bench = load_benchmark(write_benchmark(tmp_path / "b.jsonl", 3))
    db = tmp_path / "runs.sqlite"
    solved = {0: {0}, 1: {0, 1}, 2: set()}  # task 0 in two seeds, task 1 in one, task 2 never

    async def go() -> None:
        for seed, right in solved.items():
            await run_benchmark(
                run=f"g-seed{seed}", benchmark=bench, policy="standard", seed=seed,
                generator=RoleModel(seed_model(right), "fake-gen", 1.0, 2.0), db_path=db,
                progress=False,
            )  # fmt: skip
        await run_benchmark(  # another policy: not part of the group
            run="g-seed9", benchmark=bench, policy="best-of-n", seed=9, db_path=db,
            generator=RoleModel(seed_model({2}), "fake-gen", 1.0, 2.0), progress=False,
        )  # fmt: skip

    asyncio.run(go())
    assert main(["report", "--db", str(db), "--json"]) == 0
    summaries = {s["run"]: s for s in json.loads(capsys.readouterr().out)}
    group = summaries["g-seed0"]["seed_group"]
    assert group == summaries["g-seed2"]["seed_group"]
    assert summaries["g-seed9"]["seed_group"] is None
    assert group["runs"] == ["g-seed0", "g-seed1", "g-seed2"] and group["samples_per_task"] == 3
    assert group["pass_at_k"] == pytest.approx({"1": 1 / 3, "3": 2 / 3})
    assert group["pass_at_k"]["1"] == pytest.approx(
        sum(summaries[f"g-seed{s}"]["pass_at_1"] for s in range(3)) / 3
    )
    assert summaries["g-seed0"]["pass_at_1"] == pytest.approx(1 / 3)  # per run: unchanged
    assert main(["report", "--db", str(db), "--json", "--k", "2"]) == 0
    [two] = {json.dumps(s["seed_group"]) for s in json.loads(capsys.readouterr().out)} - {"null"}
    assert json.loads(two)["pass_at_k"] == pytest.approx({"2": 5 / 9})
    assert main(["report", "--db", str(db), "--k", "1,3"]) == 0
    assert "seed group g: 3 runs (g-seed0, g-seed1, g-seed2), 3 problems" in (
        capsys.readouterr().out
    )
    assert main(["report", "--db", str(db), "--k", "4"]) == 2
    assert "seed group g has 3 runs" in capsys.readouterr().err
