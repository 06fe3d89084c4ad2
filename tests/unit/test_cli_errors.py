"""Issue 12: never lose data, never hang, never a traceback; tell the truth when a server misbehaves.

Each test is one bad input or one misbehaving server: the exact message class, the exit code,
and that nothing recorded was lost. Commands that could hang run in a subprocess with a timeout.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pat_graph.cli import main
from pat_graph.llm import RoleModel
from pat_graph.report import format_table, summarize_run
from pat_graph.store import ResultRow, RunRecord
from tests.support.bad_server import BadServer
from tests.support.fake_server import GatedStub, write_benchmark

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_benchmark(tmp_path / "bench.jsonl", 3)
    return tmp_path


def config(path: Path, base_url: str, *, retries: int = 0, key_env: str | None = None) -> None:
    lines = [
        "[models.fake]", f'base_url = "{base_url}"', 'model = "fake-model"',
        "input_price = 1.0", "output_price = 2.0", f"max_retries = {retries}", "timeout = 10",
    ]  # fmt: skip
    if key_env:
        lines.append(f'api_key_env = "{key_env}"')
    path.write_text("\n".join(lines) + "\n")


def run_args(*extra: str, run: str = "r", db: str = "runs.sqlite") -> list[str]:
    return [
        "run", "--benchmark", "bench.jsonl", "--generator", "fake", "--run", run, "--db", db,
        "--policy", "standard", "--no-progress", "--sandbox", "process", *extra,
    ]  # fmt: skip


def cli(args: list[str], cwd: Path, timeout: float = 90) -> subprocess.CompletedProcess:
    """The real entry point in a fresh process: a hang fails the test instead of the suite."""
    return subprocess.run(
        [sys.executable, "-m", "pat_graph.cli", *args], cwd=cwd, capture_output=True, text=True,
        timeout=timeout, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def report(db: str = "runs.sqlite", *extra: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "pat_graph.cli", "report", "--db", db, "--json", *extra],
        capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)[0]


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def finished_db(workdir: Path, capsys) -> Path:
    with GatedStub() as stub:
        config(workdir / "pat.toml", stub.base_url)
        assert main(run_args()) == 0
    capsys.readouterr()
    return workdir / "runs.sqlite"


# ---- data lost or silently wrong --------------------------------------------------------------


def test_export_never_overwrites_the_database(finished_db: Path, capsys) -> None:
    before = report()
    assert main(["export", "--run", "r", "--out", "runs.sqlite"]) == 2
    assert "is the run database this command reads" in one_error_line(capsys.readouterr().err)
    assert main(["export", "--run", "r", "--out", "runs.sqlite", "--force"]) == 2  # never
    capsys.readouterr()
    assert report() == before  # the database is intact and still answers


def test_export_refuses_foreign_files_without_force(finished_db: Path, capsys) -> None:
    notes = finished_db.parent / "notes.txt"
    notes.write_text("my notes\n")
    assert main(["export", "--run", "r", "--out", "notes.txt"]) == 2
    assert "is not a samples file pat-graph wrote" in one_error_line(capsys.readouterr().err)
    assert notes.read_text() == "my notes\n"
    other = finished_db.parent / "other.sqlite"
    sqlite3.connect(other).close()
    other.write_bytes(b"SQLite format 3\x00" + bytes(100))
    assert main(["export", "--run", "r", "--out", "other.sqlite"]) == 2
    assert "is an SQLite database" in capsys.readouterr().err
    # Its own earlier export is replaced; --force replaces anything; missing dirs are created.
    assert main(["export", "--run", "r", "--out", "out/deep/s.jsonl"]) == 0
    assert main(["export", "--run", "r", "--out", "out/deep/s.jsonl"]) == 0
    assert main(["export", "--run", "r", "--out", "notes.txt", "--force"]) == 0
    assert len(notes.read_text().splitlines()) == 3


def test_a_file_that_is_not_sqlite_exits_2_and_does_not_hang(workdir: Path) -> None:
    bad = workdir / "notes.txt"
    bad.write_text("hello, not a database\n")
    corrupt = workdir / "corrupt.sqlite"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    for db in (bad, corrupt):
        before = db.read_bytes()
        for args in (
            ["report", "--db", str(db)],
            ["export", "--run", "r", "--db", str(db), "--out", "x.jsonl"],
            ["prune", "--run", "r", "--db", str(db)],
            ["delete", "--run", "r", "--db", str(db)],
        ):
            done = cli(args, workdir)
            assert done.returncode == 2, (args, done.stderr)
            line = one_error_line(done.stderr)
            assert "not an SQLite database" in line or "malformed" in line, line
        assert db.read_bytes() == before


def test_run_on_a_non_sqlite_db_exits_2_and_does_not_hang(workdir: Path) -> None:
    bad = workdir / "notes.txt"
    bad.write_text("hello\n")
    with GatedStub() as stub:
        config(workdir / "pat.toml", stub.base_url)
        done = cli(run_args(db="notes.txt"), workdir)
        assert not stub.requests  # refused before any LLM call
    assert done.returncode == 2 and "not an SQLite database" in one_error_line(done.stderr)
    assert bad.read_text() == "hello\n"


def test_empty_choices_are_retried_then_the_problem_errors_naming_model_and_url(
    workdir: Path, capsys
) -> None:
    with BadServer("empty") as server:
        config(workdir / "pat.toml", server.base_url, retries=1)
        assert main(run_args()) == 1
        err = capsys.readouterr().err
        assert server.posts == 3 * 2  # each problem: the request and its one retry
    assert f"LLMCallError: model 'fake' at {server.base_url}" in err
    assert "answered with no choices (2 times)" in err
    s = report()
    assert (s["done"], s["errored"], s["pass_at_1"], s["complete"]) == (0, 3, 0.0, False)
    # The empty answers were paid for (they reported usage): they are on the bill.
    assert sum(s["llm_calls"].values()) == 6 and s["cost_usd"] == pytest.approx(6 * 20e-6)


def test_missing_usage_is_unknown_cost_never_zero(workdir: Path, capsys) -> None:
    with BadServer("nousage") as server:
        config(workdir / "pat.toml", server.base_url)
        assert main(run_args()) == 0
    capsys.readouterr()
    s = report()
    assert s["cost_usd"] is None and s["cost_unknown_calls"] == 3
    assert s["usage_unreported_calls"] == 3
    assert main(["report"]) == 0
    text = capsys.readouterr().out
    assert "cost unknown for 3 calls (3 without usage from the server)" in text
    assert "$0.000000" not in text


def test_solve_without_prices_has_unknown_cost_but_counts_tokens() -> None:
    from pat_graph import Problem, solve
    from tests.support.fake_server import scripted_model

    problem = Problem("t/0", 'def add_0(x: int) -> int:\n    """Return x plus 0."""\n', "add_0")
    result = asyncio.run(solve(problem, generator=scripted_model(), policy="standard"))
    usage = result.usage()
    assert result.cost_usd is None and usage["cost_unknown_calls"] == result.llm_calls >= 1
    assert usage["tokens"]["generator"]["input"] > 0
    priced = asyncio.run(
        solve(problem, generator=scripted_model(), policy="standard",
              prices={"fake-gen": (1.0, 2.0)})
    )  # fmt: skip
    assert priced.cost_usd is not None and priced.cost_usd > 0


def test_the_bill_includes_calls_of_a_node_that_failed_later(tmp_path: Path) -> None:
    """PaT plans on odd problems; the planner here fails after the trial and test calls were
    answered, so those calls belong to no result: the report still shows them as spent."""
    from pat_graph.benchmarks import load_benchmark
    from pat_graph.report import load_summaries
    from pat_graph.runner import run_benchmark
    from pat_graph.store import Store, open_db
    from pat_graph.testing import ScriptedChatModel
    from tests.support.fake_server import reply

    def respond(purpose: str, messages) -> str:
        from pat_graph.testing import target_of

        if purpose == "plan":
            raise RuntimeError("planner server fell over")
        return reply(purpose, target_of(messages))

    chat = ScriptedChatModel(respond=respond, model_name="fake-gen")
    bench = load_benchmark(write_benchmark(tmp_path / "b.jsonl", 2))
    db = tmp_path / "runs.sqlite"

    async def go() -> tuple[dict, list[dict]]:
        await run_benchmark(
            run="r", benchmark=bench, policy="pat", generator=RoleModel(chat, "fake-gen", 1.0, 2.0),
            db_path=db, progress=False, budgets={"n_samples": 1},
        )  # fmt: skip
        [summary] = await load_summaries(db)
        conn = await open_db(db, create=False)
        try:
            calls = await Store(conn).calls("r")
        finally:
            await conn.close()
        return summary, calls

    summary, calls = asyncio.run(go())
    answered = len(chat.calls)
    assert summary["errored"] >= 1  # the odd problem planned, and planning failed
    assert sum(summary["llm_calls"].values()) == len(calls) == answered
    assert {c["task_id"] for c in calls} == {"fake/0", "fake/1"}
    assert summary["cost_usd"] > summary["used"]["cost_usd"]  # spent > what results hold
    assert summary["pass_at_1"] <= 0.5  # the errored problem counts as a failure
    assert "final results used" in format_table([summary])


def test_every_request_failing_reports_pass_at_1_zero_all_errored(workdir: Path, capsys) -> None:
    with BadServer("500") as server:
        config(workdir / "pat.toml", server.base_url)
        assert main(run_args()) == 1
    capsys.readouterr()
    s = report()
    assert s["pass_at_1"] == 0.0 and s["errored"] == s["problems"] == 3
    assert s["done"] == 0 and s["complete"] is False
    assert s["cost_usd"] == 0.0 or s["cost_usd"] is None  # no answer, nothing billed


def test_pass_at_1_is_over_all_selected_problems() -> None:
    record = RunRecord("r", "pat", {"name": "g"}, None, {}, "humaneval-plus", "h", problems=5)

    def row(task: str, status: str, base: bool | None = None) -> ResultRow:
        result = {"ledger": [], "verified": bool(base)} if status == "done" else None
        return ResultRow("r", task, status, result, base, base if base is not None else None,
                         None if status == "done" else "boom")  # fmt: skip

    rows = [row("a", "done", True), row("b", "done", False), row("c", "errored")]
    s = summarize_run(record, rows)
    assert s["pass_at_1"] == pytest.approx(1 / 5) and s["pass_at_1_plus"] == pytest.approx(1 / 5)
    assert (s["complete"], s["unfinished"], s["pass_at_1_done"]) == (False, 2, 0.5)
    assert s["planner"] == "g" and s["planner_is_generator"] is True
    assert "planner=g (the generator)" in format_table([s])
    every = summarize_run(record, [row(t, "errored") for t in "abcde"])
    assert every["pass_at_1"] == 0.0 and every["pass_at_1_plus"] == 0.0
    assert every["errored"] == 5 and every["complete"] is False


def test_evaluate_says_how_many_tasks_have_no_sample(workdir: Path, capsys) -> None:
    (workdir / "s.jsonl").write_text(
        json.dumps({"task_id": "fake/0", "solution": "def add_0(x):\n    return x\n"}) + "\n"
    )
    assert main(["evaluate", "--benchmark", "bench.jsonl", "--samples", "s.jsonl", "--json"]) == 0
    captured = capsys.readouterr()
    assert "2 of 3 tasks have no sample (counted as failures)" in captured.err
    assert json.loads(captured.out)["missing_samples"] == ["fake/1", "fake/2"]


def test_evaluate_refuses_unknown_task_ids_naming_them(workdir: Path, capsys) -> None:
    rows = [{"task_id": t, "solution": "x = 1\n"} for t in ("fake/0", "HumanEval/1", "other/9")]
    (workdir / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["evaluate", "--benchmark", "bench.jsonl", "--samples", "s.jsonl"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "2 task id(s) in the samples are not in bench.jsonl: HumanEval/1, other/9" in line
