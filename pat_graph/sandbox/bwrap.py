"""Default Linux backend: bubblewrap namespaces around the same harness the process backend uses.

Isolation: no network, a tmpfs root holding only read-only system and interpreter directories,
private size-capped tmpfs at /sandbox (the work dir) and /tmp as the only writable places, both
emptied between candidates, empty environment, new PID/IPC/UTS namespaces, no capabilities,
dies with its parent.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pat_graph.sandbox.process import scrubbed_env
from pat_graph.sandbox.runner import (
    HARNESS,
    WORKER_OVERHEAD_PIDS,
    Limits,
    PooledSandbox,
)
from pat_graph.sandbox.worker import Worker, WorkerPool

SANDBOX_HARNESS = "/opt/pat/harness.py"
# The candidate's cwd, HOME and TMPDIR: its own tmpfs at a path no host directory is bound
# under (a project living in /tmp would otherwise show its venv's mount point in the work dir).
WORKDIR = "/sandbox"
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
_ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/nsswitch.conf")


def _python_dirs(python: str) -> list[str]:
    """Directories the interpreter needs: its venv, the base install, and any symlink targets."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    exe = Path(python)
    dirs.add(str(exe.parent))
    dirs.add(str(exe.resolve().parent.parent))
    keep = [d for d in sorted(dirs) if d and os.path.isdir(d)]
    return [d for d in keep if not any(d != o and d.startswith(o + os.sep) for o in keep)]


def bwrap_argv(python: str, limits: Limits, bwrap: str = "bwrap") -> list[str]:
    argv = [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--clearenv",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(limits.tmpfs_mb * 1024 * 1024),
        "--tmpfs",
        WORKDIR,
        # /tmp is a tmpfs of its own (a venv living under the host's /tmp is bound inside it);
        # the harness empties it between candidates like the work dir.
        "--size",
        str(limits.tmpfs_mb * 1024 * 1024),
        "--tmpfs",
        "/tmp",
    ]
    for d in _SYSTEM_DIRS:
        if os.path.islink(d):
            argv += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            argv += ["--ro-bind", d, d]
    for f in _ETC_FILES:
        if os.path.exists(f):
            argv += ["--ro-bind", f, f]
    for d in _python_dirs(python):
        if not any(d == s or d.startswith(s + os.sep) for s in _SYSTEM_DIRS):
            argv += ["--ro-bind", d, d]
    argv += ["--ro-bind", str(HARNESS), SANDBOX_HARNESS, "--chdir", WORKDIR]
    for key, value in scrubbed_env(WORKDIR).items():
        argv += ["--setenv", key, value]
    argv += ["--", python, "-I", "-B", SANDBOX_HARNESS]
    return argv


@functools.cache
def bwrap_available(bwrap: str = "bwrap") -> bool:
    """Probe once: bwrap installed and able to start our interpreter with the full argument set."""
    path = shutil.which(bwrap)
    if not path:
        return False
    argv = bwrap_argv(sys.executable, Limits(), path)
    argv = [*argv[: argv.index("--")], "--", sys.executable, "-I", "-c", "print('ok')"]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=20, env={}, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == b"ok"


class BwrapSandbox(PooledSandbox):
    """Warm bwrap-isolated interpreters; each verifies one candidate at a time, forking per test."""

    name = "bwrap"
    pidns = True
    workdir = WORKDIR
    scratch = ("/tmp",)

    def __init__(
        self,
        limits: Limits | None = None,
        python: str | None = None,
        bwrap: str = "bwrap",
        workers: int | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.python = python or sys.executable
        self.bwrap = shutil.which(bwrap) or bwrap
        self._argv = bwrap_argv(self.python, self.limits, self.bwrap)
        # bwrap, its namespace init and the harness count against the cap too.
        pids_max = self.limits.nproc + WORKER_OVERHEAD_PIDS
        self.pool = WorkerPool(lambda: Worker(self._argv, {}, pids_max=pids_max), workers)
