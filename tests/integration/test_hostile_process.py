# ruff: noqa: E501  (attack sources are data strings; wrapping them hurts reading)
"""Issue 11, class 7: what the process backend guarantees although it does not isolate.

No caller environment (API keys) in the candidate, none readable through /proc either; no host
pipe end it can reopen; every descendant killed after the candidate, `setsid` or not; a warning;
and, when pat-graph runs as root, candidates that run as an unprivileged uid of their own.

Every program here is harmless to the host even if the protection it probes were missing (it
reads, or writes only inside a temp dir this test made): the process backend has no namespaces.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import uuid
from pathlib import Path

import pytest

from pat_graph.errors import SandboxError
from pat_graph.sandbox import ProcessSandbox, process

pytestmark = pytest.mark.integration

HONEST = "def f():\n    return 42\n"
TEST = "assert f() == 42"
_ALLOWED_ENV = {"HOME", "TMPDIR", "PATH", "LC_ALL", "PYTHONDONTWRITEBYTECODE", process.MARKER_ENV}


@pytest.fixture(scope="module")
def box():
    return ProcessSandbox(workers=1)


async def _attack_fails(box, code: str, timeout_s: float = 5.0) -> None:
    report = await box.run_tests(code, [TEST], timeout_s=timeout_s)
    assert not report.passed, f"attack succeeded: {report}"
    honest = await box.run_tests(HONEST, [TEST], timeout_s=timeout_s)
    assert honest.passed, honest


async def test_environment_is_empty_of_caller_variables(box, monkeypatch):
    secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    fresh = ProcessSandbox(workers=1)  # its worker starts now, with the key in our environment
    [env] = await fresh.run_calls("import os\n", ["dict(os.environ)"])
    assert env.status == "ok", env
    names = {k for k, _ in env.value["__dict__"]}
    assert names <= _ALLOWED_ENV, names
    assert secret not in str(env.value)


async def test_caller_secrets_are_not_readable_through_proc(box, monkeypatch):
    secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    fresh = ProcessSandbox(workers=1)
    code = (
        "import os\n"
        "def f():\n"
        "    for pid in os.listdir('/proc'):\n"
        "        if not pid.isdigit():\n"
        "            continue\n"
        "        try:\n"
        "            with open(f'/proc/{pid}/environ', 'rb') as fh:\n"
        f"                if {secret!r}.encode() in fh.read():\n"
        "                    return 42\n"
        "        except OSError:\n"
        "            pass\n"
        "    return 0\n"
    )
    await _attack_fails(fresh, code)


async def test_host_and_harness_pipe_ends_cannot_be_reopened(box):
    host = os.getpid()
    code = (
        "import os\n"
        "def f():\n"
        "    got = []\n"
        f"    for pid in (os.getppid(), {host}):\n"
        "        try:\n"
        "            fds = os.listdir(f'/proc/{pid}/fd')\n"
        "        except OSError:\n"
        "            fds = [str(n) for n in range(64)]\n"
        "        for fd in fds:\n"
        "            try:\n"
        "                os.close(os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY | os.O_NONBLOCK))\n"
        "                got.append((pid, fd))\n"
        "            except OSError:\n"
        "                pass\n"
        "    return 42 if got else 0\n"
    )
    await _attack_fails(box, code)


def _marked(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            pass
    return found


async def test_setsid_chain_that_tries_to_leave_its_cgroup_is_killed(box):
    marker = f"pat-escape-{uuid.uuid4().hex}"
    plant = (
        "import os, sys, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        for ctl in ('pids', 'memory', 'cpu', 'unified', ''):\n"
        "            try:\n"
        "                with open(os.path.join('/sys/fs/cgroup', ctl, 'cgroup.procs'), 'w') as fh:\n"
        "                    fh.write(str(os.getpid()))\n"
        "            except OSError:\n"
        "                pass\n"
        f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(120)  # {marker}'])\n"
        "    os._exit(0)\n"
        "time.sleep(0.3)\n" + HONEST
    )
    try:
        first = await box.run_tests(plant, [TEST], timeout_s=5.0)
        assert first.passed, first
        left = _marked(marker)
        assert not left, f"setsid chain survived the candidate: {left}"
    finally:
        for pid in _marked(marker):
            os.kill(pid, signal.SIGKILL)


async def test_constructing_it_warns(monkeypatch, caplog):
    monkeypatch.setattr(process, "_warned", False)
    with caplog.at_level(logging.WARNING, logger="pat_graph.sandbox"):
        ProcessSandbox(workers=1)
    assert any("does not isolate" in r.getMessage() for r in caplog.records)


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid drop applies when pat-graph runs as root")
async def test_root_candidates_run_as_an_unprivileged_uid(box):
    # A root-owned 0755 dir (only root may create files in it) next to a 0777 one (anyone may),
    # both in a temp dir of this test: the candidate must manage the second and not the first.
    root = Path(tempfile.mkdtemp(prefix="pat-uid-probe-", dir="/tmp"))
    try:
        root.chmod(0o755)
        locked, open_ = root / "locked", root / "open"
        locked.mkdir(mode=0o755)
        open_.mkdir()
        open_.chmod(0o777)
        code = (
            "import os\n"
            "def probe():\n"
            "    out = {'ids': list(os.getresuid()) + list(os.getresgid())}\n"
            f"    for d in ({str(open_)!r}, {str(locked)!r}):\n"
            "        try:\n"
            "            with open(os.path.join(d, 'x'), 'w') as fh:\n"
            "                fh.write('x')\n"
            "            out[d] = 'written'\n"
            "        except OSError as exc:\n"
            "            out[d] = type(exc).__name__\n"
            "    return out\n"
        )
        [out] = await box.run_calls(code, ["probe()"])
        assert out.status == "ok", out
        got = {k: v for k, v in out.value["__dict__"]}
        assert 0 not in got["ids"], got
        assert got[str(open_)] == "written", got  # the probe works: it could reach the dirs
        assert got[str(locked)] == "PermissionError", got
        assert not (locked / "x").exists()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_readable_by_all_checks_every_parent():
    base = Path(tempfile.mkdtemp(prefix="pat-readable-", dir="/tmp"))
    try:
        inner = base / "outer" / "inner"
        inner.mkdir(parents=True)
        (inner / "f").write_text("x")
        for d in (base, base / "outer", inner):
            d.chmod(0o755)
        (inner / "f").chmod(0o644)
        assert process.readable_by_all(str(inner / "f"))
        (base / "outer").chmod(0o700)
        assert not process.readable_by_all(str(inner / "f"))
        (base / "outer").chmod(0o755)
        (inner / "f").chmod(0o600)
        assert not process.readable_by_all(str(inner / "f"))
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root needs a readable interpreter")
def test_it_refuses_to_run_candidates_as_root_without_a_readable_interpreter(monkeypatch):
    import sys

    if all(process.readable_by_all(p) for p in process._runtime_paths(sys.executable) or ["/"]):
        pytest.skip("this interpreter is readable by other users (e.g. a venv of /usr/bin/python3)")
    # This machine's interpreter lives where only root can enter (pyenv in /root): without a
    # system python3 to fall back on, the backend must refuse rather than run candidates as root.
    monkeypatch.setattr(process, "SYSTEM_PYTHONS", ())
    with pytest.raises(SandboxError, match="will not run candidates as root"):
        process.candidate_python.__wrapped__(sys.executable)
    monkeypatch.setattr(process, "SYSTEM_PYTHONS", ("/usr/bin/python3",))
    if os.path.exists("/usr/bin/python3"):
        assert process.candidate_python.__wrapped__(sys.executable) == "/usr/bin/python3"
