# ruff: noqa: E501  (attack sources are one-line data strings; wrapping them hurts reading)
"""Hostile candidates: each attack must fail to pass, stay inside, return in time, leave nothing.

Every attack runs against a test that fails when honestly executed (``f()`` returns 0, the test
wants 42), so a "passed" verdict can only come from the attack fooling the harness.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from pat_graph.sandbox import BwrapSandbox, ProcessSandbox, Sandbox, bwrap_available

pytestmark = pytest.mark.integration

TIMEOUT_S = 1.0
HONEST = "def f():\n    return 0\n"
TEST = "assert f() == 42"
SLEEPER = "import sys, subprocess\nSLEEP = [sys.executable, '-c', 'import time; time.sleep(300)  # {marker}']\n"


@dataclass(frozen=True)
class Attack:
    name: str
    code: str
    bwrap_only: bool = False  # the process backend has no namespaces: it cannot stop these


ATTACKS = [
    Attack(
        "fork_bomb",
        HONEST
        + "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
        bwrap_only=os.geteuid() == 0,
    ),
    Attack(
        "memory_bomb",
        HONEST + "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 2**20))\n",
    ),
    Attack("huge_allocation", "def f():\n    return len(bytearray(10**12)) and 42\n"),
    Attack("infinite_loop", "def f():\n    while True:\n        pass\n"),
    Attack("sleep_past_timeout", "import time\ndef f():\n    time.sleep(60)\n    return 42\n"),
    Attack(
        "gigabytes_of_output",
        HONEST + "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n",
    ),
    Attack(
        "disk_fill",
        HONEST
        + "with open('big', 'wb') as fh:\n    for _ in range(4096):\n        fh.write(b'x' * 2**20)\n",
    ),
    Attack(
        "write_outside",
        "def f():\n    open({pwned!r}, 'w').write('pwned')\n    return 42\n",
        bwrap_only=True,
    ),
    Attack(
        "delete_outside",
        "import os\ndef f():\n    os.remove({victim!r})\n    return 42\n",
        bwrap_only=True,
    ),
    Attack(
        "parent_env_secret",
        "import os\ndef f():\n    return 42 if os.environ.get('PAT_FAKE_SECRET') == {secret!r} else 0\n",
    ),
    Attack(
        "proc_environ_scan",
        "import os\ndef f():\n    for p in os.listdir('/proc'):\n        try:\n            if {secret!r}.encode() in open(f'/proc/{{p}}/environ', 'rb').read():\n                return 42\n        except OSError:\n            pass\n    return 0\n",
        bwrap_only=True,
    ),
    Attack(
        "read_home_file",
        "def f():\n    try:\n        return 42 if open({home_secret!r}).read() == {secret!r} else 0\n    except OSError:\n        return 0\n",
        bwrap_only=True,
    ),
    Attack(
        "loopback_connect",
        "import socket\ndef f():\n    s = socket.create_connection(('127.0.0.1', {port}), timeout=0.5)\n    s.sendall(b'pwned')\n    return 42\n",
        bwrap_only=True,
    ),
    Attack("kill_parent", HONEST + "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"),
    Attack("kill_self", HONEST + "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"),
    Attack("os_exit_zero", HONEST + "import os\nos._exit(0)\n"),
    Attack("sys_exit_zero", HONEST + "import sys\nsys.exit(0)\n"),
    Attack("system_exit_in_call", "def f():\n    raise SystemExit(0)\n"),
    Attack("keyboard_interrupt", "def f():\n    raise KeyboardInterrupt\n"),
    Attack("base_exception", "class Out(BaseException):\n    pass\ndef f():\n    raise Out()\n"),
    Attack(
        "signal_tampering",
        "import signal, time\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGXCPU):\n    signal.signal(s, signal.SIG_IGN)\ndef f():\n    while True:\n        time.sleep(0.01)\n",
    ),
    Attack(
        "deep_recursion",
        "import sys\nsys.setrecursionlimit(10**8)\ndef f(n=0):\n    return f(n + 1)\n",
    ),
    Attack(
        "double_fork_setsid",
        HONEST
        + SLEEPER
        + "import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        os.execv(SLEEP[0], SLEEP)\n    os._exit(0)\n",
    ),
    Attack("orphan_popen", HONEST + SLEEPER + "subprocess.Popen(SLEEP, start_new_session=True)\n"),
    Attack(
        "monkeypatch_harness",
        HONEST
        + "import __main__, json, os\nfor name in dir(__main__):\n    if callable(getattr(__main__, name)) and name.startswith('_'):\n        setattr(__main__, name, lambda *a, **k: {{'status': 'pass'}})\njson.dumps = lambda *a, **k: '{{\"status\": \"pass\"}}'\n",
    ),
    Attack(
        "patch_builtins",
        "import builtins\nbuiltins.AssertionError = type('Nope', (Exception,), {{}})\nbuiltins.abs = lambda x: 0\ndef f():\n    return 0\n",
    ),
    Attack(
        "close_stdout", HONEST + "import os, sys\nos.close(1)\nos.close(2)\nsys.stdout = None\n"
    ),
    Attack(
        "forge_pass_record",
        HONEST
        + "import json, os\nfor fd in range(1024):\n    for i in (0, 'x'):\n        try:\n            os.write(fd, json.dumps({{'i': i, 'tok': 'x', 'job': 0, 'status': 'pass'}}).encode() + b'\\n')\n        except OSError:\n            pass\nos._exit(0)\n",
    ),
    Attack(
        "parent_fd_injection",
        HONEST
        + "import os\nfor fd in os.listdir(f'/proc/{{os.getppid()}}/fd'):\n    try:\n        os.write(os.open(f'/proc/{{os.getppid()}}/fd/{{fd}}', os.O_WRONLY), b'{{\"status\": \"pass\"}}\\n')\n    except OSError:\n        pass\nos._exit(0)\n",
    ),
    Attack(
        "always_equal_object",
        "class Yes:\n    def __eq__(self, other):\n        return True\ndef f():\n    return Yes()\n",
    ),
    Attack(
        "patched_stdlib_eq",
        "import collections\ncollections.Counter.__eq__ = lambda self, other: True\n"
        "def f():\n    return collections.Counter()\n",
    ),
    Attack(
        "busy_threads",
        HONEST
        + "import threading\ndef spin():\n    while True:\n        pass\nfor _ in range(8):\n    threading.Thread(target=spin, daemon=True).start()\nimport time\ntime.sleep(60)\n",
    ),
]


@pytest.fixture(scope="module", params=["bwrap", "process"])
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    if request.param == "bwrap":
        if not bwrap_available():
            pytest.skip("bwrap cannot run on this machine")
        return BwrapSandbox(workers=2)
    return ProcessSandbox(workers=2)


def _process_table() -> dict[int, tuple[int, bytes]]:
    table: dict[int, tuple[int, bytes]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if stat[0] != "Z":
            table[int(pid)] = (int(stat[1]), cmd)
    return table


def _leftovers(marker: str, box: Sandbox) -> list[int]:
    """Processes carrying the marker, plus anything under a worker beyond its own harness."""
    table = _process_table()
    found = [pid for pid, (_, cmd) in table.items() if marker.encode() in cmd]
    # bwrap -> bwrap init -> harness -> its clean template (issue 19); process: the template
    expected_depth = 3 if box.name == "bwrap" else 1
    for root in box.pool.pids():  # type: ignore[attr-defined]
        tree, frontier = [], [root]
        while frontier:
            kids = [p for p, (ppid, _) in table.items() if ppid in frontier]
            tree += kids
            frontier = kids
        if len(tree) > expected_depth:
            found += tree
    return found


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
async def test_attack_is_contained(
    attack: Attack, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if attack.bwrap_only and sandbox.name != "bwrap":
        pytest.skip("the process backend cannot prevent this (no namespaces); bwrap does")
    marker = f"pat-hostile-{uuid.uuid4().hex}"
    secret = f"s3cret-{uuid.uuid4().hex}"
    monkeypatch.setenv("PAT_FAKE_SECRET", secret)
    victim, pwned, home_secret = tmp_path / "victim.txt", tmp_path / "pwned", tmp_path / "id_rsa"
    victim.write_text("intact")
    home_secret.write_text(secret)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    code = attack.code.format(
        marker=marker, victim=str(victim), pwned=str(pwned), secret=secret,
        home_secret=str(home_secret), port=listener.getsockname()[1],
    )  # fmt: skip
    start = time.monotonic()
    report = await sandbox.run_tests(code, [TEST], timeout_s=TIMEOUT_S, entry_point="f")
    elapsed = time.monotonic() - start

    assert not report.passed, report
    assert report.outcomes[0].status in ("fail", "error", "timeout")
    assert elapsed < TIMEOUT_S + 5.0, f"took {elapsed:.1f}s"
    assert victim.read_text() == "intact" and not pwned.exists()
    with pytest.raises(BlockingIOError):
        listener.accept()
    listener.close()
    deadline = time.monotonic() + 2.0
    while (left := _leftovers(marker, sandbox)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes left behind: {left}"
    honest = await sandbox.run_tests("def f():\n    return 42\n", [TEST], timeout_s=TIMEOUT_S)
    assert honest.passed, f"sandbox did not recover after {attack.name}: {honest}"


async def test_next_candidate_sees_an_empty_work_dir(sandbox: Sandbox) -> None:
    poison = (
        "import os, tempfile\nopen('poison.py', 'w').write('x = 1')\nos.mkdir('d')\n"
        "os.chmod('d', 0)\nopen(os.path.join(tempfile.gettempdir(), 'left'), 'w').write('1')\n"
    )
    await sandbox.run_tests(poison + HONEST, [TEST], timeout_s=TIMEOUT_S)
    checks = ["import os\nassert os.listdir('.') == [], os.listdir('.')"] * 4
    checks.append(
        "import os, tempfile\nassert not os.path.exists(os.path.join(tempfile.gettempdir(), 'left'))"
    )
    report = await sandbox.run_tests("", checks, timeout_s=TIMEOUT_S)
    assert report.passed, report


def test_there_are_at_least_25_distinct_attacks() -> None:
    assert len({a.name for a in ATTACKS}) >= 25
    assert len({a.code for a in ATTACKS}) == len(ATTACKS)
