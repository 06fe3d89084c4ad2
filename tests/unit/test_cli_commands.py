"""The CLI's wiring to other modules: export -> evaluate round trip, graph, run --verbose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pat_graph.cli import main
from pat_graph.runs.progress import Progress
from tests.support.fake_server import GatedStub, write_benchmark, write_config


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_benchmark(tmp_path / "bench.jsonl", 3)
    return tmp_path


def test_run_verbose_then_export_then_evaluate_agree(workdir: Path, capsys) -> None:
    with GatedStub() as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        args = ["run", "--benchmark", "bench.jsonl", "--generator", "fake", "--run", "v",
                "--policy", "standard", "--sandbox", "process", "--verbose"]  # fmt: skip
        assert main(args) == 0
    err = capsys.readouterr().err
    assert "fake/0" in err and "generate" in err and "finalize" in err  # node events
    assert "3/3" in err  # the progress line
    assert main(["report", "--json"]) == 0
    [summary] = json.loads(capsys.readouterr().out)
    assert main(["export", "--run", "v", "--out", "samples.jsonl"]) == 0
    assert main(["evaluate", "--benchmark", "bench.jsonl", "--samples", "samples.jsonl",
                 "--json"]) == 0  # fmt: skip
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["problems"] == 3
    assert evaluated["pass_at_1"] == pytest.approx(summary["pass_at_1"])
    assert evaluated["per_task"]["fake/1"]["base"] is False  # the standard policy's wrong trial


def test_graph_writes_mermaid_and_png(workdir: Path, capsys) -> None:
    assert main(["graph", "--policy", "pat"]) == 0
    text = capsys.readouterr().out
    for node in ("generate", "verify", "plan"):
        assert node in text
    assert main(["graph", "--policy", "pat", "--format", "png", "--out", "g.png"]) == 0
    assert (workdir / "g.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["graph", "--policy", "pat", "--format", "png"]) == 2
    assert "--out" in capsys.readouterr().err


def test_progress_plain_lines_count_and_estimate(tmp_path: Path) -> None:
    log = (tmp_path / "p.log").open("w+")
    bar = Progress(4, done=1, passed=1, cost_usd=0.5, stream=log)
    bar.start()
    bar.begin("t/2")
    bar.add_call({"requests": 2, "input_tokens": 900, "output_tokens": 300, "cost_usd": 0.25})
    bar.update(ok=True, passed=False, task_id="t/2")
    bar.begin("t/3")
    bar.add_call({"requests": 1, "input_tokens": 5, "output_tokens": 0, "cost_usd": None})
    bar.update(ok=False, task_id="t/3")
    bar.close()
    log.seek(0)
    lines = log.read().splitlines()
    assert len(lines) == 3  # not a terminal: one plain line per finished problem, no \r
    assert "1/4 pass 1 | in flight 0 | calls 0, 0 tokens, cost $0.5000" in lines[0]
    assert "ETA --:--" in lines[0] and "elapsed 00:00" in lines[0]
    assert "2/4 pass 1 | in flight 0 | calls 2, 1.2k tokens, cost $0.7500" in lines[1]
    assert "(t/2)" in lines[1]
    assert "3/4 pass 1 errored 1" in lines[2] and "ETA 00:0" in lines[2]
    assert "calls 3, 1.2k tokens, cost $0.7500 (+1 calls of unknown cost)" in lines[2]


def test_progress_heartbeat_in_logs_while_nothing_finishes(tmp_path: Path) -> None:
    log = (tmp_path / "p.log").open("w+")
    bar = Progress(2, stream=log, heartbeat_s=0.0)
    bar.start()
    bar.begin("t/1")
    bar.add_call({"requests": 1, "input_tokens": 10, "output_tokens": 5, "cost_usd": 0.01})
    log.seek(0)
    lines = log.read().splitlines()
    assert len(lines) == 3  # start, begin, the call: each a heartbeat at heartbeat_s=0
    assert "0/2 pass 0 | in flight 1 | calls 1, 15 tokens, cost $0.0100" in lines[-1]


async def test_progress_bar_on_a_terminal_keeps_verbose_lines_off_the_bar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    # A StringIO reports no size, so the bar takes $COLUMNS; pin it (xdist's workers have 80).
    monkeypatch.setenv("COLUMNS", "160")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    bar = Progress(2, stream=out)
    bar.start()
    bar.begin("t/1")
    bar.add_call({"requests": 1, "input_tokens": 10, "output_tokens": 5, "cost_usd": 0.1})
    bar.write("t/1 generate: 1 usable sample(s)")
    bar.update(ok=True, passed=True, task_id="t/1")
    bar.close()
    text = out.getvalue()
    assert "1/2" in text and "pass 1" in text and "calls 1, 15 tokens, cost $0.1000" in text
    assert "in flight 0" in text and "00:00<" in text  # elapsed<remaining from the bar
    # The verbose line stands on a line of its own, never glued to a redrawn bar.
    assert "\nt/1 generate: 1 usable sample(s)\n" in text.replace("\r", "\n")
    assert text.endswith("\n")


def test_run_on_a_pseudo_terminal_shows_the_bar_and_verbose_lines_apart(workdir: Path) -> None:
    """A pty that reports no size (CI runners, `script`) still gets the bar; verbose lines are
    printed above it, never glued to a redrawn bar."""
    import os
    import select
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    master, slave = os.openpty()
    with GatedStub(delay_s=0.2) as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        args = [sys.executable, "-m", "pat_graph.cli", "run", "--benchmark", "bench.jsonl",
                "--generator", "fake", "--run", "tty", "--policy", "standard", "--sandbox",
                "process", "--verbose"]  # fmt: skip
        proc = subprocess.Popen(args, cwd=workdir, stdout=slave, stderr=slave,
                                env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"})  # fmt: skip
        out = b""
        while proc.poll() is None or select.select([master], [], [], 0.2)[0]:
            if select.select([master], [], [], 0.2)[0]:
                out += os.read(master, 65536)
    os.close(slave)
    os.close(master)
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
    frames = [f for f in out.decode(errors="replace").replace("\r", "\n").split("\n") if f.strip()]
    bars = [f for f in frames if f.startswith("3/3 |")]
    assert bars and "pass 2 | in flight 0 | calls 3," in bars[-1] and "cost $" in bars[-1]
    verbose = [f for f in frames if f.startswith("fake/0 ") and "generate" in f]
    assert verbose and all("|" not in f.split("generate")[0] for f in verbose)


def test_progress_on_resume_starts_from_the_bill_so_far(workdir: Path, capsys) -> None:
    with GatedStub() as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        args = ["run", "--benchmark", "bench.jsonl", "--generator", "fake", "--run", "p",
                "--policy", "standard", "--sandbox", "process"]  # fmt: skip
        assert main([*args, "--limit", "1"]) == 0
        first = len(stub.requests)
        capsys.readouterr()
        assert main([*args, "--limit", "2"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert lines[0].startswith("[") and f"1/2 pass 1 | in flight 0 | calls {first}," in lines[0]
    assert f"calls {len(stub.requests)}," in lines[-1]
