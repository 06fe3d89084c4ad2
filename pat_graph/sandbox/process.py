"""Fallback backend: a plain subprocess with rlimits, an empty environment and its own session.

It does NOT isolate: no namespaces, so a candidate sees the network, the file system with the
rights of its uid, and other processes. Choosing it automatically prints a loud warning, and
constructing it logs one. What it does guarantee is in `docs/sandbox.md`: no caller
environment variables, every descendant killed after each candidate (setsid or not), limits,
and, when pat-graph runs as root, candidates that run as an unprivileged uid of their own (so
even `rm -rf /` from a candidate can only touch what every user may touch). That needs an
interpreter such a uid can read: when the project's own lives somewhere only root can enter
(a pyenv build in /root), the system `python3` runs the harness instead, and where there is none
the backend refuses to start rather than run candidates as root.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

from pat_graph.errors import SandboxError
from pat_graph.sandbox.runner import HARNESS, WORKER_OVERHEAD_PIDS, Limits, PooledSandbox
from pat_graph.sandbox.worker import Worker, WorkerPool

MARKER_ENV = "PAT_SANDBOX_RUN"
log = logging.getLogger("pat_graph.sandbox")
PROCESS_WARNING = (
    "pat-graph: the 'process' sandbox does not isolate generated code: it runs with your uid's "
    "access to files, network and other processes. Use bwrap for code you do not trust."
)
_warned = False


def scrubbed_env(home: str, marker: str | None = None) -> dict[str, str]:
    """Nothing of the caller's environment: only a home, a temp dir, a PATH and a locale.
    (The marker finds escaped processes where no cgroup is available.)"""
    env = {
        "HOME": home,
        "TMPDIR": home,
        "PATH": "/usr/bin:/bin",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if marker:
        env[MARKER_ENV] = marker
    return env


# Tried in order when we are root and the caller's interpreter is not readable by other users.
SYSTEM_PYTHONS = ("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3")


def readable_by_all(path: str) -> bool:
    """Whether any uid can read `path`: every directory above it searchable by others, the path
    itself readable (and searchable, for a directory) by others."""
    real = os.path.realpath(path)
    parts = real.split("/")
    try:
        for i in range(2, len(parts)):
            if not os.stat("/".join(parts[:i])).st_mode & stat.S_IXOTH:
                return False
        mode = os.stat(real).st_mode
    except OSError:
        return False
    need = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    return mode & need == need


def _runtime_paths(python: str) -> list[str] | None:
    """The interpreter binary and the stdlib directories a candidate may import from."""
    probe = (
        "import json, os, sys, sysconfig\n"
        "print(json.dumps([sys.executable, os.path.dirname(os.__file__),"
        " sysconfig.get_path('platstdlib'), os.path.join(os.path.dirname(os.__file__),"
        " 'lib-dynload')]))"
    )
    try:
        done = subprocess.run(
            [python, "-I", "-S", "-c", probe], capture_output=True, timeout=30, check=True, env={}
        )
        paths = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return [p for p in paths if p and os.path.exists(p)]


@functools.cache
def candidate_python(python: str) -> str:
    """The interpreter the harness runs: the caller's, unless we are root and an unprivileged
    candidate uid could not read it; then a system python3 it can read. None readable: refuse."""
    if os.geteuid() != 0:
        return python
    for option in (python, *SYSTEM_PYTHONS):
        paths = _runtime_paths(option) if os.path.exists(option) else None
        if paths and all(readable_by_all(p) for p in paths):
            if option != python:
                log.info(
                    "process sandbox: %s is not readable by other users; using %s", python, option
                )
            return option
    raise SandboxError(
        "the 'process' sandbox runs as root here and found no Python interpreter an "
        f"unprivileged user can read ({python} is not); it will not run candidates as root. "
        "Install python3 from the system packages or use the bwrap sandbox."
    )


def _hide_host() -> None:
    """Make this (host) process non-dumpable: a candidate running as the same uid can then no
    longer read its environment (API keys), memory or open fds through /proc/<pid>/. The cost:
    no core dumps of pat-graph, and attaching a debugger needs root."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE=0


class ProcessSandbox(PooledSandbox):
    """Warm isolated-mode interpreters, each in its own session, cgroup and private temp dir."""

    name = "process"

    def __init__(
        self, limits: Limits | None = None, python: str | None = None, workers: int | None = None
    ) -> None:
        global _warned
        if not _warned:
            _warned = True
            log.warning(PROCESS_WARNING)
        _hide_host()
        self.limits = limits or Limits()
        self.python = candidate_python(python or sys.executable)
        self.pool = WorkerPool(self._start_worker, workers)

    def _start_worker(self) -> Worker:
        work = tempfile.mkdtemp(prefix="pat-sbx-")
        marker = secrets.token_hex(8)
        memory = (self.limits.memory_mb + 128) * 1024 * 1024
        # The harness empties this directory, and only this one, after each candidate.
        config = json.dumps({"isolate": False, "wipe_dir": work})
        worker = Worker(
            [self.python, "-I", "-B", str(HARNESS), config],
            scrubbed_env(work, marker),
            cwd=work,
            on_close=lambda: (_kill_marked(marker, None), shutil.rmtree(work, ignore_errors=True)),
            pids_max=self.limits.nproc + WORKER_OVERHEAD_PIDS,
            memory_bytes=memory,
            cpus=1.0,
        )
        worker.after_job = functools.partial(_after_job, marker)
        return worker


def _after_job(marker: str, worker: Worker) -> None:
    """Every process of the finished candidate dies: the whole cgroup but the harness (a
    process cannot leave it: root candidates run as their own uid where the interpreter allows,
    see docs), and, without a cgroup, every process still carrying the worker's marker."""
    if worker.cgroup is not None:
        worker.cgroup.kill(spare=worker.spare)
    else:
        _kill_marked(marker, worker)


def _kill_marked(marker: str, worker: Worker | None) -> None:
    """Kill escapees (setsid + double fork) that still carry this worker's marker in their env."""
    needle = f"{MARKER_ENV}={marker}".encode()
    spare = worker.spare if worker is not None else set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) in spare:
            continue
        with contextlib.suppress(OSError), open(f"/proc/{pid}/environ", "rb") as fh:
            if needle in fh.read().split(b"\0"):
                os.kill(int(pid), signal.SIGKILL)
