"""LocalServer's process handling, driven with fake servers so it runs without llama.cpp."""

from __future__ import annotations

import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from pat_graph.models import local as local_model
from pat_graph.models.local import LocalServer, LocalServerError, live_group_members

pytestmark = pytest.mark.integration

# Answers /v1/models, spawns a grandchild in the same process group, optionally ignores SIGTERM.
FAKE_SERVER = textwrap.dedent(
    """
    import http.server, signal, subprocess, sys
    port, child_file, stubborn = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
    if stubborn:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    open(child_file, "w").write(str(child.pid))
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/v1/models" else 404)
            self.end_headers()
            self.wfile.write(b'{"data": []}')
        def log_message(self, *a):
            pass
    http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
    """
)


class FakeServer(LocalServer):
    def __init__(self, script: str, *args: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.script, self.args = script, args

    def command(self, model: Path) -> list[str]:
        return [sys.executable, "-c", self.script, str(self.port), *self.args]


@pytest.fixture(autouse=True)
def no_model(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(local_model, "model_path", lambda: tmp_path / "model.gguf")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def group_alive(pgid: int) -> bool:
    return bool(live_group_members(pgid))


def wait_for_file(path: Path) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError("fake server never started its child")


@pytest.mark.parametrize("stubborn", ["0", "1"])
def test_server_answers_then_leaves_no_process_behind(tmp_path, stubborn) -> None:
    child_file = tmp_path / "child.pid"
    server = FakeServer(FAKE_SERVER, str(child_file), stubborn)
    with server:
        pgid = server.pid
        assert pgid is not None
        with urllib.request.urlopen(server.base_url + "/models", timeout=5) as response:
            assert response.status == 200
        child = wait_for_file(child_file)
        assert group_alive(pgid)
        started = time.monotonic()
        server.stop(grace=0.5)
    assert not group_alive(pgid)  # the grandchild died with the group
    assert child not in live_group_members(pgid)
    assert time.monotonic() - started < 5  # SIGKILL followed the grace period
    with pytest.raises(LocalServerError, match="not running"):
        _ = server.base_url


async def test_async_context_manager_stops_the_group(tmp_path) -> None:
    async with FakeServer(FAKE_SERVER, str(tmp_path / "c.pid"), "0") as server:
        pgid = server.pid
        assert server.base_url.startswith("http://127.0.0.1:")
    assert pgid is not None and not group_alive(pgid)


def test_a_server_that_dies_reports_its_log_tail() -> None:
    script = "import sys; print('boom: cannot load model', flush=True); sys.exit(3)"
    with pytest.raises(LocalServerError, match=r"exited with code 3(.|\n)*boom: cannot load"):
        FakeServer(script).start()


def test_a_server_that_never_answers_times_out_and_is_killed(tmp_path) -> None:
    script = "import os, sys, time; print(os.getpid(), flush=True); time.sleep(60)"
    server = FakeServer(script, startup_timeout=1.0, log_path=tmp_path / "s.log")
    with pytest.raises(LocalServerError, match="did not answer") as info:
        server.start()
    pid = int((tmp_path / "s.log").read_text().split()[0])
    assert str(pid) in str(info.value)  # the log tail is quoted
    assert not group_alive(pid)
