"""Issue 22, item 6: the embedded model's server never outlives the process that started it,
and says that it is loading.

Each case starts the server from a child process (a fake server, so it runs without llama.cpp,
except the one `local_model` test), ends that parent the way users and tools do (SIGTERM from
`timeout`, SIGTERM in the middle of loading, SIGKILL), and checks the server process is gone.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pat_graph.models import local as local_model
from pat_graph.models.local import LocalServer

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

# Answers /v1/models after `delay` seconds of "loading"; ignores SIGTERM, as a busy server may.
FAKE_SERVER = textwrap.dedent(
    """
    import http.server, signal, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(float(sys.argv[2]))
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"data": []}')
        def log_message(self, *a):
            pass
    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
    """
)

# The parent: starts the fake server the way pat-graph does (`how`), prints the server's pid,
# then serves until it is signalled or killed.
PARENT = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from pat_graph.models import local
    from pat_graph.processes import run_stoppable

    how, delay, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    local.model_path = lambda: folder / "model.gguf"
    local.PROGRESS_EVERY_S = 0.3

    class Fake(local.LocalServer):
        def command(self, model):
            return [sys.executable, "-c", (folder / "fake.py").read_text(), str(self.port), delay]

        def _launch(self, model):
            super()._launch(model)
            (folder / "server.pid").write_text(str(self.pid))

    say = lambda m: print(m, file=sys.stderr, flush=True)
    if how == "sync":  # `pat-graph serve-local`
        local.LocalServer = lambda **kw: Fake(**kw)
        sys.exit(local.serve_local())

    async def main():  # `pat-graph run --generator local`: run_stoppable + async with
        async with Fake(progress=say, startup_timeout=120):
            print("ready", flush=True)
            await asyncio.sleep(300)

    try:
        run_stoppable(main())
    except KeyboardInterrupt as exc:
        sys.exit(128 + getattr(exc, "signum", 2))
    """
)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def start_parent(tmp_path: Path, how: str, delay: float, wrap: tuple[str, ...] = ()):
    (tmp_path / "fake.py").write_text(FAKE_SERVER)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.Popen(
        [*wrap, sys.executable, "-c", PARENT, how, str(delay), str(tmp_path)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def server_pid(tmp_path: Path) -> int:
    pid_file = tmp_path / "server.pid"
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return int(pid_file.read_text())


@pytest.fixture
def cleanup():
    """Whatever a failing test left running is killed (our own processes only)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("how", ["sync", "async"])
def test_sigkilled_parent_takes_the_server_with_it(tmp_path: Path, cleanup, how: str) -> None:
    parent = start_parent(tmp_path, how, 0.0)
    pid = server_pid(tmp_path)
    cleanup.append(pid)
    if how == "async":
        assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
    else:
        time.sleep(1.0)
    assert alive(pid)
    parent.kill()  # SIGKILL: no cleanup code runs in the parent
    parent.wait(10)
    assert gone_within(pid, 5), "the server outlived its SIGKILLed parent"


@pytest.mark.parametrize("how", ["sync", "async"])
def test_sigterm_through_timeout_stops_parent_and_server(tmp_path: Path, cleanup, how) -> None:
    """Under `timeout`, which passes the SIGTERM it gets on to the parent (sent here once the
    server runs, so a slow machine cannot make the test race); the fake ignores SIGTERM."""
    parent = start_parent(tmp_path, how, 0.0, wrap=("timeout", "-s", "TERM", "600"))
    pid = server_pid(tmp_path)
    cleanup.append(pid)
    time.sleep(0.5)
    parent.send_signal(signal.SIGTERM)  # to `timeout`, which forwards it
    _, err = parent.communicate(timeout=30)
    assert gone_within(pid, 5), "the server outlived its parent under `timeout`"
    assert "Traceback" not in err


def test_sigterm_while_loading_stops_at_once(tmp_path: Path, cleanup) -> None:
    """A server that would load for a minute: SIGTERM stops waiting, and the server, at once."""
    parent = start_parent(tmp_path, "async", 60.0)
    pid = server_pid(tmp_path)
    cleanup.append(pid)
    time.sleep(1.0)
    sent = time.monotonic()
    parent.send_signal(signal.SIGTERM)
    _, err = parent.communicate(timeout=30)
    assert time.monotonic() - sent < 5
    assert parent.returncode == 143, err
    assert gone_within(pid, 5)


def test_loading_is_shown_not_silent(tmp_path: Path, cleanup) -> None:
    parent = start_parent(tmp_path, "async", 1.5)
    cleanup.append(server_pid(tmp_path))
    assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
    parent.send_signal(signal.SIGTERM)
    _, err = parent.communicate(timeout=30)
    lines = err.splitlines()
    assert lines[0].startswith("local model: starting llama.cpp's server")
    assert any(re.fullmatch(r"local model: still loading \(\ds\)", line) for line in lines)
    assert any(re.fullmatch(r"local model: ready after \ds", line) for line in lines)


def test_progress_reaches_the_callback_in_process(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(local_model, "model_path", lambda: tmp_path / "model.gguf")
    monkeypatch.setattr(local_model, "PROGRESS_EVERY_S", 0.2)
    (tmp_path / "fake.py").write_text(FAKE_SERVER)
    heard: list[str] = []

    class Fake(LocalServer):
        def command(self, model: Path) -> list[str]:
            return [sys.executable, "-c", FAKE_SERVER, str(self.port), "0.8"]

    with Fake(progress=heard.append, log_path=tmp_path / "s.log"):
        pass
    assert heard[0].startswith("local model: starting") and heard[-1].startswith(
        "local model: ready"
    )
    assert any("still loading" in m for m in heard)


@pytest.mark.local_model
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="needs pat-graph[local]")
def test_the_real_server_dies_with_a_sigkilled_serve_local(tmp_path: Path, cleanup) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pat_graph.cli", "serve-local"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        port = re.search(r"127\.0\.0\.1:(\d+)/v1", line)
        assert port, line
        servers = local_model.live_group_members(_group_of_port(port.group(1)))
        assert servers
        cleanup.extend(servers)
        proc.kill()
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert err.startswith("local model: starting llama.cpp's server")
    assert "local model: ready after" in err
    assert all(gone_within(pid, 10) for pid in servers), "llama.cpp's server outlived serve-local"


def _group_of_port(port: str) -> int:
    """The process group of the llama.cpp server listening on `port` (its argv names it)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"llama_cpp.server" in argv and port.encode() in argv:
            return os.getpgid(int(entry.name))
    raise AssertionError(f"no llama.cpp server on port {port}")
