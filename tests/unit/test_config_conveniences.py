"""Issue 22 item 12: where pat.toml is found, ${NAME} in it, the default key variable and
models without prices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pat_graph.cli import main
from pat_graph.errors import ConfigError
from pat_graph.models.config import (
    KEY_PLACEHOLDER,
    ModelSpec,
    key_source,
    load_config,
    read_config,
    resolve_api_key,
)
from pat_graph.models.substitute import expand, redact
from tests.support.fake_server import GatedStub, write_benchmark, write_config

ENTRY = 'base_url = "{url}"\nmodel = "m"\ninput_price = 1\noutput_price = 2\n'


def table(name: str, url: str = "http://h/v1", extra: str = "") -> str:
    return f"[models.{name}]\n" + ENTRY.format(url=url) + extra


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A working directory, a user config dir and a file for PAT_GRAPH_CONFIG, all empty."""
    work, xdg, other = tmp_path / "work", tmp_path / "xdg", tmp_path / "other"
    for folder in (work, xdg / "pat-graph", other):
        folder.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    return {"cwd": work / "pat.toml", "user": xdg / "pat-graph" / "pat.toml",
            "env": other / "env.toml", "flag": other / "flag.toml"}  # fmt: skip


# ----- lookup order: --config, PAT_GRAPH_CONFIG, ./pat.toml, the user config dir -----------
def test_lookup_order_takes_the_first_place_that_is_given_or_exists(places, monkeypatch) -> None:
    for name, path in places.items():
        path.write_text(table(f"from-{name}"))
    monkeypatch.setenv("PAT_GRAPH_CONFIG", str(places["env"]))
    assert "from-flag" in load_config(places["flag"])
    config = read_config()
    assert "from-env" in config.specs and "from-cwd" not in config.specs
    assert "named by PAT_GRAPH_CONFIG" in config.describe()
    monkeypatch.delenv("PAT_GRAPH_CONFIG")
    config = read_config()
    assert "from-cwd" in config.specs
    assert config.describe() == f"read {places['cwd']} (found in the working directory)"
    places["cwd"].unlink()
    config = read_config()
    assert "from-user" in config.specs and config.file == places["user"]
    assert "found in the user config dir" in config.describe()


def test_user_config_dir_defaults_to_dot_config(places, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    home_file = tmp_path / "home" / ".config" / "pat-graph" / "pat.toml"
    home_file.parent.mkdir(parents=True)
    home_file.write_text(table("at-home"))
    assert "at-home" in load_config()
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")  # ignored, as the XDG spec says
    assert "at-home" in load_config()


def test_nothing_found_says_where_it_looked(places) -> None:
    config = read_config()
    assert config.file is None
    text = config.describe()
    assert f"looked for {places['cwd']}, then {places['user']}" in text
    assert "--config" in text and "PAT_GRAPH_CONFIG" in text


def test_a_missing_file_named_by_the_variable_is_an_error(places, monkeypatch) -> None:
    monkeypatch.setenv("PAT_GRAPH_CONFIG", str(places["env"]))
    places["cwd"].write_text(table("here"))  # not used instead: the variable named a file
    with pytest.raises(ConfigError, match=r"config file not found.*PAT_GRAPH_CONFIG"):
        read_config()


# ----- ${NAME} substitution -------------------------------------------------------------------
def test_variables_are_expanded_in_strings_and_escaped_with_a_double_dollar(
    places, monkeypatch
) -> None:
    monkeypatch.setenv("PG_HOST", "gpu-box")
    monkeypatch.setenv("PG_MODEL", "Qwen/Qwen3-8B")
    places["cwd"].write_text(
        '[models.m]\nbase_url = "http://${PG_HOST}:8000/v1"\nmodel = "${PG_MODEL}"\n'
        'stop = ["$${PG_HOST}", "cost $5"]\ninput_price = 1\noutput_price = 2\n'
    )
    spec = load_config()["m"]
    assert spec.base_url == "http://gpu-box:8000/v1"
    assert spec.model == "Qwen/Qwen3-8B"
    assert spec.stop == ("${PG_HOST}", "cost $5")


def test_an_unset_variable_names_it_the_key_and_the_line_only_when_the_model_is_used(
    places, monkeypatch
) -> None:
    monkeypatch.delenv("PG_UNSET_HOST", raising=False)
    places["cwd"].write_text(
        table("fine")
        + '\n[models.remote]\nmodel = "m"\ninput_price = 1\noutput_price = 2\n'
        + 'base_url = "http://${PG_UNSET_HOST}/v1"\n'
    )
    config = read_config()
    assert "fine" in config.specs and "remote" not in config.specs  # the file still loads
    with pytest.raises(ConfigError) as info:
        config.specs["remote"]
    message = str(info.value)
    assert "[models.remote] (line 11): base_url uses ${PG_UNSET_HOST}" in message
    assert "PG_UNSET_HOST is not set" in message and "$${PG_UNSET_HOST}" in message
    with pytest.raises(ConfigError, match="PG_UNSET_HOST"):
        config.check_usable("remote")
    config.check_usable("fine")  # no error


@pytest.mark.parametrize(("value", "needle"), [("${1BAD}", "not an environment variable"),
                                               ("${OPEN", "unclosed")])  # fmt: skip
def test_malformed_references_are_errors(places, value, needle) -> None:
    places["cwd"].write_text(f'[models.m]\nbase_url = "http://h/v1"\nmodel = "{value}"\n')
    with pytest.raises(ConfigError, match=needle):
        load_config()


def test_errors_never_show_an_expanded_value(places, monkeypatch) -> None:
    secret = "sk-live-0123456789abcdef"
    monkeypatch.setenv("PG_SECRET_URL", f"ftp://user:{secret}@host/v1")
    places["cwd"].write_text(table("m", url="${PG_SECRET_URL}"))
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert "base_url is not an http(s) URL" in message
    assert secret not in message and "${PG_SECRET_URL}" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_expand_and_redact_directly() -> None:
    env = {"A": "alpha-value", "B": "x"}
    out, used = expand({"k": "${A}/${B}", "n": 3, "l": ["$${A}"]}, where="w", environ=env)
    assert out == {"k": "alpha-value/x", "n": 3, "l": ["${A}"]}
    assert redact("bad 'alpha-value/x' here", used) == "bad '${A}/x' here"  # "x": too short


# ----- api_key_env defaults to OPENAI_API_KEY ------------------------------------------------
def spec(url: str, key_env: str | None = None) -> ModelSpec:
    return ModelSpec(name="m", base_url=url, model="m", input_price=0, output_price=0,
                     api_key_env=key_env)  # fmt: skip


def test_without_api_key_env_a_remote_server_gets_openai_api_key(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-user")
    assert resolve_api_key(spec("https://api.openai.com/v1")) == "sk-user"
    assert resolve_api_key(spec("https://openrouter.ai/api/v1")) == "sk-user"
    assert "$OPENAI_API_KEY" in key_source(spec("https://openrouter.ai/api/v1"))


@pytest.mark.parametrize("url", ["http://localhost:8000/v1", "http://127.0.0.1:9/v1",
                                 "http://[::1]:8080/v1"])  # fmt: skip
def test_a_loopback_server_without_api_key_env_never_gets_the_users_key(url, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-user")
    assert resolve_api_key(spec(url)) == KEY_PLACEHOLDER
    monkeypatch.delenv("OPENAI_API_KEY")
    assert resolve_api_key(spec(url)) == KEY_PLACEHOLDER  # and it needs none
    assert "loopback" in key_source(spec(url))


def test_an_unset_default_variable_fails_only_where_a_key_is_certainly_needed(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is not set \\(api_key_env defaults"):
        resolve_api_key(spec("https://api.openai.com/v1"))
    # A keyless server on the LAN keeps working; one that wants a key refuses it at the probe.
    assert resolve_api_key(spec("http://gpu-box:8000/v1")) == KEY_PLACEHOLDER
    assert "which is not set" in key_source(spec("http://gpu-box:8000/v1"))


def test_empty_api_key_env_sends_no_key_and_an_explicit_one_must_be_set(places, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-user")
    places["cwd"].write_text(table("open", extra='api_key_env = ""\n'))
    assert resolve_api_key(load_config()["open"]) == KEY_PLACEHOLDER
    monkeypatch.delenv("PG_MY_KEY", raising=False)
    with pytest.raises(ConfigError, match=r'PG_MY_KEY is not set.*api_key_env = ""'):
        resolve_api_key(spec("http://localhost:1/v1", "PG_MY_KEY"))


# ----- prices only for the models a run uses --------------------------------------------------
def test_a_model_without_prices_loads_with_unknown_prices(places) -> None:
    places["cwd"].write_text('[models.free]\nbase_url = "http://h/v1"\nmodel = "m"\n')
    free = load_config()["free"]
    assert (free.input_price, free.output_price, free.has_prices) == (None, None, False)
    assert free.cost(1000, 1000) is None


def test_one_price_without_the_other_is_an_error(places) -> None:
    places["cwd"].write_text('[models.half]\nbase_url = "http://h/v1"\nmodel = "m"\n'
                             "input_price = 1\n")  # fmt: skip
    with pytest.raises(ConfigError, match="output_price is missing while input_price is set"):
        load_config()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [("rpm = 0\n", "rpm must be an integer >= 1"), ('tpm = "9"\n', "tpm must be an integer >= 1")],
)
def test_rate_limits_are_positive_integers(places, extra, needle) -> None:  # fmt: skip
    places["cwd"].write_text(table("m", extra=extra))
    with pytest.raises(ConfigError, match=needle):
        load_config()
    places["cwd"].write_text(table("m", extra="rpm = 60\ntpm = 90000\n"))
    assert (load_config()["m"].rpm, load_config()["m"].tpm) == (60, 90000)


# ----- through `pat-graph run` ----------------------------------------------------------------
def run_args(*extra: str) -> list[str]:
    return ["run", "--benchmark", "bench.jsonl", "--generator", "fake", "--run", "r",
            "--policy", "standard", "--no-progress", "--sandbox", "process", *extra]  # fmt: skip


@pytest.fixture
def bench(places) -> Path:
    write_benchmark(places["cwd"].parent / "bench.jsonl", 2)
    return places["cwd"]


def test_other_models_without_prices_or_with_unset_variables_do_not_stop_a_run(
    bench, monkeypatch, capsys
) -> None:
    monkeypatch.delenv("PG_NOT_HERE", raising=False)
    with GatedStub() as stub:
        write_config(bench, stub.base_url)
        with bench.open("a") as fh:
            fh.write(
                '\n[models.priceless]\nbase_url = "http://h/v1"\nmodel = "m"\n'
                '\n[models.elsewhere]\nbase_url = "http://${PG_NOT_HERE}/v1"\nmodel = "m"\n'
            )
        assert main(run_args()) == 0
        assert "warning" not in capsys.readouterr().err
        assert main([*run_args()[:4], "elsewhere", *run_args()[5:]]) == 2
        assert "PG_NOT_HERE is not set" in capsys.readouterr().err  # fmt: skip


def test_a_used_model_without_prices_warns_and_records_unknown_cost(bench, capsys) -> None:
    with GatedStub() as stub:
        bench.write_text(f'[models.fake]\nbase_url = "{stub.base_url}"\nmodel = "fake-model"\n'
                         "max_retries = 0\n")  # fmt: skip
        assert main([*run_args(), "--max-cost-usd", "1"]) == 2
        assert "--max-cost-usd needs prices, and model 'fake' has none" in capsys.readouterr().err
        assert main(run_args()) == 0
        err = capsys.readouterr().err
        assert "warning: model 'fake' has no prices" in err and "cost_unknown_calls" in err
    assert main(["report", "--json"]) == 0
    [summary] = json.loads(capsys.readouterr().out)
    assert summary["cost_usd"] is None and summary["cost_unknown_calls"] > 0
