"""Issue 22, item 9: with an outside worker joined, `run` reports what the run has, not what its
own process did ("6/6 done", not "4/6 done")."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.test_signals import cmd, env, run_args
from tests.support.fake_server import GatedStub, write_benchmark, write_config

pytestmark = pytest.mark.integration


def test_run_counts_the_results_an_outside_worker_added(tmp_path: Path) -> None:
    write_benchmark(tmp_path / "bench.jsonl", 6)
    stub = GatedStub(freeze_after=0).start()  # every request waits until both have claimed
    try:
        write_config(tmp_path / "pat.toml", stub.base_url)
        run = subprocess.Popen(cmd(*run_args()), cwd=tmp_path, env=env(), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        worker = None
        deadline = time.monotonic() + 120
        while len(stub.requests) < 2 and time.monotonic() < deadline:  # the run's two problems
            time.sleep(0.1)
        worker = subprocess.Popen(
            cmd("worker", "--db", "runs.sqlite", "--run", "r", "--concurrency", "2",
                "--sandbox", "process", "--no-progress"),
            cwd=tmp_path, env=env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        while len(stub.requests) < 4 and time.monotonic() < deadline:  # and the worker's two
            time.sleep(0.1)
        assert len(stub.requests) >= 4, "the worker never joined"
        stub.release()
        _, run_err = run.communicate(timeout=120)
        _, worker_err = worker.communicate(timeout=120)
    finally:
        for proc in (run, worker):
            if proc is not None and proc.poll() is None:
                proc.kill()
        stub.stop()
    assert run.returncode == 0, run_err
    assert worker.returncode == 0, worker_err
    found = re.search(
        r"run r: 6/6 done \((\d) now, 0 earlier, (\d) by other workers\), 0 errored", run_err
    )
    assert found, run_err
    here, others = map(int, found.groups())
    assert here + others == 6 and here >= 2 and others >= 2
    assert f"{others} solved here" in worker_err
