"""Host side shared by every backend: the job sent to the harness and the report made of it.

Comparisons for call-style and stdio tests happen here, on plain data the harness relayed.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pat_graph.sandbox.base import (
    DEFAULT_TIMEOUT_S,
    Call,
    CallOutcome,
    ProblemKind,
    Test,
    TestOutcome,
    TestReport,
)
from pat_graph.sandbox.harness import proxy
from pat_graph.sandbox.split import assemble, plan_tests

# The in-sandbox harness: a directory of stdlib-only modules, started through its __main__.py.
HARNESS_DIR = Path(__file__).with_name("harness")
HARNESS = HARNESS_DIR / "__main__.py"


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


# Call mode: the largest serialised value one call may return, and what one job may send back.
CALL_VALUE_BYTES = 2 * 1024 * 1024
CALL_RECORDS_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class CallOptions:
    """How a batch of calls runs beyond the per-call limit: the judge stops at the first failed
    input and caps a tier's total time as EvalPlus does; consensus and in-loop tests run all."""

    stop_on_error: bool = False
    budget_s: float | None = None  # total for all calls; None: the sum of per-call limits


def _call_entry(call: Call, kind: ProblemKind) -> Any:
    if kind == "stdio":
        return str(call.get("input", "")) if isinstance(call, Mapping) else str(call)
    if isinstance(call, str):
        return {"src": call}
    if "fn" in call:
        entry: dict[str, Any] = {"fn": str(call["fn"]), "argv": call["argv"]}
    elif "src" in call:
        entry = {"src": str(call["src"])}
        if call.get("setup"):
            entry["setup"] = str(call["setup"])
    else:
        entry = {"args": list(call.get("args", ())), "kwargs": dict(call.get("kwargs", {}))}
    if call.get("digest"):
        entry["digest"] = True
    return entry


def _call_fields(
    calls: Sequence[Call], kind: ProblemKind, timeout_s: float, options: CallOptions
) -> dict[str, Any]:
    if not calls:
        # Tests that could not be split still have the candidate answer calls (job.py).
        return {
            "calls": [],
            "value_bytes": CALL_VALUE_BYTES,
            "records_cap": CALL_RECORDS_BYTES,
            "calls_cpu_s": max(1, math.ceil(2 * timeout_s)),
            "stop_on_error": False,
        }
    limits = [
        float(c["timeout_s"]) if isinstance(c, Mapping) and "timeout_s" in c else float(timeout_s)
        for c in calls
    ]
    budget = options.budget_s if options.budget_s is not None else sum(limits) + timeout_s
    entries = [_call_entry(c, kind) for c in calls]
    fields: dict[str, Any] = {
        "calls": entries,
        "call_timeouts": limits,
        "budget_s": float(budget),
        "calls_cpu_s": max(1, math.ceil(budget + timeout_s)),
        "stop_on_error": options.stop_on_error,
        "value_bytes": CALL_VALUE_BYTES,
        "records_cap": CALL_RECORDS_BYTES,
        "calls_wall_s": budget + timeout_s + 0.05 * len(calls) + 2.0,
    }
    if any(isinstance(e, dict) and e.get("digest") for e in entries):
        from pat_graph.sandbox import literal

        fields["canonical_src"] = "Any = object\n" + inspect.getsource(literal.canonical_form)
    return fields


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
    calls: Sequence[Call] = (),
    options: CallOptions = CallOptions(),
) -> dict[str, Any]:
    """The job one worker runs: `calls` only produce outputs for the host to compare; `tests`
    (only tests that cannot be split) run in the sandbox's own test processes against proxies
    of the candidate, never next to its code (harness/job.py)."""
    hosted = [_hosted(t, entry_point, timeout_s) for t in tests]
    # A test runs twice (recording, then with answers) and its calls each have the test's limit.
    budget = len(hosted) * (3 * timeout_s + 1.0)
    return {
        **_call_fields(calls, kind, timeout_s, options),
        "tests_budget_s": budget,
        "tests_wall_s": budget + 2.0 if hosted else 0.0,
        "workdir": workdir,
        "scratch": list(scratch),  # more directories to empty after the candidate
        "code": code,
        "tests": hosted,
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


def _hosted(test: Test, entry_point: str | None, timeout_s: float) -> dict[str, Any]:
    """An unsplittable test as the sandbox's test process runs it: its source and the names that
    stand for the candidate's functions there."""
    if not isinstance(test, str):
        raise TypeError("only Python-source tests are left unsplit")
    try:
        names = set(proxy.free_names(test))
    except (SyntaxError, ValueError, RecursionError):
        names = set()  # the test process reports the syntax error
    if entry_point:
        names.add(entry_point)
    return {"source": test, "names": sorted(names), "timeout_s": float(timeout_s)}


def to_report(n_tests: int, records: Mapping[int, Mapping[str, Any]]) -> TestReport:
    """Turn harness records into outcomes; a test without a record is an error, never a pass."""
    outcomes: list[TestOutcome] = []
    for i in range(n_tests):
        rec = records.get(i)
        if rec is None:
            why = "sandbox gave no result for this test (killed or wall-clock limit reached)"
            outcomes.append(TestOutcome("error", why))
            continue
        outcomes.append(_outcome(rec))
    return TestReport(tuple(outcomes))


def to_call_outcomes(
    n_calls: int, records: Mapping[int, Mapping[str, Any]], base: int = 0
) -> tuple[CallOutcome, ...]:
    """One outcome per call; a call without a record is an error (the worker was killed)."""
    out: list[CallOutcome] = []
    for k in range(n_calls):
        rec = records.get(base + k)
        if rec is None:
            why = "sandbox gave no result for this call (killed or wall-clock limit reached)"
            out.append(CallOutcome("error", message=why))
            continue
        out.append(CallOutcome.from_dict(rec))
    return tuple(out)


def _outcome(rec: Mapping[str, Any]) -> TestOutcome:
    """A verdict of the sandbox's test process (tests that could not be split)."""
    status, message = str(rec.get("status", "error")), str(rec.get("message", ""))
    if status not in ("pass", "fail", "timeout", "error"):
        status, message = "error", f"unknown status {status!r}"
    return TestOutcome(status, message, float(rec.get("duration_s", 0.0)))  # type: ignore[arg-type]


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
        options: CallOptions = CallOptions(),
    ) -> TestReport:
        if not tests:
            return TestReport(())
        # Split tests send only their calls; their expected values stay here and are compared
        # on the host. Only tests that cannot be split run (and are judged) inside.
        plan = plan_tests(tests, kind)
        job = build_job(
            code, plan.inside, kind, timeout_s, entry_point, self.limits, self.pidns,
            self.workdir, scratch=self.scratch, calls=plan.calls, options=options,
        )  # fmt: skip
        records = await self.pool.run(job)
        inside = to_report(len(plan.inside), records).outcomes
        outcomes = to_call_outcomes(len(plan.calls), records, base=len(plan.inside))
        return TestReport(tuple(assemble(plan, inside, outcomes)))

    async def run_calls(
        self,
        code: str,
        calls: Sequence[Call],
        *,
        kind: ProblemKind = "function",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        entry_point: str | None = None,
        options: CallOptions = CallOptions(),
    ) -> tuple[CallOutcome, ...]:
        """Each call's output (or error), in order; the host compares them, never the sandbox."""
        if not calls:
            return ()
        job = build_job(
            code, (), kind, timeout_s, entry_point, self.limits, self.pidns, self.workdir,
            scratch=self.scratch, calls=calls, options=options,
        )  # fmt: skip
        return to_call_outcomes(len(calls), await self.pool.run(job))
