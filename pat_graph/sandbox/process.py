"""Fallback backend: a plain subprocess with rlimits, a scrubbed environment and its own session.

Weaker than bwrap (no namespaces: it can see the network and the file system with the caller's
rights), which is why choosing it automatically prints a loud warning.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import signal
import sys
import tempfile

from pat_graph.sandbox.runner import HARNESS, WORKER_OVERHEAD_PIDS, Limits, PooledSandbox
from pat_graph.sandbox.worker import Worker, WorkerPool

MARKER_ENV = "PAT_SANDBOX_RUN"


def scrubbed_env(home: str, marker: str | None = None) -> dict[str, str]:
    """Only what Python needs: no API keys or other secrets of the caller survive."""
    env = {
        "HOME": home,
        "TMPDIR": home,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    if marker:
        env[MARKER_ENV] = marker
    return env


class ProcessSandbox(PooledSandbox):
    """Warm isolated-mode interpreters, each in its own session and private temp dir."""

    name = "process"

    def __init__(
        self, limits: Limits | None = None, python: str | None = None, workers: int | None = None
    ) -> None:
        self.limits = limits or Limits()
        self.python = python or sys.executable
        self.pool = WorkerPool(self._start_worker, workers)

    def _start_worker(self) -> Worker:
        work = tempfile.mkdtemp(prefix="pat-sbx-")
        marker = secrets.token_hex(8)
        return Worker(
            [self.python, "-I", "-B", str(HARNESS)],
            scrubbed_env(work, marker),
            cwd=work,
            after_job=functools.partial(_kill_marked, marker),
            on_close=lambda: (_kill_marked(marker, None), shutil.rmtree(work, ignore_errors=True)),
            pids_max=self.limits.nproc + WORKER_OVERHEAD_PIDS,
        )


def _kill_marked(marker: str, worker: Worker | None) -> None:
    """Kill escapees (setsid + double fork) that still carry this worker's marker in their env."""
    needle = f"{MARKER_ENV}={marker}".encode()
    spare = worker.proc.pid if worker is not None else -1
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == spare:
            continue
        with contextlib.suppress(OSError), open(f"/proc/{pid}/environ", "rb") as fh:
            if needle in fh.read().split(b"\0"):
                os.kill(int(pid), signal.SIGKILL)
