"""Issue 12: never lose data, never hang, never a traceback; the truth about misbehaving servers.

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
from pat_graph.models.roles import RoleModel
from pat_graph.reporting.report import format_table, summarize_run
from pat_graph.runs.store import ResultRow, RunRecord
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


def test_export_on_a_full_disk_keeps_the_old_file(finished_db: Path, capsys) -> None:
    import errno

    out = finished_db.parent / "s.jsonl"
    assert main(["export", "--run", "r", "--out", "s.jsonl"]) == 0
    before = out.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("pat_graph.files.outputs.os.replace", full)
        assert main(["export", "--run", "r", "--out", "s.jsonl"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "cannot write s.jsonl: No space left on device; s.jsonl was left as it was" in line
    assert out.read_bytes() == before
    assert not [f for f in out.parent.iterdir() if f.name.endswith(".tmp")]  # no debris


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


def test_a_database_url_or_directory_is_refused_without_creating_anything(workdir, capsys):
    config(workdir / "pat.toml", "http://127.0.0.1:9/v1")
    assert main(run_args(db="mysql://u@h/db")) == 2  # PostgreSQL URLs are (issue 13)
    assert "other URLs are not supported" in one_error_line(capsys.readouterr().err)
    (workdir / "adir").mkdir()
    assert main(["report", "--db", "adir"]) == 2
    assert "--db adir is a directory" in one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in workdir.iterdir()) == ["adir", "bench.jsonl", "pat.toml"]


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
    from pat_graph.reporting.report import load_summaries
    from pat_graph.runs.runner import run_benchmark
    from pat_graph.runs.store import Store, open_db
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
    answers = [c for c in calls if not c.get("failed")]
    assert sum(summary["llm_calls"].values()) == len(answers) == answered
    # The request that failed is in the ledger too, as a failure that cost nothing (issue 22).
    [failed] = [c for c in calls if c.get("failed")]
    assert failed["role"] == "planner" and "planner server fell over" in failed["error"]
    assert summary["http"]["planner"]["failed_requests"] == 1
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


# ---- tracebacks and hangs turned into one line ------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        ("n_samples=abc", "--budget n_samples=abc: n_samples takes a whole number, e.g."),
        ("n_samples=null", "n_samples takes a whole number"),
        ("n_samples=[1]", "n_samples takes a whole number"),
        ("n_samples=2.5", "n_samples takes a whole number"),
        ("generate_tests=yes", "generate_tests takes true or false"),
        ("trial_temperature=hot", "trial_temperature takes a number"),
        ("timeout_s=true", "timeout_s takes a number"),
    ],
)
def test_budget_values_are_type_checked_before_the_run_exists(
    workdir: Path, capsys, budget: str, message: str
) -> None:
    config(workdir / "pat.toml", "http://127.0.0.1:9/v1")  # never reached
    assert main(run_args("--budget", budget)) == 2
    assert message in one_error_line(capsys.readouterr().err)
    assert not (workdir / "runs.sqlite").exists()  # nothing registered, nothing frozen


def test_budget_check_follows_the_dataclass_field_types() -> None:
    """New knobs (str, Literal, Optional) are covered without touching the CLI."""
    from typing import Literal

    from pat_graph.graph.budget_args import _typed

    assert _typed(3, "3", int) == (True, 3) and _typed(3, "3", float) == (True, 3.0)
    assert _typed(True, "true", int)[0] is False  # a bool is not an int here
    assert _typed(3, "3", str) == (True, "3")  # text knobs take the raw text
    assert _typed("call", "call", Literal["call", "assert"]) == (True, "call")
    assert _typed("calls", "calls", Literal["call", "assert"])[0] is False
    assert _typed(None, "null", int | None) == (True, None)
    assert _typed("x", "x", int | None)[0] is False


@pytest.mark.parametrize(
    "flags",
    [("--limit", "0"), ("--limit", "-3"), ("--concurrency", "0"), ("--max-concurrency", "0")],
)
def test_zero_or_negative_sizes_are_refused(workdir: Path, capsys, flags) -> None:
    config(workdir / "pat.toml", "http://127.0.0.1:9/v1")
    assert main(run_args(*flags)) == 2
    assert f"{flags[0]} must be at least 1 (got {flags[1]})" in one_error_line(
        capsys.readouterr().err
    )
    assert not (workdir / "runs.sqlite").exists()


def test_evaluate_concurrency_zero_is_refused(workdir: Path, capsys) -> None:
    args = ["evaluate", "--benchmark", "bench.jsonl", "--samples", "s.jsonl", "--concurrency", "0"]
    assert main(args) == 2
    assert "--concurrency must be at least 1 (got 0)" in one_error_line(capsys.readouterr().err)


def test_missing_directories_are_created_for_db_out_and_plot(workdir: Path, capsys) -> None:
    with GatedStub() as stub:
        config(workdir / "pat.toml", stub.base_url)
        assert main(run_args(db="new/dir/runs.sqlite")) == 0
    assert (workdir / "new/dir/runs.sqlite").exists()
    assert main(["report", "--db", "new/dir/runs.sqlite", "--plot", "plots/a/p.png"]) == 0
    assert (workdir / "plots/a/p.png").read_bytes()[:4] == b"\x89PNG"
    (workdir / "notes.png").write_text("not a png")
    capsys.readouterr()
    assert main(["report", "--db", "new/dir/runs.sqlite", "--plot", "notes.png"]) == 2
    assert "--plot notes.png exists and is not a plot" in one_error_line(capsys.readouterr().err)
    assert main(["report", "--db", "missing/runs.sqlite"]) == 2
    assert "no database at missing/runs.sqlite" in one_error_line(capsys.readouterr().err)


def _read_only_connect(patch: pytest.MonkeyPatch) -> None:
    """Open every database read-only, as a file the user cannot write would be (the tests run
    as root, which file permissions do not stop)."""
    import aiosqlite

    real = aiosqlite.connect

    def connect(path, **kw):
        if kw.get("uri"):  # a reader's connection (store.reader_uri) is left as it is
            return real(path, **kw)
        return real(f"file:{Path(path).resolve()}?mode=ro", uri=True, **kw)

    patch.setattr(aiosqlite, "connect", connect)


def test_read_only_database_for_run_and_prune(finished_db: Path, capsys) -> None:
    before = report()
    with GatedStub() as stub, pytest.MonkeyPatch.context() as patch:
        config(finished_db.parent / "pat.toml", stub.base_url)
        _read_only_connect(patch)
        assert main(run_args(run="r2")) == 2
        assert "the database runs.sqlite is read-only" in one_error_line(capsys.readouterr().err)
        assert not stub.requests  # refused before any LLM call
        assert main(["prune", "--run", "r"]) == 2
        assert "is read-only" in one_error_line(capsys.readouterr().err)
    assert report() == before


def test_disk_full_stops_the_run_and_says_what_was_kept(workdir: Path, capsys) -> None:
    """SQLite's max_page_count makes a real SQLITE_FULL, as a full disk would."""
    from pat_graph.runs import store

    real_open = store.open_db

    async def small_open(path, **kw):
        conn = await real_open(path, **kw)
        async with conn.execute("PRAGMA page_count") as cursor:
            (pages,) = await cursor.fetchone()
        await conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        return conn

    write_benchmark(workdir / "bench.jsonl", 12)
    with GatedStub() as stub, pytest.MonkeyPatch.context() as patch:
        config(workdir / "pat.toml", stub.base_url)
        assert main(run_args("--limit", "1")) == 0  # one result is in before the disk fills
        patch.setattr("pat_graph.runs.database.open_db", small_open)
        capsys.readouterr()
        code = main(run_args("--concurrency", "2"))
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and "is full" in line and "free some space" in line
    assert "Kept: " in line and "of 12 results of run 'r'" in line
    s = report()
    assert s["done"] >= 1 and s["errored"] == 0  # nothing recorded as errored by the full disk


def test_output_piped_into_head_exits_quietly(workdir: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pat_graph.cli", "graph", "--format", "ascii"], cwd=workdir,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={"PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader went away, as `head` does after its lines
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "BrokenPipeError" not in err and "Traceback" not in err and "Exception" not in err


def test_preflight_catches_a_rejected_api_key(workdir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("PAT_TEST_KEY", "wrong-key")
    with BadServer("auth") as server:
        config(workdir / "pat.toml", server.base_url, key_env="PAT_TEST_KEY")
        assert main(run_args()) == 2
        line = one_error_line(capsys.readouterr().err)
        assert server.posts == 0  # refused before any completion request
        monkeypatch.setenv("PAT_TEST_KEY", "right-key")
        assert main(run_args()) == 0
    assert f"model 'fake': {server.base_url} refused the API key (HTTP 401" in line
    assert "api_key_env = 'PAT_TEST_KEY'" in line


def test_preflight_catches_an_html_page_instead_of_an_api(workdir: Path, capsys) -> None:
    with BadServer("htmlprobe") as server:
        config(workdir / "pat.toml", server.base_url)
        assert main(run_args()) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"model 'fake': GET {server.base_url}/models answered with an HTML page" in line


@pytest.mark.parametrize("mode", ["html", "badjson"])
def test_html_or_broken_json_answers_name_model_and_url(workdir: Path, capsys, mode) -> None:
    with BadServer(mode) as server:
        config(workdir / "pat.toml", server.base_url)
        assert main(run_args()) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("errored fake/") == 3
    assert err.count(f"LLMCallError: model 'fake' at {server.base_url}: the server") == 3
    meaning = {"html": "answered with an HTML page instead of JSON", "badjson": "not valid JSON"}
    assert err.count(meaning[mode]) == 3


BAD_ROWS = {
    "typo": ({"task_id": "a", "prompt": "def f(): ...", "entry_point": "f", "kind": "function",
              "tests": [], "hiden_tests": ["assert f() == 1"]}, "unknown field(s) hiden_tests "
             "(did you mean hidden_tests?); allowed: task_id, prompt, kind"),
    "syntax": ({"task_id": "a", "prompt": "def f(): ...", "entry_point": "f", "kind": "function",
                "tests": [], "hidden_tests": ["assert f() == 1", "assert f( == 2"]},
               "bad.jsonl:2, hidden_tests[1]: not valid Python ("),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_custom_benchmark_rows_fail_with_file_and_line(workdir: Path, capsys, case) -> None:
    row, message = BAD_ROWS[case]
    good = json.loads((workdir / "bench.jsonl").read_text().splitlines()[0])
    (workdir / "bad.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(row) + "\n")
    config(workdir / "pat.toml", "http://127.0.0.1:9/v1")
    assert main(["evaluate", "--benchmark", "bad.jsonl", "--samples", "x.jsonl"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert message in line and "bad.jsonl:2" in line


def test_custom_benchmark_as_json_array_and_pretty_printed_objects(workdir: Path, capsys):
    from pat_graph.benchmarks import load_benchmark

    rows = [json.loads(line) for line in (workdir / "bench.jsonl").read_text().splitlines()]
    (workdir / "array.json").write_text(json.dumps(rows, indent=2))
    assert [t.task_id for t in load_benchmark("array.json").tasks] == ["fake/0", "fake/1", "fake/2"]
    (workdir / "pretty.jsonl").write_text(json.dumps(rows[0], indent=2) + "\n")
    assert main(["evaluate", "--benchmark", "pretty.jsonl", "--samples", "x.jsonl"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "pretty.jsonl:1: not valid JSON" in line and "one whole JSON object" in line
    (workdir / "dir").mkdir()
    assert main(["evaluate", "--benchmark", "dir", "--samples", "x.jsonl"]) == 2
    assert "--benchmark dir is a directory" in one_error_line(capsys.readouterr().err)


def test_no_config_file_says_so(workdir: Path, capsys) -> None:
    assert main(run_args()) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "unknown model 'fake'" in line and "no config file was found" in line
    assert str(workdir / "pat.toml") in line


def test_model_table_typo_names_the_file_and_ignored_tables(workdir: Path, capsys) -> None:
    (workdir / "pat.toml").write_text(
        '[model.fake]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n'
        "input_price = 1\noutput_price = 1\n"
    )
    assert main(run_args()) == 2
    err = one_error_line(capsys.readouterr().err)
    read = (f"read {workdir / 'pat.toml'} (found in the working directory), which has table(s) "
            "pat-graph ignores: [model.fake] ")  # fmt: skip
    assert read in err
    assert "(model tables are [models.NAME])" in err and "unknown model 'fake'" in err


def test_an_unexpected_exception_is_one_line_not_a_traceback(workdir, capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr("pat_graph.benchmarks.list_benchmarks", boom)
    assert main(["benchmarks"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "RuntimeError: something nobody foresaw" in line and "PAT_GRAPH_DEBUG=1" in line


# ---- deleting a run ---------------------------------------------------------------------------


def test_delete_removes_one_run_only(finished_db: Path, capsys) -> None:
    with GatedStub() as stub:
        config(finished_db.parent / "pat.toml", stub.base_url)
        assert main(run_args(run="keep")) == 0
    capsys.readouterr()
    kept = report("runs.sqlite", "--run", "keep")
    assert main(["delete", "--run", "r"]) == 2
    assert "run 'r' has 3 finished result(s); pass --force" in one_error_line(
        capsys.readouterr().err
    )
    assert main(["delete", "--run", "r", "--force"]) == 0
    assert "deleted run r: 3 results" in capsys.readouterr().out
    with sqlite3.connect(finished_db) as conn:
        for table, column in (("runs", "name"), ("results", "run"), ("calls", "run")):
            runs = {r[0] for r in conn.execute(f"SELECT DISTINCT {column} FROM {table}")}
            assert runs == {"keep"}, table
        threads = {r[0].split("::")[0] for r in conn.execute("SELECT thread_id FROM checkpoints")}
        assert threads <= {"keep"}
    assert report("runs.sqlite", "--run", "keep") == kept
    assert main(["delete", "--run", "r"]) == 2
    assert "unknown run 'r'" in one_error_line(capsys.readouterr().err)
