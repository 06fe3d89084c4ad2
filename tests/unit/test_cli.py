"""CLI error paths: one message that says what to fix, exit code 2, nothing computed lost."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from pat_graph.cli import main
from tests.support.fake_server import GatedStub, write_benchmark, write_config


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_benchmark(tmp_path / "bench.jsonl", 2)
    return tmp_path


def _run(*extra: str, generator: str = "fake", run: str = "r") -> list[str]:
    return [
        "run", "--benchmark", "bench.jsonl", "--generator", generator, "--run", run,
        "--no-progress", "--sandbox", "process", *extra,
    ]  # fmt: skip


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unknown_model_names_the_known_ones(workdir: Path, capsys) -> None:
    write_config(workdir / "pat.toml", "http://127.0.0.1:9/v1")
    assert main(_run(generator="gpt-9")) == 2
    err = capsys.readouterr().err
    assert "unknown model 'gpt-9'" in err and "fake, local" in err and "[models.gpt-9]" in err


def test_missing_api_key_variable(workdir: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("PAT_TEST_MISSING_KEY", raising=False)
    write_config(workdir / "pat.toml", "http://127.0.0.1:9/v1", key_env="PAT_TEST_MISSING_KEY")
    assert main(_run()) == 2
    assert "export PAT_TEST_MISSING_KEY=" in capsys.readouterr().err


def test_malformed_benchmark_file_names_file_and_line(workdir: Path, capsys) -> None:
    write_config(workdir / "pat.toml", "http://127.0.0.1:9/v1")
    bad = workdir / "bad.jsonl"
    bad.write_text('{"task_id": "a", "prompt": "x", "kind": "function"}\n')
    assert main(["run", "--benchmark", "bad.jsonl", "--generator", "fake", "--run", "r"]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl" in err and "missing field" in err


def test_unknown_benchmark_and_task(workdir: Path, capsys) -> None:
    write_config(workdir / "pat.toml", "http://127.0.0.1:9/v1")
    assert main(["run", "--benchmark", "nope", "--generator", "fake", "--run", "r"]) == 2
    assert "unknown benchmark 'nope'" in capsys.readouterr().err
    assert main(_run("--task", "fake/99")) == 2
    assert "unknown task id(s)" in capsys.readouterr().err


def test_unreachable_server(workdir: Path, capsys) -> None:
    write_config(workdir / "pat.toml", f"http://127.0.0.1:{_closed_port()}/v1")
    assert main(_run()) == 2
    err = capsys.readouterr().err
    assert "cannot reach" in err and "fix base_url in [models.fake]" in err
    assert not (workdir / "runs.sqlite").exists()  # refused before touching the database


def test_run_name_reuse_with_other_settings_keeps_results(workdir: Path, capsys) -> None:
    with GatedStub() as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        assert main(_run("--policy", "standard")) == 0
        capsys.readouterr()
        calls = len(stub.requests)
        assert main(_run("--policy", "best-of-n")) == 2
        err = capsys.readouterr().err
        assert "run 'r' already exists" in err and "policy: was 'standard', now 'best-of-n'" in err
        assert len(stub.requests) == calls  # refused before any LLM call
        assert main(_run("--policy", "standard")) == 0  # the same command resumes: nothing to do
        assert len(stub.requests) == calls
    assert main(["report", "--json"]) == 0
    [summary] = json.loads(capsys.readouterr().out)
    assert (summary["done"], summary["policy"]) == (2, "standard")


def test_report_without_database(workdir: Path, capsys) -> None:
    assert main(["report", "--db", "missing.sqlite"]) == 2
    assert "no database at missing.sqlite" in capsys.readouterr().err


def test_bad_budget_is_a_usage_error(workdir: Path, capsys) -> None:
    with GatedStub() as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        assert main(_run("--budget", "n_sampels=3")) == 2
    assert "unknown budget(s) n_sampels" in capsys.readouterr().err


def test_benchmarks_lists_builtins(capsys) -> None:
    assert main(["benchmarks"]) == 0
    out = capsys.readouterr().out
    for name in ("humaneval", "humaneval-plus", "mbpp-plus"):
        assert f"\n{name} " in f"\n{out}"
