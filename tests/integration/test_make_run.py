"""`make run` is the first README command: it must keep working end to end on the real embedded
model. CI runs it with a smaller K; the second invocation must resume, not start over."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.local_model]

ROOT = Path(__file__).resolve().parents[2]


def _make_run(out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(
        ["make", "-C", str(ROOT), "run", "K=1", f"OUT={out}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def test_make_run_does_the_main_job_and_resumes(tmp_path):
    pytest.importorskip("llama_cpp", reason="the local extra is not installed")
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = tmp_path / "out"
    first = _make_run(out)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    for name in ("runs.sqlite", "pareto.png", "demo-pat.samples.jsonl"):
        assert (out / name).stat().st_size > 0, name
    assert "plot:" in first.stdout
    rows = [json.loads(line) for line in (out / "demo-pat.samples.jsonl").read_text().splitlines()]
    assert [r["task_id"] for r in rows] == ["HumanEval/0"]

    with sqlite3.connect(out / "runs.sqlite") as db:
        before = db.execute("SELECT run, task_id, result FROM results ORDER BY run").fetchall()
    assert [(r, t) for r, t, _ in before] == [
        ("demo-pat", "HumanEval/0"),
        ("demo-standard", "HumanEval/0"),
    ]
    second = _make_run(out)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "1 earlier" in second.stdout + second.stderr
    # Every problem was done: the embedded model is not loaded again just to find that out.
    assert "local model: starting" in first.stdout + first.stderr
    assert "local model: starting" not in second.stdout + second.stderr
    with sqlite3.connect(out / "runs.sqlite") as db:
        after = db.execute("SELECT run, task_id, result FROM results ORDER BY run").fetchall()
    assert after == before  # nothing re-solved, nothing counted twice
