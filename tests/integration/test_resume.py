"""Crash and resume end to end: SIGKILL `pat-graph run` mid-way, run it again, compare reports."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.fake_server import GatedStub, write_benchmark, write_config

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
N_TASKS = 6


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pat_graph.cli", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run_args(db: str) -> list[str]:
    return [
        "run", "--benchmark", "bench.jsonl", "--policy", "pat", "--generator", "fake",
        "--run", "r", "--db", db, "--concurrency", "2", "--sandbox", "process",
        "--budget", "n_samples=2", "--budget", "plan_rounds=2", "--budget", "max_depth=1",
        # one request per node before its checkpoint, so a kill repeats at most what was in
        # flight (the llm example parser puts a second request into build_tests)
        "--budget", "example_parser=doctest",
    ]  # fmt: skip


def _report(cwd: Path, db: str) -> list[dict]:
    out = subprocess.run(
        _cmd("report", "--db", db, "--json"), cwd=cwd, env=_env(), capture_output=True,
        text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def _done(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=10) as con:
        try:
            return con.execute("SELECT count(*) FROM results WHERE status='done'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def _wait_for_checkpoints_to_settle(db: Path, quiet_s: float = 1.5, limit_s: float = 30) -> None:
    def count() -> int:
        try:
            with sqlite3.connect(db, timeout=10) as con:
                return sum(
                    con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    for table in ("checkpoints", "writes")
                )
        except sqlite3.OperationalError:
            return -1

    last, since, deadline = count(), time.monotonic(), time.monotonic() + limit_s
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return


def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    write_benchmark(tmp_path / "bench.jsonl", N_TASKS)

    with GatedStub() as ref_stub:
        write_config(tmp_path / "pat.toml", ref_stub.base_url)
        subprocess.run(
            _cmd(*_run_args("ref.sqlite"), "--no-progress"), cwd=tmp_path, env=_env(),
            timeout=120, check=True, capture_output=True,
        )  # fmt: skip
        reference_calls = len(ref_stub.requests)
    reference = _report(tmp_path, "ref.sqlite")
    assert reference[0]["done"] == N_TASKS

    stub = GatedStub(delay_s=0.05, freeze_after=reference_calls // 2)
    with stub:
        write_config(tmp_path / "pat.toml", stub.base_url)
        proc = subprocess.Popen(
            _cmd(*_run_args("crash.sqlite")), cwd=tmp_path, env=_env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            assert stub.frozen.wait(90), "the run never got half-way"
            # Answered replies get checkpointed; the frozen ones stay in flight. Wait until the
            # checkpoints stop changing (a fixed second was too short on a busy machine: an
            # answered reply not yet checkpointed is asked again and looked like a repeat).
            _wait_for_checkpoints_to_settle(tmp_path / "crash.sqlite")
            in_flight = len(stub.requests) - len(stub.responses)
            sent_before_kill = len(stub.requests)
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
            stub.release()
        done_before = _done(tmp_path / "crash.sqlite")
        assert 0 <= done_before < N_TASKS
        assert in_flight >= 1

        resumed = subprocess.run(
            _cmd(*_run_args("crash.sqlite"), "--no-progress"), cwd=tmp_path, env=_env(),
            timeout=120, capture_output=True, text=True,
        )  # fmt: skip
        assert resumed.returncode == 0, resumed.stderr
        time.sleep(0.2)  # handler threads released by the gate finish their (dead) replies
        sent_by_resume = len(stub.requests) - sent_before_kill

    # Every problem finished exactly once: the resume only finished the ones not done before.
    assert f"({N_TASKS - done_before} now, {done_before} earlier)" in resumed.stderr
    assert _done(tmp_path / "crash.sqlite") == N_TASKS
    # Repeated LLM calls are at most the ones in flight when the process died.
    repeated = sent_before_kill + sent_by_resume - reference_calls
    assert 0 <= repeated <= in_flight
    assert _report(tmp_path, "crash.sqlite") == reference


def test_report_tokens_equal_the_usage_the_server_returned(tmp_path: Path) -> None:
    write_benchmark(tmp_path / "bench.jsonl", 3)
    with GatedStub() as stub:
        write_config(tmp_path / "pat.toml", stub.base_url, input_price=3.0, output_price=5.0)
        subprocess.run(
            _cmd(*_run_args("runs.sqlite"), "--no-progress"), cwd=tmp_path, env=_env(),
            timeout=120, check=True, capture_output=True,
        )  # fmt: skip
        served_in, served_out = stub.usage_totals()
        served_calls = len(stub.responses)
    [summary] = _report(tmp_path, "runs.sqlite")
    tokens = summary["tokens"]
    assert tokens["generator"]["input"] + tokens["planner"]["input"] == served_in
    assert tokens["generator"]["output"] + tokens["planner"]["output"] == served_out
    assert summary["llm_calls"]["generator"] + summary["llm_calls"]["planner"] == served_calls
    assert summary["llm_calls"]["planner"] > 0
    assert summary["cost_usd"] == pytest.approx((3.0 * served_in + 5.0 * served_out) / 1e6)


def test_sigint_stops_cleanly_and_says_how_to_resume(tmp_path: Path) -> None:
    write_benchmark(tmp_path / "bench.jsonl", 4)
    stub = GatedStub(freeze_after=3)
    with stub:
        write_config(tmp_path / "pat.toml", stub.base_url)
        proc = subprocess.Popen(
            _cmd(*_run_args("runs.sqlite"), "--no-progress"), cwd=tmp_path, env=_env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert stub.frozen.wait(90)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
            stub.release()
        assert proc.returncode == 130, err
        assert "run the same command again to continue" in err and "--run r" in err
        assert "Traceback" not in err
        resumed = subprocess.run(
            _cmd(*_run_args("runs.sqlite"), "--no-progress"), cwd=tmp_path, env=_env(),
            timeout=120, capture_output=True, text=True,
        )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert _done(tmp_path / "runs.sqlite") == 4
