"""Config validation: every mistake fails early, naming the file, the model and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from pat_graph.errors import ConfigError, PatError
from pat_graph.models.config import (
    LOCAL,
    ModelSpec,
    load_config,
    make_chat_model,
    sends_legacy_max_tokens,
)

GOOD = """
[models.qwen3-8b]
base_url = "http://localhost:8000/v1/"
model = "Qwen/Qwen3-8B"
api_key_env = "VLLM_API_KEY"
input_price = 0.3
output_price = 1.2
max_tokens = 2048

[models.base]
base_url = "http://localhost:8080/v1"
model = "tiny"
api = "completion"
input_price = 0
output_price = 0
stop = ["\\nEND"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pat.toml"
    path.write_text(text)
    return path


def test_missing_default_file_means_only_the_builtin_local(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    specs = load_config()
    assert list(specs) == [LOCAL]
    local = specs[LOCAL]
    assert (local.api, local.input_price, local.output_price) == ("completion", 0.0, 0.0)


def test_missing_explicit_file_is_an_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load_config(tmp_path / "nope.toml")


def test_valid_file_is_parsed_with_defaults(tmp_path) -> None:
    specs = load_config(write(tmp_path, GOOD))
    assert set(specs) == {LOCAL, "qwen3-8b", "base"}
    qwen = specs["qwen3-8b"]
    assert qwen.base_url == "http://localhost:8000/v1"  # trailing slash dropped
    assert (qwen.api, qwen.max_tokens, qwen.api_key_env) == ("chat", 2048, "VLLM_API_KEY")
    assert (qwen.input_price, qwen.output_price) == (0.3, 1.2)
    base = specs["base"]
    assert (base.api, base.stop, base.max_retries, base.api_key_env) == (
        "completion",
        ("\nEND",),
        2,
        None,
    )


def test_default_file_is_read_from_cwd(tmp_path, monkeypatch) -> None:
    write(tmp_path, GOOD)
    monkeypatch.chdir(tmp_path)
    assert "qwen3-8b" in load_config()


ENTRY = 'base_url = "http://h/v1"\nmodel = "m"\ninput_price = 1\noutput_price = 2\n'


@pytest.mark.parametrize(
    ("extra", "drop", "needle"),
    [
        ('api = "responses"\n', None, "api"),
        ("", "input_price", "input_price is missing"),
        ("", "model", "model is missing"),
        ("max_tokens = 0\n", None, "max_tokens"),
        ("max_tokens = 10.5\n", None, "max_tokens"),
        ("max_retries = -1\n", None, "max_retries"),
        ("timeout = 0\n", None, "timeout"),
        ('api_key_env = "sk-123abc"\n', None, "api_key_env"),
        ("temperature = 0.2\n", None, "unknown key(s) temperature"),
        ("stop = [1]\n", None, "stop"),
        ("context_window = -5\n", None, "context_window"),
    ],
)
def test_invalid_fields_name_file_model_and_key(tmp_path, extra, drop, needle) -> None:
    lines = [ln for ln in ENTRY.splitlines(keepends=True) if not drop or not ln.startswith(drop)]
    path = write(tmp_path, "[models.m1]\n" + "".join(lines) + extra)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert "[models.m1]" in message
    assert needle in message


@pytest.mark.parametrize("price", ["-0.5", "true", '"cheap"'])
def test_negative_or_non_numeric_price_is_rejected(tmp_path, price) -> None:
    text = ENTRY.replace("output_price = 2", f"output_price = {price}")
    path = write(tmp_path, "[models.m1]\n" + text)
    with pytest.raises(ConfigError, match=r"output_price must be a number >= 0.*price page"):
        load_config(path)


def test_bad_base_url_is_rejected(tmp_path) -> None:
    path = write(tmp_path, "[models.m1]\n" + ENTRY.replace("http://h/v1", "localhost:8000"))
    with pytest.raises(ConfigError, match="base_url is not an http"):
        load_config(path)


def test_redefining_local_is_rejected(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"\[models.local\] is the built-in"):
        load_config(write(tmp_path, "[models.local]\n" + ENTRY))


def test_invalid_toml_names_the_file(tmp_path) -> None:
    path = write(tmp_path, "[models.x\nmodel = ")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_config_error_is_a_pat_error() -> None:
    assert issubclass(ConfigError, PatError)


def test_missing_api_key_env_var_names_the_variable(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("VLLM_API_KEY", raising=False)
    spec = load_config(write(tmp_path, GOOD))["qwen3-8b"]
    with pytest.raises(ConfigError, match="VLLM_API_KEY is not set"):
        make_chat_model(spec)


def test_local_without_a_running_server_says_how_to_start_it() -> None:
    with pytest.raises(ConfigError, match="LocalServer"):
        make_chat_model(load_config(None)[LOCAL])


def test_cost_is_usd_per_million_tokens() -> None:
    spec = ModelSpec(name="m", base_url="http://h", model="m", input_price=0.3, output_price=1.2)
    assert spec.cost(1_000_000, 0) == pytest.approx(0.3)
    assert spec.cost(2_000, 500) == pytest.approx((2_000 * 0.3 + 500 * 1.2) / 1e6)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.openai.com/v1", False),
        ("http://localhost:8000/v1", True),
        ("https://openrouter.ai/api/v1", True),
        (None, False),
    ],
)
def test_legacy_max_tokens_only_off_for_openai_itself(url, expected) -> None:
    assert sends_legacy_max_tokens(url) is expected
