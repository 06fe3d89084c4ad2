"""Five SIGKILLs at random moments of one `pat-graph run` leave the same final report (and the
same per-problem results, ledgers included) as an uninterrupted run with the same deterministic
model. SIGKILL gives the process no chance to clean up, so this tests the durability rules, not
an exit handler."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fault_helpers import (
    cli,
    popen,
    results,
    run_args,
    setup_run,
    synthetic_reply,
)
from tests.support.faulty_server import FaultyServer
from tests.support.poll import Poller

pytestmark = pytest.mark.integration

N = 40
RUN = "killed"
KILLS = 5


def _report(db: Path) -> dict[str, Any]:
    out = cli(["report", "--db", str(db), "--run", RUN, "--json"])
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)[0]


def _done(db: Poller) -> int:
    return db.count("SELECT count(*) FROM results WHERE run = ? AND status = 'done'", (RUN,))


def _payloads(db: Path) -> dict[str, Any]:
    return {t: (r["status"], r["result"]) for t, r in results(db, RUN).items()}


def test_five_sigkills_leave_the_report_of_an_uninterrupted_run(tmp_path: Path) -> None:
    rng = random.Random(2026)
    with FaultyServer(synthetic_reply, fault_rate=0.0, latency_s=0.05) as server:
        setup_run(tmp_path, server.base_url, N, hard=0.5)
        reference_db = tmp_path / "reference.sqlite"
        started = time.monotonic()
        reference = cli(run_args(tmp_path, reference_db, RUN, concurrency=4))
        duration = time.monotonic() - started
        assert reference.returncode == 0, reference.stderr[-2000:]
        calls_uninterrupted = len(server.exchanges)

        db = tmp_path / "killed.sqlite"
        done = Poller(db)
        done_at_kill: list[int] = []
        # Random moments spread over the run: after a random number of finished problems plus a
        # random fraction of a second, so kills land inside nodes, checkpoint writes and judging.
        for target in sorted(rng.sample(range(1, N - 8), KILLS)):
            proc = popen(run_args(tmp_path, db, RUN, concurrency=4))
            deadline = time.monotonic() + duration + 30
            while _done(done) < target and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            assert proc.poll() is None, "the run ended before it could be killed"
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            done_at_kill.append(_done(done))
        done.close()
        final = cli(run_args(tmp_path, db, RUN, concurrency=4))
        assert final.returncode == 0, final.stderr[-2000:]

    # Every kill interrupted unfinished work, and the run still made progress across kills.
    assert all(d < N for d in done_at_kill), done_at_kill
    assert done_at_kill == sorted(done_at_kill) and done_at_kill[0] > 0, done_at_kill
    assert len(server.exchanges) > calls_uninterrupted  # the kills did cost repeated calls
    assert _payloads(db) == _payloads(reference_db)
    # The results are the same; the bill is not: the killed run paid for repeated calls, and
    # the report says so (issue 12) while "used" stays what the final results hold.
    killed, reference_report = _report(db), _report(reference_db)
    bill = {"llm_calls", "tokens", "cost_usd", "cost_per_problem_usd", "cost_unknown_calls",
            "usage_unreported_calls", "cost_paid_usd"}  # fmt: skip
    assert {k: v for k, v in killed.items() if k not in bill} == {
        k: v for k, v in reference_report.items() if k not in bill
    }
    spent_ref = sum(reference_report["llm_calls"].values())
    assert spent_ref == sum(reference_report["used"]["llm_calls"].values()) == calls_uninterrupted
    spent = sum(killed["llm_calls"].values())
    assert spent_ref <= spent <= len(server.exchanges) - calls_uninterrupted
    assert killed["cost_usd"] >= reference_report["cost_usd"]
