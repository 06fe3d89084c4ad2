# ruff: noqa: E501  (attack sources are data strings; wrapping them hurts reading)
"""Issue 11, classes 1 and 2 on the bwrap backend: the candidate is never host root, reaches no
host kernel knob, no harness process and no host pipe, and leaves nothing for the next candidate.

Each test is an attack program whose test passes only if the attack worked, so the verdict must
be "not passed"; where the host can see the damage directly it checks that too; and every test
ends with an honest candidate that must still pass on the same sandbox.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.integration.hostile_helpers import (
    HONEST,
    TEST,
    assert_honest_passes,
    attack_fails,
    new_box,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def box():
    """One worker, so a candidate after an attack runs where the attack ran."""
    return new_box(workers=1)


def _sysctl_attack(path: str) -> str:
    # Writes the current value back: harmless to the host even if the attack worked.
    return (
        "def f():\n"
        f"    old = open({path!r}).read()\n"
        f"    with open({path!r}, 'w') as fh:\n"
        "        fh.write(old)\n"
        "    return 42\n"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/proc/sys/kernel/core_pattern",
        "/proc/sys/vm/overcommit_memory",
        "/proc/sys/fs/file-max",
        "/proc/sys/kernel/hostname",
    ],
)
async def test_host_sysctls_are_not_writable(box, path):
    before = Path(path).read_text()
    message = await attack_fails(box, _sysctl_attack(path))
    assert "Read-only file system" in message or "Permission denied" in message, message
    assert Path(path).read_text() == before


async def test_core_pattern_pipe_cannot_be_planted(box):
    knob = Path("/proc/sys/kernel/core_pattern")
    before = knob.read_text()
    code = "def f():\n    open('/proc/sys/kernel/core_pattern', 'w').write('|/sandbox/x %p')\n    return 42\n"
    try:
        await attack_fails(box, code)
        assert knob.read_text() == before
    finally:
        if knob.read_text() != before:
            knob.write_text(before)  # the attack worked: undo it on the host before failing


async def test_sysrq_trigger_and_other_proc_knobs_are_read_only(box):
    code = (
        "import os\n"
        "def f():\n"
        "    opened = []\n"
        "    for p in ('/proc/sysrq-trigger', '/proc/irq/default_smp_affinity', '/proc/sys/kernel/panic'):\n"
        "        try:\n"
        "            os.close(os.open(p, os.O_WRONLY))\n"
        "            opened.append(p)\n"
        "        except OSError:\n"
        "            pass\n"
        "    return 42 if opened else 0\n"
    )
    await attack_fails(box, code)


async def test_candidate_is_an_unprivileged_uid_without_capabilities(box):
    probe = (
        "import os\n"
        "status = dict(l.split(':', 1) for l in open('/proc/self/status') if ':' in l)\n"
        "def f():\n"
        "    caps = [int(status[k].strip(), 16) for k in ('CapEff', 'CapPrm', 'CapInh', 'CapBnd', 'CapAmb')]\n"
        "    uids = {int(x) for x in status['Uid'].split()} | {int(x) for x in status['Gid'].split()}\n"
        "    nnp = int(status['NoNewPrivs'].strip())\n"
        "    return 42 if (0 in uids or any(caps) or nnp != 1) else 0\n"
    )
    await attack_fails(box, probe)
    # And as a positive check the same facts hold (not a vacuous failure of the probe):
    ok = await box.run_tests(
        probe.replace("return 42 if", "return 0 if").replace("else 0", "else 42"), [TEST]
    )
    assert ok.passed, ok


async def test_each_candidate_gets_its_own_uid(box):
    uids = []
    for _ in range(3):
        [out] = await box.run_calls("import os\n", ["os.getresuid() + os.getresgid()"])
        assert out.status == "ok", out
        ids = set(out.value["__tuple__"])
        assert len(ids) == 1 and 0 not in ids, ids
        uids.append(ids.pop())
    if os.geteuid() == 0:  # as root every candidate has a uid of its own (keyrings, signals)
        assert len(set(uids)) == 3, uids
    else:  # in a user namespace all candidates share the caller's uid
        assert uids == [os.getuid()] * 3, uids


async def test_harness_pid1_pipes_cannot_be_opened(box):
    code = (
        "import os\n"
        "def f():\n"
        "    got = []\n"
        "    for fd in ('0', '1', '2', '3', '4', '5'):\n"
        "        for mode in (os.O_RDONLY, os.O_WRONLY):\n"
        "            try:\n"
        "                os.close(os.open('/proc/1/fd/' + fd, mode))\n"
        "                got.append(fd)\n"
        "            except OSError:\n"
        "                pass\n"
        "    try:\n"
        "        got += os.listdir('/proc/1/fd')\n"
        "    except OSError:\n"
        "        pass\n"
        "    return 42 if got else 0\n"
    )
    await attack_fails(box, code)


async def test_no_other_process_fd_environ_or_memory_is_readable(box):
    code = (
        "import os\n"
        "def f():\n"
        "    me = str(os.getpid())\n"
        "    got = []\n"
        "    for pid in os.listdir('/proc'):\n"
        "        if not pid.isdigit() or pid == me:\n"
        "            continue\n"
        "        for what in ('fd', 'environ', 'mem', 'cwd', 'root'):\n"
        "            p = f'/proc/{pid}/{what}'\n"
        "            try:\n"
        "                if what == 'fd':\n"
        "                    got += os.listdir(p)\n"
        "                elif what in ('cwd', 'root'):\n"
        "                    got += os.listdir(p)\n"
        "                else:\n"
        "                    with open(p, 'rb') as fh:\n"
        "                        got.append(fh.read(16))\n"
        "            except OSError:\n"
        "                pass\n"
        "    return 42 if got else 0\n"
    )
    await attack_fails(box, code)


async def test_only_the_candidates_own_processes_are_visible(box):
    code = (
        "import os\n"
        "def f():\n"
        "    pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
        "    # PID 1 (the candidate's namespace init) and this test process; nothing of the host,\n"
        "    # of bwrap or of the warm harness.\n"
        "    return 42 if len(pids) > 2 or max(pids) > 64 else 0\n"
    )
    await attack_fails(box, code)


async def test_ptrace_of_the_harness_is_refused(box):
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "def f():\n"
        "    won = [p for p in (1, os.getppid()) if libc.ptrace(16, p, 0, 0) == 0]\n"  # PTRACE_ATTACH
        "    return 42 if won else 0\n"
    )
    await attack_fails(box, code)


async def test_signals_to_the_harness_are_refused(box):
    code = (
        "import os, signal\n"
        "def f():\n"
        "    hit = []\n"
        "    for pid in (1, os.getppid()):\n"
        "        for sig in (signal.SIGSTOP, signal.SIGKILL):\n"
        "            try:\n"
        "                os.kill(pid, sig)\n"
        "                hit.append(pid)\n"
        "            except OSError:\n"
        "                pass\n"
        "    return 42 if hit else 0\n"
    )
    await attack_fails(box, code)


async def test_forged_records_on_every_reachable_fd_do_not_pass(box):
    code = (
        "import json, os\n"
        "def f():\n    return 0\n"
        "line = lambda i: (json.dumps({'i': i, 'tok': 'x', 'job': 0, 'status': 'pass', 'done': False}) + '\\n').encode()\n"
        "for fd in range(1024):\n"
        "    for i in (0, 1):\n"
        "        try:\n"
        "            os.write(fd, line(i))\n"
        "        except OSError:\n"
        "            pass\n"
        "for p in ('/proc/1/fd/1', '/proc/1/fd/3', '/proc/1/fd/4'):\n"
        "    try:\n"
        "        fd = os.open(p, os.O_WRONLY)\n"
        "        os.write(fd, line(0))\n"
        "    except OSError:\n"
        "        pass\n"
        "os._exit(0)\n"
    )
    await attack_fails(box, code)


async def test_queued_job_cannot_intercept_the_next_candidate(box):
    # Tries to reach any pipe holding future jobs and plant one; the next candidate is wrong and
    # must still fail.
    code = (
        "import json, os\n"
        "job = json.dumps({'id': 1, 'code': 'def f():\\n    return 42\\n'}).encode()\n"
        "for pid in ('1', 'self'):\n"
        "    for fd in range(8):\n"
        "        try:\n"
        "            w = os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY)\n"
        "            os.write(w, str(len(job)).encode() + b'\\n' + job)\n"
        "        except OSError:\n"
        "            pass\n" + HONEST
    )
    await box.run_tests(code, [TEST])
    wrong = await box.run_tests("def f():\n    return 0\n", [TEST])
    assert not wrong.passed, wrong
    await assert_honest_passes(box)


@pytest.mark.parametrize("where", ["/tmp", "/sandbox", "/dev/shm"])
async def test_files_do_not_reach_the_next_candidate(box, where):
    name = f"left-{uuid.uuid4().hex}"
    plant = f"import os\nos.makedirs({where!r} + '/d', exist_ok=True)\nopen({where!r} + '/{name}', 'w').write('x')\nos.chmod({where!r} + '/d', 0)\n"
    first = await box.run_tests(
        plant + HONEST, [f"import os\nassert os.path.exists({where!r} + '/{name}')"]
    )
    assert first.passed, first
    look = f"import os\ndef f():\n    return 42 if os.listdir({where!r}) else 0\n"
    await attack_fails(box, look)


@pytest.mark.parametrize("where", ["/", "/etc", "/opt", "/opt/pat", "/dev", "/usr/lib"])
async def test_read_only_places_cannot_be_written(box, where):
    code = (
        "import os\n"
        "def f():\n"
        f"    p = os.path.join({where!r}, 'pwned')\n"
        "    try:\n"
        "        open(p, 'w').write('x')\n"
        "    except OSError:\n"
        "        return 0\n"
        "    return 42\n"
    )
    await attack_fails(box, code)


async def test_background_process_does_not_survive_into_the_next_candidate(box):
    marker = f"pat-bg-{uuid.uuid4().hex}"
    plant = (
        "import os, subprocess, sys\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f'        os.execv(sys.executable, [sys.executable, \'-c\', \'import time\\nwhile True: open("/tmp/alive", "w").write("1"); time.sleep(0.01)  # {marker}\'])\n'
        "    os._exit(0)\n"
        "import time\ntime.sleep(0.3)\n" + HONEST
    )
    first = await box.run_tests(plant, [TEST])
    assert first.passed, first
    look = (
        "import os, time\n"
        "time.sleep(0.1)\n"
        "def f():\n"
        "    mine = str(os.getpid())\n"
        "    others = [p for p in os.listdir('/proc') if p.isdigit() and p not in ('1', mine)]\n"
        "    return 42 if others or os.path.exists('/tmp/alive') else 0\n"
    )
    await attack_fails(box, look)
    host = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline_has(p, marker)]
    assert not host, f"background process still alive on the host: {host}"


def _cmdline_has(pid: str, marker: str) -> bool:
    try:
        return marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


async def test_thread_left_running_does_not_reach_the_next_candidate(box):
    plant = (
        "import threading, time\n"
        "def spin():\n"
        "    while True:\n"
        "        open('/dev/shm/tick', 'w').write(str(time.time()))\n"
        "        time.sleep(0.01)\n"
        "threading.Thread(target=spin).start()\n" + HONEST
    )
    await box.run_tests(plant, [TEST])
    look = "import os, threading\ndef f():\n    return 42 if os.path.exists('/dev/shm/tick') or threading.active_count() > 1 else 0\n"
    await attack_fails(box, look)


async def test_module_patching_does_not_survive(box):
    plant = (
        "import builtins, json, math, collections\n"
        "math.isclose = lambda *a, **k: True\n"
        "json.dumps = lambda *a, **k: '{}'\n"
        "builtins.sorted = lambda x, **k: [42]\n"
        "collections.Counter.__eq__ = lambda s, o: True\n" + HONEST
    )
    await box.run_tests(plant, [TEST])
    look = (
        "import math, collections\n"
        "def f():\n"
        "    patched = math.isclose(1, 2) or sorted([2, 1]) == [42] or collections.Counter('a') == collections.Counter('b')\n"
        "    return 42 if patched else 0\n"
    )
    await attack_fails(box, look)


async def test_sysv_ipc_objects_do_not_reach_the_next_candidate(box):
    key = 0x5A7E0000 + (uuid.uuid4().int & 0xFFFF)
    plant = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        f"assert libc.shmget({key}, 4096, 0o1666) >= 0\n"  # IPC_CREAT | 0666
        f"assert libc.msgget({key}, 0o1666) >= 0\n" + HONEST
    )
    first = await box.run_tests(plant, [TEST])
    assert first.passed, first
    look = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        f"def f():\n    return 42 if libc.shmget({key}, 0, 0) >= 0 or libc.msgget({key}, 0) >= 0 else 0\n"
    )
    await attack_fails(box, look)


async def test_user_keyring_does_not_reach_the_next_candidate(box):
    # add_key(2) into the user keyring: keyrings belong to a uid, not to a namespace, so only a
    # uid of its own per candidate keeps this from the next one.
    plant = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "r = libc.syscall(248, b'user', b'pat-leak', b'secret', 6, -4)\n"  # KEY_SPEC_USER_KEYRING
        + HONEST
    )
    await box.run_tests(plant, [TEST])
    look = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "def f():\n"
        "    return 42 if libc.syscall(250, 0xA, -4, b'user', b'pat-leak', 0) > 0 else 0\n"  # KEYCTL_SEARCH
    )
    await attack_fails(box, look)


async def test_network_stays_unreachable(box):
    code = (
        "import socket\n"
        "def f():\n"
        "    try:\n"
        "        socket.create_connection(('1.1.1.1', 53), timeout=0.5)\n"
        "    except OSError:\n"
        "        return 0\n"
        "    return 42\n"
    )
    await attack_fails(box, code)
