"""What a `pat-graph run` loads: every run, worker and test of the suite pays its imports, so a
SQLite run must not import the PostgreSQL driver it never uses (it took ~0.13 s of each)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fake_server import GatedStub, write_benchmark, write_config

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from pat_graph.cli import main
code = main(["run", "--benchmark", "bench.jsonl", "--generator", "fake", "--run", "r",
             "--sandbox", "process", "--no-progress", "--db", sys.argv[1]])
drivers = {m.split(".")[0] for m in sys.modules} & {"psycopg", "psycopg_pool"}
print(json.dumps([code, sorted(drivers)]))
"""


@pytest.mark.parametrize("db", ["runs.sqlite", "postgres"])
def test_only_a_postgresql_run_imports_the_postgresql_driver(
    tmp_path: Path, db: str, request: pytest.FixtureRequest
) -> None:
    write_benchmark(tmp_path / "bench.jsonl", 1)
    url = request.getfixturevalue("pg_url") if db == "postgres" else db
    with GatedStub() as stub:
        write_config(tmp_path / "pat.toml", stub.base_url)
        done = subprocess.run([sys.executable, "-c", PROBE, url], capture_output=True, text=True,
                              cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              timeout=120)  # fmt: skip
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0, done.stderr[-2000:]
    # the control: a PostgreSQL run does load it, so the probe sees what it looks for
    assert loaded == ([] if db == "runs.sqlite" else ["psycopg", "psycopg_pool"]), done.stderr
