"""How the Studio graphs pick their models from pat.toml and the environment (no server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphs._studio import LazyLocalChatModel, studio_defaults, studio_graph
from pat_graph.errors import ConfigError

TOML = """
[models.cheap]
base_url = "http://127.0.0.1:9/v1"
model = "cheap-model"
input_price = 0.1
output_price = 0.2

[models.strong]
base_url = "http://127.0.0.1:9/v1"
model = "strong-model"
input_price = 1.0
output_price = 4.0
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "pat.toml"
    path.write_text(TOML)
    monkeypatch.setenv("PAT_GRAPH_CONFIG", str(path))
    for name in ("PAT_GRAPH_GENERATOR", "PAT_GRAPH_PLANNER", "PAT_GRAPH_LOCAL_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAT_GRAPH_SANDBOX", "process")
    return path


def deps_of(policy: str):
    return studio_defaults(policy)


def test_generator_and_planner_come_from_env_with_prices(config, monkeypatch) -> None:
    monkeypatch.setenv("PAT_GRAPH_GENERATOR", "cheap")
    monkeypatch.setenv("PAT_GRAPH_PLANNER", "strong")
    graph = studio_graph("pat")
    deps = deps_of("pat")
    assert (deps.generator.name, deps.planner.name) == ("cheap", "strong")
    assert (deps.planner.input_price, deps.planner.output_price) == (1.0, 4.0)
    assert graph.checkpointer is None  # langgraph dev refuses graphs with their own
    assert graph.config["recursion_limit"] > 25  # LangGraph's default would cut PaT short


def test_planner_defaults_to_the_generator(config, monkeypatch) -> None:
    monkeypatch.setenv("PAT_GRAPH_GENERATOR", "strong")
    assert deps_of("pbt").planner.name == "strong"
    assert deps_of("best-of-n").planner is None  # baselines never plan


def test_default_is_the_lazy_local_model(config) -> None:
    deps = deps_of("standard")
    assert deps.generator.name == "local"
    assert isinstance(deps.generator.chat, LazyLocalChatModel)  # nothing started at import


def test_local_can_point_at_a_running_server(config, monkeypatch) -> None:
    monkeypatch.setenv("PAT_GRAPH_LOCAL_URL", "http://127.0.0.1:8080/v1")
    chat = deps_of("standard").generator.chat
    assert not isinstance(chat, LazyLocalChatModel)
    assert chat.base_url == "http://127.0.0.1:8080/v1"  # the local spec speaks completion API


def test_unknown_model_names_fail_with_the_known_ones(config, monkeypatch) -> None:
    monkeypatch.setenv("PAT_GRAPH_GENERATOR", "gpt-9")
    with pytest.raises(ConfigError, match=r"PAT_GRAPH_GENERATOR='gpt-9'.*cheap, local, strong"):
        studio_graph("pat")


def test_bad_sandbox_name_is_a_config_error(config, monkeypatch) -> None:
    monkeypatch.setenv("PAT_GRAPH_SANDBOX", "docker")
    with pytest.raises(ConfigError, match="PAT_GRAPH_SANDBOX"):
        studio_graph("pat")
