"""Issue 22, item 5: SIGTERM and SIGINT stop `run`, `run --workers N` and `worker` promptly.

Each test freezes the model stub while problems are in flight, sends the signal, and checks: the
exit code (130 SIGINT, 143 SIGTERM), one line saying how to resume, no traceback, every process
gone, no request sent after the stop (nothing goes on spending), every lease given back, and
that running the same command again finishes the run.
"""

from __future__ import annotations

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
N_TASKS = 4
PROMPT_S = 15.0  # "promptly": the in-flight problems only have to save their checkpoints


def cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pat_graph.cli", *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run_args(*extra: str) -> list[str]:
    return [
        "run", "--benchmark", "bench.jsonl", "--policy", "standard", "--generator", "fake",
        "--run", "r", "--db", "runs.sqlite", "--concurrency", "2", "--sandbox", "process",
        "--no-progress", *extra,
    ]  # fmt: skip


def worker_pids(folder: Path) -> list[int]:
    """Live `pat-graph worker` processes working in `folder` (started by this test)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        ours = b"worker" in argv and b"pat_graph.cli" in argv and cwd == str(folder)
        if ours and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def held_leases(db: Path) -> int:
    with sqlite3.connect(db, timeout=10) as con:
        return con.execute(
            "SELECT count(*) FROM claims WHERE state = 'todo' AND worker IS NOT NULL"
        ).fetchone()[0]


def done(db: Path) -> int:
    with sqlite3.connect(db, timeout=10) as con:
        return con.execute("SELECT count(*) FROM results WHERE status = 'done'").fetchone()[0]


def stop_while_frozen(
    folder: Path, args: list[str], sig: int, *, kill_parent: bool = False
) -> tuple[subprocess.Popen[str], str, float, GatedStub]:
    """Start `args`, wait until the stub froze with requests in flight, send `sig`; returns
    the process, its stderr, the seconds it took to exit, and the (released) stub."""
    stub = GatedStub(freeze_after=1).start()
    write_config(folder / "pat.toml", stub.base_url)
    proc = subprocess.Popen(
        cmd(*args), cwd=folder, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert stub.frozen.wait(90), "the run never reached the model"
        time.sleep(0.5)  # let the other in-flight requests arrive too
        sent = time.monotonic()
        proc.send_signal(signal.SIGKILL if kill_parent else sig)
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc, err, took, stub


def assert_nothing_goes_on(folder: Path, stub: GatedStub) -> None:
    """After the stop: no worker left, and released requests lead to no new ones."""
    deadline = time.monotonic() + PROMPT_S
    while worker_pids(folder) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert worker_pids(folder) == []
    before = len(stub.requests)
    stub.release()
    time.sleep(2.0)
    assert len(stub.requests) == before, "something went on sending requests after the stop"
    assert held_leases(folder / "runs.sqlite") == 0


def finish_with_the_same_command(folder: Path, args: list[str]) -> None:
    with GatedStub() as stub:
        write_config(folder / "pat.toml", stub.base_url)
        again = subprocess.run(cmd(*args), cwd=folder, env=env(), capture_output=True,
                               text=True, timeout=180)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert done(folder / "runs.sqlite") == N_TASKS


def one_stop_line(err: str, word: str) -> None:
    lines = [line for line in err.splitlines() if "stopped" in line or "interrupted" in line]
    assert len(lines) == 1, err
    assert lines[0].startswith(word) and "run the same command again to continue" in lines[0]
    assert "--run r" in lines[0] and "Traceback" not in err


@pytest.mark.parametrize(
    ("sig", "workers", "code", "word"),
    [
        (signal.SIGTERM, 1, 143, "stopped (SIGTERM)"),
        (signal.SIGTERM, 2, 143, "stopped (SIGTERM)"),
        (signal.SIGINT, 2, 130, "interrupted"),  # plain `run` on SIGINT: test_resume.py
    ],
    ids=["term-run", "term-workers", "int-workers"],
)
def test_a_signal_stops_the_run_and_all_its_workers_promptly(
    tmp_path: Path, sig: int, workers: int, code: int, word: str
) -> None:
    write_benchmark(tmp_path / "bench.jsonl", N_TASKS)
    args = run_args("--workers", str(workers))
    proc, err, took, stub = stop_while_frozen(tmp_path, args, sig)
    try:
        assert proc.returncode == code, err
        assert took < PROMPT_S, f"took {took:.1f}s to stop"
        one_stop_line(err, word)
        assert_nothing_goes_on(tmp_path, stub)
        assert done(tmp_path / "runs.sqlite") < N_TASKS  # it really stopped early
    finally:
        stub.stop()
    if sig == signal.SIGTERM:
        finish_with_the_same_command(tmp_path, args)


def test_sigterm_stops_a_joined_worker(tmp_path: Path) -> None:
    write_benchmark(tmp_path / "bench.jsonl", N_TASKS)
    # The run must exist first: start it and stop it early, then let a worker join it.
    proc, err, _, stub = stop_while_frozen(tmp_path, run_args(), signal.SIGTERM)
    stub.release()
    stub.stop()
    assert proc.returncode == 143, err
    args = ["worker", "--db", "runs.sqlite", "--run", "r", "--concurrency", "2",
            "--sandbox", "process", "--no-progress"]  # fmt: skip
    proc, err, took, stub = stop_while_frozen(tmp_path, args, signal.SIGTERM)
    try:
        assert proc.returncode == 143, err
        assert took < PROMPT_S
        one_stop_line(err, "stopped (SIGTERM)")
        assert_nothing_goes_on(tmp_path, stub)
    finally:
        stub.stop()


def test_workers_stop_when_their_parent_is_killed(tmp_path: Path) -> None:
    """SIGKILL leaves no chance to clean up: the kernel's parent-death signal stops the workers,
    which still save their checkpoints and give their leases back."""
    write_benchmark(tmp_path / "bench.jsonl", N_TASKS)
    args = run_args("--workers", "2")
    proc, _, _, stub = stop_while_frozen(tmp_path, args, signal.SIGKILL, kill_parent=True)
    try:
        assert proc.returncode == -signal.SIGKILL
        assert_nothing_goes_on(tmp_path, stub)
    finally:
        stub.stop()
    finish_with_the_same_command(tmp_path, args)


async def test_a_cancelled_reference_run_leaves_no_process() -> None:
    """The judge's reference runs (trusted canonical code) end with the task that started them:
    a Ctrl-C or SIGTERM cancels that task, and the interpreter must not run on."""
    import asyncio

    from pat_graph.benchmarks.reference import _run_isolated

    def reference_children() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except (OSError, IndexError):
                continue
            if int(stat[1]) == os.getpid() and stat[0] not in "ZX" and argv[-2:] == [b"-", b""]:
                found.append(int(entry.name))
        return found

    job = asyncio.ensure_future(_run_isolated("import time\ntime.sleep(60)\n", 120))
    deadline = time.monotonic() + 20
    while not reference_children() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert reference_children(), "the reference run never started"
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    deadline = time.monotonic() + 5
    while reference_children() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert reference_children() == []
