"""Every test sees no config file of the machine it runs on: the config lookup
(pat_graph.models.config.find_config) would otherwise read $PAT_GRAPH_CONFIG or the user's
~/.config/pat-graph/pat.toml.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator

import pytest

# Tests that take tens of seconds or more (pytest --durations), longest first. They start first,
# so the parallel workers do not end the suite waiting for one of them that started last
# (`--dist load --maxschedchunk 1` hands tests out in this order, one at a time to whichever
# worker is free). Order only: every test still runs.
LONG_FIRST = (
    "tests/integration/test_local_solve.py",
    "tests/integration/test_judge.py::test_canonical_solutions_pass",
    "tests/integration/test_faults_kill.py",
    "tests/integration/test_scaleout.py",
    "tests/integration/test_make_run.py",  # after the other real-model test: one at a time
    "tests/integration/test_faults.py",
    "tests/integration/test_read_only_db.py",
    "tests/integration/test_resume.py",
    "tests/integration/test_signals.py",
    "tests/integration/test_sandbox_humaneval.py",
    "tests/integration/test_local_model",
    "tests/integration/test_run_counts.py",
    "tests/integration/test_explore_watch.py",
    "tests/integration/test_limits_processes.py",
    "tests/integration/test_explore_browser.py",
    "tests/integration/test_studio",
)


def pytest_configure(config: pytest.Config) -> None:
    """The embedded model's server runs on one thread ahead of everything else the suite runs
    at the same time (models/local.py, set_priority). llama.cpp's threads spin while they wait
    for each other, so two threads taking turns with other tests' sandboxes slowed 4x: one PaT
    solve next to three busy processes took 352 s; 85 s with the priority on two threads, which
    starved the other tests (a scale-out test's workers got no problem before the run ended);
    115 s with the priority on one thread, which leaves the other core to the rest. Only root
    may raise a priority; others run as before."""
    if os.geteuid() == 0:
        os.environ.setdefault("PAT_GRAPH_LOCAL_NICE", "-15")
        os.environ.setdefault("PAT_GRAPH_LOCAL_THREADS", "1")


def _rank(nodeid: str) -> int:
    return next((i for i, p in enumerate(LONG_FIRST) if nodeid.startswith(p)), len(LONG_FIRST))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: _rank(item.nodeid))  # stable: the rest keep their order


@pytest.fixture(autouse=True)
def _one_embedded_model_at_a_time(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Tests of the embedded model run one at a time across xdist's workers (a lock file in
    the run's shared temp dir): two llama.cpp servers at once on two cores took 841 s and
    602 s for what takes about 140 s and 100 s one after the other."""
    if request.node.get_closest_marker("local_model") is None:
        yield
        return
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # every worker's basetemp sits in the run's one folder
    with (shared / "embedded-model.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    monkeypatch.delenv("PAT_GRAPH_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))
