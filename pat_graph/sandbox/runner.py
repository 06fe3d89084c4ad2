"""Host side shared by every backend: start the harness, enforce the wall clock, read verdicts.

Why one sandboxed process per candidate: starting an isolated interpreter costs tens of
milliseconds, forking one costs about one; the harness forks per test and keeps per-test timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import secrets
import signal
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pat_graph.sandbox.base import ProblemKind, Test, TestOutcome, TestReport
from pat_graph.sandbox.compare import stdio_mismatch, value_mismatch

HARNESS = Path(__file__).with_name("_harness.py")
_RECORDS_CAP = 8 * 1024 * 1024
_START_SLACK_S = 10.0


@dataclass(frozen=True)
class Limits:
    """Per-test resource limits, enforced with rlimits inside the sandbox."""

    memory_mb: int = 2048
    fsize_mb: int = 64
    nproc: int = 256
    output_bytes: int = 4 * 1024 * 1024
    tmpfs_mb: int = 256


_semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def parallel_slots() -> asyncio.Semaphore:
    """At most one sandbox per core runs at a time (per event loop: semaphores are loop-bound)."""
    loop = asyncio.get_running_loop()
    sem = _semaphores.get(loop)
    if sem is None:
        sem = asyncio.Semaphore(os.cpu_count() or 1)
        _semaphores[loop] = sem
    return sem


def build_job(
    code: str,
    tests: Sequence[Test],
    kind: ProblemKind,
    timeout_s: float,
    entry_point: str | None,
    limits: Limits,
    pidns: bool,
) -> dict[str, Any]:
    return {
        "code": code,
        "tests": [t if isinstance(t, str) else dict(t) for t in tests],
        "kind": kind,
        "entry_point": entry_point,
        "timeout_s": float(timeout_s),
        "cpu_s": max(1, math.ceil(timeout_s)),
        "memory_bytes": limits.memory_mb * 1024 * 1024,
        "fsize_bytes": limits.fsize_mb * 1024 * 1024,
        "nproc": limits.nproc,
        "output_bytes": limits.output_bytes,
        "pidns": pidns,
    }


async def run_harness(
    argv: Sequence[str],
    job: dict[str, Any],
    *,
    env: Mapping[str, str],
    cwd: str | None = None,
) -> tuple[dict[int, dict[str, Any]], str]:
    """Start the harness, feed it the job and collect its authenticated records by test index."""
    token = secrets.token_hex(16)
    payload = token.encode() + b"\n" + json.dumps(job).encode()
    n = len(job["tests"])
    wall = _START_SLACK_S + n * (job["timeout_s"] + 1.0)
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,
    )
    records: dict[int, dict[str, Any]] = {}
    stderr = b""
    try:
        out, stderr = await asyncio.wait_for(_talk(proc, payload), timeout=wall)
    except TimeoutError:
        out = b""
    finally:
        _kill_group(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
    for line in out.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and rec.get("tok") == token and isinstance(rec.get("i"), int):
            records.setdefault(rec["i"], rec)
    return records, stderr.decode("utf-8", "replace")[-2000:]


async def _talk(proc: asyncio.subprocess.Process, payload: bytes) -> tuple[bytes, bytes]:
    assert proc.stdin and proc.stdout and proc.stderr
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.write(payload)
        await proc.stdin.drain()
        proc.stdin.close()
    out, err = await asyncio.gather(_read_capped(proc.stdout), _read_capped(proc.stderr, 65536))
    await proc.wait()
    return out, err


async def _read_capped(stream: asyncio.StreamReader, cap: int = _RECORDS_CAP) -> bytes:
    buf = bytearray()
    while chunk := await stream.read(65536):
        if len(buf) < cap:
            buf += chunk[: cap - len(buf)]
    return bytes(buf)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def to_report(
    tests: Sequence[Test],
    kind: ProblemKind,
    records: Mapping[int, Mapping[str, Any]],
    stderr: str,
) -> TestReport:
    """Turn harness records into outcomes; a test without a record is an error, never a pass."""
    outcomes: list[TestOutcome] = []
    for i, test in enumerate(tests):
        rec = records.get(i)
        if rec is None:
            why = "sandbox gave no result for this test (killed or wall-clock limit reached)"
            tail = stderr.strip().splitlines()[-1:] if stderr.strip() else []
            outcomes.append(TestOutcome("error", why + (f": {tail[0][:200]}" if tail else "")))
            continue
        outcomes.append(_outcome(test, kind, rec))
    return TestReport(tuple(outcomes))


def _outcome(test: Test, kind: ProblemKind, rec: Mapping[str, Any]) -> TestOutcome:
    status, message = str(rec.get("status", "error")), str(rec.get("message", ""))
    duration = float(rec.get("duration_s", 0.0))
    if kind == "stdio" and status == "pass" and isinstance(test, Mapping):
        mismatch = stdio_mismatch(str(rec.get("stdout", "")), str(test.get("output", "")))
        if mismatch:
            status, message = "fail", mismatch
    elif kind == "stdio" and status == "error" and not message:
        err = str(rec.get("stderr", "")).strip().splitlines()
        message = f"exit code {rec.get('exit')}" + (f": {err[-1][:300]}" if err else "")
    elif (
        kind == "function" and status == "pass" and isinstance(test, Mapping) and "expected" in test
    ):
        mismatch = value_mismatch(rec.get("value"), test["expected"], test.get("atol"))
        if mismatch:
            status, message = "fail", mismatch
    if status not in ("pass", "fail", "timeout", "error"):
        status, message = "error", f"unknown status {status!r}"
    return TestOutcome(status, message, duration)  # type: ignore[arg-type]
