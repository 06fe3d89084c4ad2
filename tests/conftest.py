"""Every test sees no config file of the machine it runs on: the config lookup
(pat_graph.models.config.find_config) would otherwise read $PAT_GRAPH_CONFIG or the user's
~/.config/pat-graph/pat.toml."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    monkeypatch.delenv("PAT_GRAPH_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))
