"""Run untrusted candidate code against tests, isolated, in parallel, with honest verdicts.

``run_tests`` picks the best backend that works on this machine (bwrap, else process) once per
process; pass ``sandbox="bwrap" | "process"`` or a ``Sandbox`` instance to force one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pat_graph.sandbox.base import (
    DEFAULT_TIMEOUT_S,
    Call,
    CallOutcome,
    CallStatus,
    ProblemKind,
    Sandbox,
    Test,
    TestOutcome,
    TestReport,
    TestStatus,
)
from pat_graph.sandbox.bwrap import BwrapSandbox, bwrap_available
from pat_graph.sandbox.choose import SandboxName, get_sandbox
from pat_graph.sandbox.process import ProcessSandbox
from pat_graph.sandbox.runner import Limits

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "BwrapSandbox",
    "Call",
    "CallOutcome",
    "CallStatus",
    "Limits",
    "ProblemKind",
    "ProcessSandbox",
    "Sandbox",
    "SandboxName",
    "Test",
    "TestOutcome",
    "TestReport",
    "TestStatus",
    "bwrap_available",
    "get_sandbox",
    "run_calls",
    "run_calls_sync",
    "run_tests",
    "run_tests_sync",
]


async def run_tests(
    code: str,
    tests: Sequence[Test],
    *,
    kind: ProblemKind = "function",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sandbox: Sandbox | SandboxName | None = None,
    entry_point: str | None = None,
) -> TestReport:
    """Verify ``code`` against ``tests``; failures of the candidate are outcomes, not exceptions."""
    box = _box(sandbox)
    return await box.run_tests(code, tests, kind=kind, timeout_s=timeout_s, entry_point=entry_point)


def _box(sandbox: Sandbox | SandboxName | None) -> Sandbox:
    # A name (or None) picks a backend; anything else is a sandbox object, fakes included.
    if sandbox is None or isinstance(sandbox, str):
        return get_sandbox(sandbox or "auto")
    return sandbox


def run_tests_sync(
    code: str,
    tests: Sequence[Test],
    *,
    kind: ProblemKind = "function",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sandbox: Sandbox | SandboxName | None = None,
    entry_point: str | None = None,
) -> TestReport:
    """Blocking twin of ``run_tests`` for scripts; do not call it from inside a running loop."""
    return asyncio.run(
        run_tests(
            code, tests, kind=kind, timeout_s=timeout_s, sandbox=sandbox, entry_point=entry_point
        )
    )


async def run_calls(
    code: str,
    calls: Sequence[Call],
    *,
    kind: ProblemKind = "function",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sandbox: Sandbox | SandboxName | None = None,
    entry_point: str | None = None,
) -> tuple[CallOutcome, ...]:
    """Run ``code`` on each call and return each output (or error) for the host to compare."""
    box = _box(sandbox)
    return await box.run_calls(code, calls, kind=kind, timeout_s=timeout_s, entry_point=entry_point)


def run_calls_sync(
    code: str,
    calls: Sequence[Call],
    *,
    kind: ProblemKind = "function",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sandbox: Sandbox | SandboxName | None = None,
    entry_point: str | None = None,
) -> tuple[CallOutcome, ...]:
    """Blocking twin of ``run_calls``; do not call it from inside a running loop."""
    return asyncio.run(
        run_calls(
            code, calls, kind=kind, timeout_s=timeout_s, sandbox=sandbox, entry_point=entry_point
        )
    )
