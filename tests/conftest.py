"""Every test sees no config file of the machine it runs on: the config lookup
(pat_graph.models.config.find_config) would otherwise read $PAT_GRAPH_CONFIG or the user's
~/.config/pat-graph/pat.toml.
"""

from __future__ import annotations

import pytest

# Tests that take tens of seconds or more (pytest --durations), longest first. They start first,
# so the parallel workers do not end the suite waiting for one of them that started last
# (`--dist loadgroup` hands tests out in this order, one at a time to whichever worker is free;
# the real-model tests are one group and go first, the largest group). Order only: every test
# still runs.
LONG_FIRST = (
    "tests/integration/test_local_solve.py",
    "tests/integration/test_judge.py::test_canonical_solutions_pass",
    "tests/integration/test_make_run.py",
    "tests/integration/test_faults_kill.py",
    "tests/integration/test_scaleout.py",
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


def _rank(nodeid: str) -> int:
    return next((i for i, p in enumerate(LONG_FIRST) if nodeid.startswith(p)), len(LONG_FIRST))


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: _rank(item.nodeid))  # stable: the rest keep their order
    # The embedded model's tests share one worker (`--dist loadgroup`), one after another: two
    # llama.cpp servers at once on two cores took 841 s and 602 s (140 s and ~100 s apart).
    for item in items:
        if item.get_closest_marker("local_model"):
            item.add_marker(pytest.mark.xdist_group("local_model"))


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    monkeypatch.delenv("PAT_GRAPH_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))
