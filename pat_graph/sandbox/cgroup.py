"""Aggregate caps on one sandbox worker: processes, memory and CPU over everything it runs.

Per-process rlimits do not add up: ten processes each under RLIMIT_AS take ten times the memory,
sixty `setsid()` processes take sixty times the CPU share of one, and RLIMIT_NPROC does not bind
root. A control group does: every process a worker ever forks is in its group, the kernel counts
them together, and a process cannot leave the group without write access to the cgroup tree
(the sandbox has no `/sys`, and its candidates run as an unprivileged uid).

Each worker gets one group (cgroup v1: one directory per controller; v2: one directory) with
`pids.max`, a memory limit with no swap on top, and a CPU quota of one CPU at the default weight,
so a candidate can never take more than one core however it splits itself. Where the caller may
not create groups (not root, no delegated v2 subtree) `create` returns None and the per-process
limits still apply; `docs/sandbox.md` says what is lost then.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

_ROOT = Path("/sys/fs/cgroup")
_V1_CONTROLLERS = ("pids", "memory", "cpu")
_PERIOD_US = 100_000
_ids = itertools.count()


@dataclass
class Group:
    """One worker's group: a directory per cgroup v1 controller, or a single v2 directory."""

    dirs: list[Path]
    v2: bool
    controllers: tuple[str, ...] = ()
    removed: bool = field(default=False)

    @property
    def path(self) -> Path:
        """The directory holding `pids.max` (the pids controller's, on v1)."""
        return self.dirs[0]

    def exists(self) -> bool:
        return any(d.exists() for d in self.dirs)

    def pids(self) -> list[int]:
        found: set[int] = set()
        for d in self.dirs:
            with contextlib.suppress(OSError, ValueError):
                found.update(int(p) for p in (d / "cgroup.procs").read_text().split())
        return sorted(found)

    def kill(self, spare: int | Collection[int] | None = None, timeout_s: float = 5.0) -> None:
        """SIGKILL every process in the group except those in `spare`, until none is left (a
        process forking while we kill is caught on the next pass; pids.max bounds its forks)."""
        keep = {spare} if isinstance(spare, int) else set(spare or ())
        deadline = time.monotonic() + timeout_s
        while True:
            victims = [p for p in self.pids() if p not in keep]
            if not victims or time.monotonic() > deadline:
                return
            for pid in victims:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def remove(self, timeout_s: float = 5.0) -> None:
        """Kill everything still inside (processes that left their session included), then
        remove the directories once the kernel has let go of them."""
        if self.removed:
            return
        if self.v2:
            with contextlib.suppress(OSError):
                (self.path / "cgroup.kill").write_text("1")
        self.kill(timeout_s=timeout_s)
        deadline = time.monotonic() + timeout_s
        for d in self.dirs:
            while True:
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    self.kill(timeout_s=0.1)
                    time.sleep(0.01)
        self.removed = True


def _v2_root() -> Path | None:
    controllers = _ROOT / "cgroup.controllers"
    if not controllers.is_file() or "pids" not in controllers.read_text().split():
        return None
    with contextlib.suppress(OSError):
        enabled = (_ROOT / "cgroup.subtree_control").read_text().split()
        missing = [c for c in ("pids", "memory", "cpu") if c not in enabled]
        if missing:
            (_ROOT / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in missing))
    return _ROOT


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def _stale_dirs() -> list[Path]:
    """Groups of pat-graph processes that died without cleaning up (killed with SIGKILL)."""
    found = []
    for base in [_ROOT, *(_ROOT / c for c in _V1_CONTROLLERS)]:
        with contextlib.suppress(OSError):
            for d in base.glob("pat-graph-*-*"):
                owner = d.name.split("-")[2]
                if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                    found.append(d)
    return found


_swept = False


def sweep_stale() -> None:
    """Kill what a dead pat-graph left in its groups and remove them; run once per process."""
    global _swept
    if _swept:
        return
    _swept = True
    for d in _stale_dirs():
        Group([d], v2=d.parent == _ROOT).remove(timeout_s=1.0)


def create(
    pids_max: int, memory_bytes: int | None = None, cpus: float | None = None
) -> Group | None:
    """A fresh group for one worker, or None where this machine does not let us make one.

    The pids cap is required (without it the group is pointless against a fork bomb run as
    root); memory and CPU are applied where their controller is available.
    """
    sweep_stale()
    name = f"pat-graph-{os.getpid()}-{next(_ids)}"
    v2 = _v2_root()
    if v2 is not None:
        group = Group([v2 / name], v2=True)
        try:
            group.path.mkdir()
        except OSError:
            return None
        if not _write(group.path / "pids.max", str(pids_max)):
            group.remove()
            return None
        applied = ["pids"]
        if memory_bytes and _write(group.path / "memory.max", str(memory_bytes)):
            _write(group.path / "memory.swap.max", "0")
            applied.append("memory")
        if cpus and _write(group.path / "cpu.max", f"{int(cpus * _PERIOD_US)} {_PERIOD_US}"):
            applied.append("cpu")
        group.controllers = tuple(applied)
        return group
    if not (_ROOT / "pids" / "cgroup.procs").is_file():
        return None
    dirs: list[Path] = []
    applied = []
    for controller in _V1_CONTROLLERS:
        base = _ROOT / controller
        if not (base / "cgroup.procs").is_file():
            continue
        if (controller == "memory" and not memory_bytes) or (controller == "cpu" and not cpus):
            continue
        path = base / name
        try:
            path.mkdir()
        except OSError:
            continue
        dirs.append(path)
        if controller == "pids":
            ok = _write(path / "pids.max", str(pids_max))
        elif controller == "memory":
            ok = _write(path / "memory.limit_in_bytes", str(memory_bytes))
            # Without this, memory over the limit would move to swap instead of failing.
            _write(path / "memory.memsw.limit_in_bytes", str(memory_bytes))
        else:
            ok = _write(path / "cpu.cfs_period_us", str(_PERIOD_US)) and _write(
                path / "cpu.cfs_quota_us",
                str(int(cpus * _PERIOD_US)),  # type: ignore[operator]
            )
            _write(path / "cpu.shares", "1024")
        if ok:
            applied.append(controller)
        elif controller == "pids":
            Group(dirs, v2=False).remove()
            return None
    if "pids" not in applied:
        Group(dirs, v2=False).remove()
        return None
    return Group(dirs, v2=False, controllers=tuple(applied))


def join_fn(group: Group):
    """A `preexec_fn` moving the new process into the group before it execs, so everything it
    ever forks is counted. Only raw os calls: it runs in the child between fork and exec."""
    targets = [os.fsencode(d / "cgroup.procs") for d in group.dirs]

    def join() -> None:
        for target in targets:
            fd = os.open(target, os.O_WRONLY)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)

    return join


def kill_and_remove(group: Group, timeout_s: float = 5.0) -> None:
    """Kept for callers of the first version: `group.remove()`."""
    group.remove(timeout_s)
