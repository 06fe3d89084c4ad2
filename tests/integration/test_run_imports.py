"""What a `pat-graph run` loads: every run, worker and test of the suite pays its imports, so a
SQLite run must not import the PostgreSQL driver it never uses (it took ~0.13 s of each)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fake_server import GatedStub, write_benchmark, write_config
from tests.support.fresh_cli import cli_in_fresh_interpreter

pytestmark = pytest.mark.integration
DRIVER = ("psycopg", "psycopg_pool")


@pytest.mark.parametrize("db", ["runs.sqlite", "postgres"])
def test_only_a_postgresql_run_imports_the_postgresql_driver(
    tmp_path: Path, db: str, request: pytest.FixtureRequest
) -> None:
    write_benchmark(tmp_path / "bench.jsonl", 1)
    url = request.getfixturevalue("pg_url") if db == "postgres" else db
    run = ["run", "--benchmark", "bench.jsonl", "--generator", "fake", "--run", "r",
           "--sandbox", "process", "--no-progress", "--db", url]  # fmt: skip
    with GatedStub() as stub:
        write_config(tmp_path / "pat.toml", stub.base_url)
        code, loaded, stderr = cli_in_fresh_interpreter([run], DRIVER, cwd=tmp_path)
    assert code == 0, stderr[-2000:]
    # the control: a PostgreSQL run does load it, so the probe sees what it looks for
    assert loaded == ([] if db == "runs.sqlite" else sorted(DRIVER)), stderr
