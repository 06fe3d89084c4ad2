"""Shared pieces of the hostile-isolation suites: the bwrap sandbox they attack, and the honest
control every attack test runs afterwards (an attack that breaks the sandbox for the next,
correct candidate has succeeded too)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

import pytest

from pat_graph.sandbox import BwrapSandbox, Sandbox, bwrap_available

HONEST = "def f():\n    return 42\n"
TEST = "assert f() == 42"


def require_bwrap() -> None:
    """In CI (bubblewrap installed by .ci/run) a missing bwrap fails these tests; elsewhere
    they are skipped."""
    if bwrap_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("bwrap is installed by .ci/run but cannot run here")
    pytest.skip("bwrap cannot run on this machine")


def new_box(**kwargs) -> BwrapSandbox:
    require_bwrap()
    return BwrapSandbox(**kwargs)


async def assert_honest_passes(box: Sandbox) -> None:
    report = await box.run_tests(HONEST, [TEST], timeout_s=5.0)
    assert report.passed, f"the honest control failed after the attack: {report}"


async def attack_fails(box: Sandbox, code: str, test: str = TEST, timeout_s: float = 3.0) -> str:
    """Run an attack whose test passes only if the attack worked; return the failure message."""
    report = await box.run_tests(code, [test], timeout_s=timeout_s)
    assert not report.passed, f"attack succeeded: {report}"
    await assert_honest_passes(box)
    return report.outcomes[0].message


@contextlib.contextmanager
def jobs_sent(box: BwrapSandbox) -> Iterator[list[str]]:
    """Every job the box's pool receives, as JSON text, while the block runs (a spy)."""
    seen: list[str] = []
    real_run = box.pool.run

    async def spy(job):  # type: ignore[no-untyped-def]
        seen.append(json.dumps(job))
        return await real_run(job)

    box.pool.run = spy  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        box.pool.run = real_run  # type: ignore[method-assign]
