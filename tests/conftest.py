"""Every test sees no config file of the machine it runs on: the config lookup
(pat_graph.models.config.find_config) would otherwise read $PAT_GRAPH_CONFIG or the user's
~/.config/pat-graph/pat.toml.

Under pytest-xdist (`make test`) several workers share the cores: the embedded model's server
then runs one thread, since llama.cpp's threads spin while they wait for each other and a busy
machine makes that spinning cost minutes (docs/models.md, $PAT_GRAPH_LOCAL_THREADS)."""

from __future__ import annotations

import os

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("PAT_GRAPH_LOCAL_THREADS", "1")


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    monkeypatch.delenv("PAT_GRAPH_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))
