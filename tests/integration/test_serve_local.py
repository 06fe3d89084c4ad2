"""`pat-graph serve-local` in the foreground: it answers on the port asked for, and Ctrl-C stops
it with exit 0 and no llama.cpp process left behind."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from pat_graph.models.local import free_port, live_group_members

pytestmark = [
    pytest.mark.integration,
    pytest.mark.local_model,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama_cpp not importable: pip install 'pat-graph[local]' to run these",
    ),
]


def test_serve_local_answers_then_stops_cleanly_on_ctrl_c():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pat_graph.cli", "serve-local", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/v1/models"
        deadline = time.monotonic() + 120
        models = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    models = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.5)
        assert models is not None, proc.stderr.read() if proc.poll() is not None else "no answer"
        assert models["data"], models
        banner = proc.stdout.readline()  # printed once start() has returned
        assert f"serving at http://127.0.0.1:{port}/v1" in banner
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, err
    deadline = time.monotonic() + 10
    while _servers_on(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _servers_on(port), "serve-local left its llama.cpp server running"
    assert not live_group_members(proc.pid)


def _servers_on(port: int) -> list[int]:
    """Live llama.cpp server processes started for this port (the server has its own session,
    so the CLI's process group does not cover it)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"llama_cpp.server" in argv and str(port).encode() in argv and state != "Z":
            found.append(int(pid))
    return found
