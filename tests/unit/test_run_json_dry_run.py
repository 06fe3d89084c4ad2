"""Issue 22 item 13: `run --json`, `run --dry-run` and the budget-stop exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pat_graph.cli import main
from pat_graph.graph.budgets import POLICIES, budgets_for
from pat_graph.graph.estimate import requests_per_problem, stages
from tests.support.fake_server import GatedStub, write_benchmark, write_config


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_benchmark(tmp_path / "bench.jsonl", 4)
    return tmp_path


def run_args(*extra: str, run: str = "r", policy: str = "pat") -> list[str]:
    return ["run", "--benchmark", "bench.jsonl", "--generator", "fake", "--run", run,
            "--policy", policy, "--no-progress", "--sandbox", "process", *extra]  # fmt: skip


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


# ----- the estimate from the budgets ----------------------------------------------------------
def test_fewest_requests_per_policy_follow_the_budgets() -> None:
    def fewest(policy: str, **knobs) -> int:
        counts = requests_per_problem(policy, budgets_for(policy, knobs))["fewest"]
        return sum(counts.values())

    assert fewest("standard") == 1  # one greedy trial, no tests written
    # trial + the root's example extraction (the paper profile's example_parser = "llm") + tests
    assert fewest("best-of-n") == 3 and fewest("pat") == 3
    assert fewest("pat", example_parser="doctest") == 2  # examples parsed: no request
    assert fewest("pat", generate_tests=False, example_parser="doctest") == 1
    assert fewest("codet") == 2  # CodeT's test writer extracts nothing
    assert fewest("pbt") == 4  # divide, conquer, example extraction, inputs


def test_most_requests_grow_with_each_limit() -> None:
    def most(policy: str, helpers: int = 2, **knobs) -> int:
        counts = requests_per_problem(policy, budgets_for(policy, knobs), helpers)["most"]
        return sum(counts.values())

    # Standard: trial_requests (3) requests of one greedy sample, nothing else.
    assert most("standard") == 3
    # PaT with max_depth 0 never plans: trials 3x3 (trial_requests x trial_attempts), the root's
    # example extraction 3x3 (test_retries, once per attempt), tests 3x3.
    assert most("pat", max_depth=0) == 9 + 9 + 9
    # max_depth 1: the root plans (5 rounds x 3 parse retries); each round's 2 helpers are nodes
    # at depth 1 == max_depth, never implemented on the paper profile, given trial and tests on
    # strict.
    assert most("pat", max_depth=1) == 9 + 9 + 9 + 15
    strict = budgets_for("pat", {"max_depth": 1}, profile="strict")
    node = sum(s.most for s in stages("pat", strict) if s.name != "plan")
    assert sum(requests_per_problem("pat", strict)["most"].values()) == (
        node + strict.plan_rounds * strict.parse_retries + strict.plan_rounds * 2 * node
    )
    assert most("pat", helpers=3) > most("pat", helpers=2) > most("pat", helpers=0)
    for policy in POLICIES:
        fewest = requests_per_problem(policy, budgets_for(policy, {}))["fewest"]
        assert sum(fewest.values()) <= most(policy)


# ----- --dry-run ------------------------------------------------------------------------------
def test_dry_run_calls_no_model_and_creates_nothing(workdir, capsys) -> None:
    with GatedStub() as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        before = snapshot(workdir)
        assert main([*run_args("--dry-run", "--json"), "--db", "sub/dir/runs.sqlite"]) == 0
        assert stub.requests == []  # no model call, not even the start-up probe
    assert snapshot(workdir) == before  # no database, no folder
    estimate = json.loads(capsys.readouterr().out)
    assert estimate["to_solve"] == 4 and estimate["recorded"] is None
    fewest = estimate["per_problem"]["fewest"]
    assert fewest["requests"] == {"generator": 3, "planner": 0}
    # Prices of the fake model: $1 / $2 per 1M tokens; answers counted at max_tokens: the
    # config sets none, so the paper profile's floor of 8192 (issue 20).
    tokens = fewest["tokens"]["generator"]
    assert tokens["output"] == 8192 * (5 + 1 + 1)  # five trial samples, examples, one test
    assert fewest["cost_usd"] == pytest.approx((tokens["input"] * 1 + tokens["output"] * 2) / 1e6)
    assert estimate["whole_run"]["fewest"]["requests"] == 12  # 4 problems x 3


def test_dry_run_measures_a_recorded_run_and_leaves_its_database_alone(workdir, capsys) -> None:
    with GatedStub() as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        # Standard's one greedy trial per problem is its cheapest path and its only one.
        args = run_args(policy="standard")
        assert main([*args, "--json", "--task", "fake/0", "--task", "fake/2"]) == 0
        summary = json.loads(capsys.readouterr().out)
        answered = stub.answered
        before = snapshot(workdir)
        assert main([*args, "--dry-run", "--json"]) == 0
        assert stub.answered == answered
    assert snapshot(workdir) == before  # no -wal/-shm file, no write
    estimate = json.loads(capsys.readouterr().out)
    assert (estimate["done_before"], estimate["to_solve"]) == (2, 2)
    recorded = estimate["recorded"]
    assert recorded["from_run"] == "r" and recorded["problems"] == 2
    calls = summary["llm_calls"]
    assert sum(recorded["per_problem"]["requests"].values()) == pytest.approx(
        (calls["generator"] + calls["planner"]) / 2
    )
    # The budgets' cheapest path is what these problems really took: one request each.
    assert (
        recorded["per_problem"]["requests"]["generator"]
        == 1
        == sum(estimate["per_problem"]["fewest"]["requests"].values())
    )
    assert recorded["whole_run"]["cost_usd"] == pytest.approx(summary["cost_usd"])


def test_dry_run_of_a_new_run_measures_the_closest_recorded_one(workdir, capsys) -> None:
    with GatedStub() as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        assert main([*run_args(run="std", policy="standard"), "--limit", "1"]) == 0
        assert main([*run_args(run="p"), "--limit", "2"]) == 0
        capsys.readouterr()
        assert main([*run_args(run="new", policy="standard"), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "measured in run 'std' (1 problems): 1.0 requests" in text
    assert "no model was called, nothing was created" in text


# ----- --json and the budget-stop exit code ---------------------------------------------------
def test_run_json_is_a_report_entry_plus_the_invocation(workdir, capsys) -> None:
    with GatedStub() as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        assert main([*run_args("--json"), "--limit", "2"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert main([*run_args("--json"), "--limit", "3"]) == 0
        again = json.loads(capsys.readouterr().out)
    assert main(["report", "--json"]) == 0
    [report] = json.loads(capsys.readouterr().out)
    assert {k: v for k, v in again.items() if k != "invocation"} == report
    assert set(printed) == {*report, "invocation"}
    assert printed["invocation"] == {
        "exit_code": 0, "workers": 1, "solved": 2, "skipped": 0, "errored": 0,
        "not_started": 0, "budget_stopped": False, "spent_usd": pytest.approx(printed["cost_usd"]),
    }  # fmt: skip
    assert (again["invocation"]["solved"], again["invocation"]["skipped"]) == (1, 2)


def test_a_budget_stop_exits_3_and_says_so(workdir, capsys) -> None:
    with GatedStub() as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        code = main([*run_args("--json", "--max-cost-usd", "0.0000001"), "--concurrency", "1"])
        assert code == 3
        out, err = capsys.readouterr()
        assert "problems not started" in err and "(exit code 3)" in err
        invocation = json.loads(out)["invocation"]
        assert invocation["budget_stopped"] and invocation["exit_code"] == 3
        assert invocation["not_started"] == 3
        # Enough budget: the same command goes on and ends normally.
        assert main([*run_args("--max-cost-usd", "100")]) == 0


def test_seeds_with_json_print_one_list(workdir, capsys) -> None:
    with GatedStub() as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        assert main([*run_args("--json", "--seeds", "1,2", policy="standard"),
                     "--limit", "1"]) == 0  # fmt: skip
    runs = json.loads(capsys.readouterr().out)
    assert [r["run"] for r in runs] == ["r-seed1", "r-seed2"]
