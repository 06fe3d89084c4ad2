"""Driving `pat-graph run` as a subprocess against the faulty server, and reading its database.

The CLI runs out of process on purpose: SIGKILL must hit a real process, and the run must use
exactly what users run (config file, real client, real sandbox and judge).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from _fakes import synthetic_reply, task_index, write_jsonl  # noqa: E402

__all__ = ["cli", "results", "run_args", "setup_run", "synthetic_reply", "task_index"]


def setup_run(
    tmp: Path,
    base_url: str,
    n: int,
    *,
    hard: float = 0.3,
    timeout_s: float = 1.0,
    max_retries: int = 2,
) -> Path:
    """A JSONL benchmark of `n` synthetic problems and a pat.toml pointing at the server."""
    write_jsonl(tmp / "bench.jsonl", n, hard)
    (tmp / "pat.toml").write_text(
        "[models.faulty]\n"
        f'base_url = "{base_url}"\n'
        'model = "faulty-model"\n'
        "input_price = 1.0\n"
        "output_price = 2.0\n"
        f"timeout = {timeout_s}\n"
        f"max_retries = {max_retries}\n",
        encoding="utf-8",
    )
    return tmp


def run_args(tmp: Path, db: Path, run: str = "faults", concurrency: int = 8) -> list[str]:
    return [
        "run",
        "--benchmark",
        str(tmp / "bench.jsonl"),
        "--generator",
        "faulty",
        "--run",
        run,
        "--db",
        str(db),
        "--config",
        str(tmp / "pat.toml"),
        "--concurrency",
        str(concurrency),
        "--budget",
        "n_samples=2",
        # The in-flight bounds of the fault tests count at most 2 requests per node; the paper
        # profile's example extraction would add up to 3 more to the node that writes tests.
        "--budget",
        "example_parser=doctest",
        "--sandbox",
        "process",
        "--no-progress",
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def cli(args: list[str], *, timeout: float = 300, **popen: Any) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pat_graph.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=_env(),
        **popen,
    )


def popen(args: list[str], **kwargs: Any) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pat_graph.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        env=_env(),
        start_new_session=True,  # its own process group: the kill takes its sandbox workers too
        **kwargs,
    )


def results(db: Path, run: str) -> dict[str, dict[str, Any]]:
    """task_id -> {status, error, result} straight from the results table."""
    if not db.exists():
        return {}
    with sqlite3.connect(db) as conn:
        try:
            rows = conn.execute(
                "SELECT task_id, status, error, result FROM results WHERE run = ?", (run,)
            ).fetchall()
        except sqlite3.OperationalError:
            return {}  # killed before the tables existed
    return {
        t: {"status": s, "error": e, "result": None if r is None else json.loads(r)}
        for t, s, e, r in rows
    }
