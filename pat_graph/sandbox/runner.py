"""Host side shared by every backend: the job sent to the harness and the report made of it.

Comparisons for call-style and stdio tests happen here, on plain data the harness relayed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pat_graph.sandbox.base import DEFAULT_TIMEOUT_S, ProblemKind, Test, TestOutcome, TestReport
from pat_graph.sandbox.compare import stdio_mismatch, value_mismatch

HARNESS = Path(__file__).with_name("_harness.py")


# Processes of a worker that are not the candidate's: bwrap, the namespace init, the harness and
# its per-test fork. The pids cgroup cap is the candidate's `nproc` plus these.
WORKER_OVERHEAD_PIDS = 8


@dataclass(frozen=True)
class Limits:
    """Per-test resource limits, enforced with rlimits inside the sandbox."""

    memory_mb: int = 2048
    fsize_mb: int = 64
    nproc: int = 64  # ample for generated code; a fork bomb then spins 64 processes, not 256
    output_bytes: int = 4 * 1024 * 1024
    tmpfs_mb: int = 256


def build_job(
    code: str,
    tests: Sequence[Test],
    kind: ProblemKind,
    timeout_s: float,
    entry_point: str | None,
    limits: Limits,
    pidns: bool,
    workdir: str,
    scratch: Sequence[str] = (),
) -> dict[str, Any]:
    return {
        "workdir": workdir,
        "scratch": list(scratch),  # more directories to empty after the candidate
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


def to_report(
    tests: Sequence[Test],
    kind: ProblemKind,
    records: Mapping[int, Mapping[str, Any]],
) -> TestReport:
    """Turn harness records into outcomes; a test without a record is an error, never a pass."""
    outcomes: list[TestOutcome] = []
    for i, test in enumerate(tests):
        rec = records.get(i)
        if rec is None:
            why = "sandbox gave no result for this test (killed or wall-clock limit reached)"
            outcomes.append(TestOutcome("error", why))
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


class PooledSandbox:
    """What both backends share: a pool of warm workers fed one job per candidate. Subclasses
    set `pool` and `limits`, and say where a job runs (PID namespace, work dir, scratch dirs)."""

    name = "pooled"
    pool: Any
    limits: Limits
    pidns: bool = False
    workdir: str = "."
    scratch: tuple[str, ...] = ()

    async def run_tests(
        self,
        code: str,
        tests: Sequence[Test],
        *,
        kind: ProblemKind = "function",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        entry_point: str | None = None,
    ) -> TestReport:
        if not tests:
            return TestReport(())
        job = build_job(
            code, tests, kind, timeout_s, entry_point, self.limits, self.pidns, self.workdir,
            scratch=self.scratch,
        )  # fmt: skip
        return to_report(tests, kind, await self.pool.run(job))
