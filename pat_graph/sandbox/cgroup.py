"""A hard cap on the processes of one sandbox worker, through the `pids` cgroup controller.

RLIMIT_NPROC does not bind root (and CI runs as root), so a fork bomb could otherwise fill the
machine before the wall-clock limit kills it. Where the caller may create cgroups (root on a
cgroup v1 `pids` hierarchy, or a delegated cgroup v2 subtree) each worker gets its own group with
`pids.max`; elsewhere this quietly does nothing and the other limits still apply.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from pathlib import Path

_V1 = Path("/sys/fs/cgroup/pids")
_V2 = Path("/sys/fs/cgroup")
_ids = itertools.count()


def _root() -> Path | None:
    if (_V1 / "cgroup.procs").is_file():
        return _V1
    controllers = _V2 / "cgroup.controllers"
    if controllers.is_file() and "pids" in controllers.read_text().split():
        return _V2
    return None


def create(pids_max: int) -> Path | None:
    """A fresh group limited to `pids_max` processes, or None where that is not possible."""
    root = _root()
    if root is None:
        return None
    path = root / f"pat-graph-{os.getpid()}-{next(_ids)}"
    try:
        path.mkdir()
        (path / "pids.max").write_text(str(pids_max))
    except OSError:
        with contextlib.suppress(OSError):
            path.rmdir()
        return None
    return path


def join_fn(path: Path):
    """A `preexec_fn` moving the new process into the group before it execs, so everything it
    ever forks is counted. Only raw os calls: it runs in the child between fork and exec."""
    target = os.fsencode(path / "cgroup.procs")

    def join() -> None:
        fd = os.open(target, os.O_WRONLY)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)

    return join


def kill_and_remove(path: Path, timeout_s: float = 5.0) -> None:
    """Kill whatever is still in the group (processes that left the session included), then
    remove it once the kernel has let go of it."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            pids = []
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
