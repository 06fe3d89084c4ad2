"""Run untrusted candidate code against tests, isolated, in parallel, with honest verdicts.

``run_tests`` picks the best backend that works on this machine (bwrap, else process) once per
process; pass ``sandbox="bwrap" | "process"`` or a ``Sandbox`` instance to force one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pat_graph.sandbox.base import (
    DEFAULT_TIMEOUT_S,
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
    box = sandbox if isinstance(sandbox, Sandbox) else get_sandbox(sandbox or "auto")
    return await box.run_tests(code, tests, kind=kind, timeout_s=timeout_s, entry_point=entry_point)


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
