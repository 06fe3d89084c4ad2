"""Issue 19, class 6: system calls no Python test needs are refused by a seccomp filter in every
process that runs candidate code, on bwrap (and on the process backend, same filter).

Each denied call is made for real through `syscall(2)` by a candidate; the host checks the errno
that came back. An honest control next to them starts threads, forks, and runs a subprocess."""

from __future__ import annotations

import errno
import platform

import pytest

from pat_graph.sandbox import BwrapSandbox, ProcessSandbox, bwrap_available
from pat_graph.sandbox.compare import decode_value
from pat_graph.sandbox.harness import seccomp

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not bwrap_available(), reason="bwrap cannot start here"),
    pytest.mark.skipif(
        platform.machine() not in ("x86_64", "aarch64"), reason="filter knows x86_64/aarch64"
    ),
]

COLUMN = 0 if platform.machine() == "x86_64" else 1
CALLER = """
import ctypes
_libc = ctypes.CDLL(None, use_errno=True)
def sys_call(nr, *args):
    ctypes.set_errno(0)
    result = _libc.syscall(nr, *args)
    return result, ctypes.get_errno()
def honest():
    import os, subprocess, threading
    box = []
    t = threading.Thread(target=lambda: box.append(sum(range(1000))))
    t.start(); t.join()
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    _, status = os.waitpid(pid, 0)
    out = subprocess.run(["/bin/echo", "ok"], capture_output=True, text=True).stdout
    return box[0], os.waitstatus_to_exitcode(status), out.strip()
"""
DENIED = sorted(n for n, nrs in seccomp.DENIED.items() if nrs[COLUMN] is not None)
NAMESPACE_FLAGS = {
    "CLONE_NEWUSER": 0x10000000, "CLONE_NEWNS": 0x00020000, "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000, "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWTIME": 0x00000080,
}  # fmt: skip


@pytest.fixture(scope="module", params=["bwrap", "process"])
def box(request):
    return BwrapSandbox(workers=1) if request.param == "bwrap" else ProcessSandbox(workers=1)


async def test_every_denied_call_fails_with_eperm(box) -> None:
    calls = [f"sys_call({seccomp.DENIED[name][COLUMN]}, 0, 0, 0, 0, 0)" for name in DENIED]
    outcomes = await box.run_calls(CALLER, calls, timeout_s=5)
    got = {
        n: decode_value(o.value) if o.ok else o.message
        for n, o in zip(DENIED, outcomes, strict=True)
    }
    assert got == {name: (-1, errno.EPERM) for name in DENIED}


async def test_clone_into_any_new_namespace_fails_and_clone3_is_not_there(box) -> None:
    clone, clone3 = seccomp.CLONE[COLUMN], seccomp.CLONE3[COLUMN]
    calls = [f"sys_call({clone}, {flag} | 17, 0, 0, 0, 0)" for flag in NAMESPACE_FLAGS.values()]
    calls.append(f"sys_call({clone3}, 0, 0)")
    outcomes = await box.run_calls(CALLER, calls, timeout_s=5)
    values = [decode_value(o.value) for o in outcomes]
    assert values[:-1] == [(-1, errno.EPERM)] * len(NAMESPACE_FLAGS)
    assert values[-1] == (-1, errno.ENOSYS)


async def test_honest_program_with_threads_fork_and_subprocess_still_runs(box) -> None:
    (outcome,) = await box.run_calls(CALLER, ["honest()"], timeout_s=10)
    assert outcome.ok, outcome.message
    assert decode_value(outcome.value) == (499500, 7, "ok")


async def test_nested_user_namespace_and_mount_are_refused_through_python(box) -> None:
    """The round-two finding: a candidate making a user namespace and mounting inside it."""
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "def attempt():\n"
        "    made = libc.unshare(0x10000000 | 0x00020000)\n"
        "    err = ctypes.get_errno()\n"
        "    mounted = libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)\n"
        "    return made, err, mounted, ctypes.get_errno()\n"
    )
    (outcome,) = await box.run_calls(code, ["attempt()"], timeout_s=5)
    assert decode_value(outcome.value) == (-1, errno.EPERM, -1, errno.EPERM)
