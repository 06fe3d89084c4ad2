"""xCodeEval (`--benchmark xcodeeval --data DIR`): reading the published files, the seed-42
sample, the statement, the Codeforces judge, and Pass@1 per rating bucket in every report."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.judge import judge
from pat_graph.benchmarks.xcodeeval import (
    codeforces_mismatch,
    load_xcodeeval,
    rating_bucket,
    time_limit_s,
)
from pat_graph.cli import main
from pat_graph.errors import BenchmarkError
from pat_graph.reporting.plot import plot_data
from pat_graph.reporting.ratings import by_rating
from pat_graph.reporting.report import format_table, summarize_run
from pat_graph.runs.store import ResultRow, RunRecord
from pat_graph.sandbox.base import CallOutcome

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "xcodeeval"
USABLE = [
    "0a0000000000000000000000000000a1",
    "0b0000000000000000000000000000b2",
    "0c0000000000000000000000000000c3",
    "0d0000000000000000000000000000d4",
    "0e0000000000000000000000000000e5",
]


def test_usable_problems_are_kept_in_sorted_order_and_the_rest_skipped() -> None:
    bench = load_benchmark("xcodeeval", data=FIXTURE)
    assert [t.task_id for t in bench.tasks] == [f"xCodeEval/{u}" for u in USABLE]
    assert [t.rating for t in bench.tasks] == [800, 1300, 1700, 2100, None]
    assert [t.time_limit_s for t in bench.tasks] == [1.0, 1.0, 2.0, 0.5, 1.0]
    first = bench.tasks[0]
    # the later line of a repeated src_uid wins; HTML entities and $$$ are decoded
    assert "OLD text" not in first.problem.prompt and "$a$" in first.problem.prompt
    assert "0 < n" in bench.tasks[1].problem.prompt
    assert first.problem.kind == "stdio" and first.problem.entry_point == "main"
    assert first.problem.tests == [
        {"input": "1 2\n", "output": "3\n"},
        {"input": "5 7\n", "output": "12\n"},
    ]
    # hidden: the samples first, then the system tests with every accepted output
    assert first.hidden_tests[2:] == [
        {"input": "10 20\n", "outputs": ["30"]},
        {"input": "-1 1\n", "outputs": ["0"]},
    ]
    assert not any(str(t["input"]) == "10 20\n" for t in first.problem.tests)  # type: ignore[index]


def test_the_statement_is_a_main_stub_with_the_limits_and_sections() -> None:
    prompt = load_benchmark("xcodeeval", data=FIXTURE).tasks[0].problem.prompt
    lines = prompt.splitlines()
    assert lines[:3] == ["def main() -> None:", "    r'''", "    time limit per test: 1 second"]
    titles = [line.strip() for line in lines if line.strip().startswith("## ")]
    assert titles == [
        "## Description", "## Input", "## Output", "## Sample Input 1", "## Sample Output 1",
        "## Sample Input 2", "## Sample Output 2", "## Notes",
    ]  # fmt: skip
    assert "    The sum of 1 and 2 is 3." in lines  # "Note" dropped from the notes
    assert lines[-1] == "    raise NotImplementedError()"
    compile(prompt, "<statement>", "exec")


def test_the_sample_is_seed_42_over_the_usable_ids() -> None:
    shuffled = list(USABLE)
    rng = random.Random()
    rng.seed(42)
    rng.shuffle(shuffled)
    bench = load_xcodeeval(FIXTURE, samples=2)
    assert [t.task_id.split("/")[1] for t in bench.tasks] == [
        u for u in USABLE if u in shuffled[:2]
    ]


def test_missing_and_malformed_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="not shipped: pass --data DIR"):
        load_benchmark("xcodeeval")
    with pytest.raises(BenchmarkError, match="is not a directory"):
        load_benchmark("xcodeeval", data=tmp_path / "nowhere")
    shutil.copy(FIXTURE / "problem_descriptions.jsonl", tmp_path)
    with pytest.raises(BenchmarkError, match=r"unittest_db\.json is missing"):
        load_benchmark("xcodeeval", data=tmp_path)
    (tmp_path / "unittest_db.json").write_text('{"x": [{"input": 1, "output": ["2"]}]}')
    with pytest.raises(BenchmarkError, match=r"unittest_db\.json: test cases of 'x'"):
        load_benchmark("xcodeeval", data=tmp_path)
    (tmp_path / "unittest_db.json").write_text("{}")
    rows = (FIXTURE / "problem_descriptions.jsonl").read_text().splitlines()
    broken = json.loads(rows[2])
    del broken["time_limit"]
    (tmp_path / "problem_descriptions.jsonl").write_text("\n".join([rows[0], "{oops", ""]))
    with pytest.raises(BenchmarkError, match=r"problem_descriptions\.jsonl:2: not JSON"):
        load_benchmark("xcodeeval", data=tmp_path)
    (tmp_path / "problem_descriptions.jsonl").write_text(json.dumps(broken) + "\n")
    with pytest.raises(BenchmarkError, match=r":1: field 'time_limit' must be a str"):
        load_benchmark("xcodeeval", data=tmp_path)
    with pytest.raises(BenchmarkError, match="--data is for xcodeeval"):
        load_benchmark("humaneval", data=tmp_path)


def test_codeforces_comparison() -> None:
    assert codeforces_mismatch(["3"], "3\n") is None
    assert codeforces_mismatch(["1 2\n3"], " 1\n2 3 ") is None  # whitespace is not compared
    assert codeforces_mismatch(["0.666666667"], "0.6666666666") is None
    assert codeforces_mismatch(["0.5"], "0.51") == "token 1: expected '0.5', got '0.51'"
    assert codeforces_mismatch(["YES"], "yes") is None and codeforces_mismatch(["Alice"], "alice")
    assert codeforces_mismatch(["5 3", "3 5"], "3 5") is None  # any accepted output
    assert codeforces_mismatch(["1 2"], "1") == "expected 2 tokens, got 1"
    assert codeforces_mismatch(["007"], "7") is None  # integers by value
    assert time_limit_s("2 seconds") == 2.0 and time_limit_s("0.5 second") == 0.5
    assert time_limit_s("unknown") == 2.0


class StdioBox:
    """Answers each stdio call with `answer(stdin)`; records the program and the calls."""

    name = "stdio-fake"

    def __init__(self, answer, status: str = "ok", duration: float = 0.0) -> None:
        self.answer, self.status, self.duration = answer, status, duration
        self.seen: list[tuple[str, list[Any], float]] = []

    async def run_calls(self, code, calls, *, kind="function", timeout_s=6.0, entry_point=None):
        assert kind == "stdio"
        self.seen.append((code, list(calls), timeout_s))
        return tuple(
            CallOutcome(self.status, self.answer(c["input"]), "", self.duration) for c in calls
        )


async def test_the_judge_runs_samples_then_system_tests_and_compares_on_the_host() -> None:
    task = load_benchmark("xcodeeval", data=FIXTURE).tasks[0]  # a + b
    right = StdioBox(lambda stdin: f"{sum(map(int, stdin.split()))}\n")
    verdict = await judge(task, "def main():\n    print(1)\n", sandbox=right)  # type: ignore[arg-type]
    assert verdict.base is True and verdict.plus is None
    [(code, calls, limit)] = right.seen
    assert limit == 1.0 and [c["input"] for c in calls] == ["1 2\n", "5 7\n", "10 20\n", "-1 1\n"]
    assert code.rstrip().endswith("main()")  # a main() nobody called is called
    wrong = StdioBox(lambda stdin: "3\n")
    verdict = await judge(task, "def main():\n    print(3)\n", sandbox=wrong)  # type: ignore[arg-type]
    assert not verdict.base and "wrong answer on test 2" in verdict.details["base"][0]["message"]
    slow = StdioBox(lambda stdin: "", status="timeout", duration=1.0)
    verdict = await judge(task, "def main():\n    pass\n", sandbox=slow)  # type: ignore[arg-type]
    assert "time limit exceeded on sample test 1" in verdict.details["base"][0]["message"]


def _row(task_id: str, rating: int | None, passed: bool, status: str = "done") -> ResultRow:
    result = None if status != "done" else ({"rating": rating} if rating is not None else {})
    return ResultRow("x", task_id, status, result, passed if status == "done" else None, None, None)


def _record(name: str = "x") -> RunRecord:
    return RunRecord(name, "pat", {"name": "g"}, None, {"profile": "paper", "no_think": True},
                     "xcodeeval", "h", problems=6)  # fmt: skip


def test_pass_at_1_per_rating_bucket_in_report_json_text_and_plot() -> None:
    assert [rating_bucket(r) for r in (800, 1199, 1200, 1599, 1600, 1999, 2000, None)] == [
        "<1200", "<1200", "1200-1599", "1200-1599", "1600-1999", "1600-1999", ">=2000", "unrated",
    ]  # fmt: skip
    rows = [
        _row("a", 800, True), _row("b", 900, False), _row("c", 1300, True),
        _row("d", 2500, False), _row("e", None, True), _row("f", None, False, status="errored"),
    ]  # fmt: skip
    ratings = by_rating(rows)
    assert ratings is not None
    assert ratings["<1200"] == {"problems": 2, "passed": 1, "pass_at_1": 0.5}
    assert ratings["1200-1599"]["pass_at_1"] == 1.0 and ratings[">=2000"]["pass_at_1"] == 0.0
    assert ratings["1600-1999"] == {"problems": 0, "passed": 0, "pass_at_1": None}
    assert ratings["unrated"]["problems"] == 1 and ratings["unbucketed"] == 1
    assert by_rating([_row("a", None, True)]) is None  # no ratings at all: no buckets
    summary = summarize_run(_record(), rows)
    assert summary["by_rating"] == ratings and summary["no_think"] is True
    text = format_table([summary])
    assert "<1200 1/2 (50.0%), 1200-1599 1/1 (100.0%), 1600-1999 0/0 (-)" in text
    assert ">=2000 0/1 (0.0%), unrated 1/1 (100.0%), 1 without a result yet" in text
    assert "/no_think" in text and "sent (system prompts start with /no_think)" in text
    panel = plot_data([{**summary, "cost_per_problem_usd": 0.1}]).ratings[0]
    assert panel.buckets == ["<1200", "1200-1599", "1600-1999", ">=2000", "unrated"]
    assert panel.values == [[0.5, 1.0, None, 0.0, 1.0]]


def test_the_explorer_shows_pass_at_1_per_bucket(tmp_path: Path) -> None:
    from pat_graph.reporting.explore.data import RunData
    from pat_graph.reporting.explore.runs_page import runs_page

    rows = [_row("a", 800, True), _row("b", 2100, False)]
    run = RunData(summarize_run(_record(), rows), [])
    html = runs_page([run], {"x": "x"}, "runs.sqlite")
    assert 'id="by-rating"' in html and "<th>&lt;1200</th>" in html
    assert (
        '<td data-bucket="&lt;1200">100.0%' in html and '<td data-bucket="&gt;=2000">0.0%' in html
    )


def test_data_reaches_the_cli(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"task_id": "xCodeEval/nope", "solution": "x"}) + "\n")
    assert main(["evaluate", "--benchmark", "xcodeeval", "--samples", str(samples)]) == 2
    assert "--data DIR" in capsys.readouterr().err
    args = ["evaluate", "--benchmark", "xcodeeval", "--data", str(FIXTURE), "--samples"]
    assert main([*args, str(samples)]) == 2
    assert "not in xcodeeval" in capsys.readouterr().err  # the fixture loaded, the id is unknown
    assert main(["run", "--benchmark", "xcodeeval", "--generator", "g", "--run", "r"]) == 2
    assert "--data DIR" in capsys.readouterr().err
