"""Issue 20 item 4: requests allow at least 8192 output tokens unless the model's config sets
`max_tokens`, and every run records (and `report` shows) whether `/no_think` was sent, baselines
included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pat_graph.cli import main
from pat_graph.graph.budgets import budgets_for
from pat_graph.models.config import LOCAL_SPEC, read_config, with_max_tokens_floor
from tests.support.fake_server import GatedStub, write_benchmark, write_config


def test_the_floor_yields_to_a_configured_max_tokens(tmp_path: Path) -> None:
    assert budgets_for("standard").max_tokens_floor == 8192
    config = tmp_path / "pat.toml"
    write_config(config, "http://127.0.0.1:9/v1")
    spec = read_config(str(config)).specs["fake"]
    assert (spec.max_tokens, spec.max_tokens_set) == (1024, False)
    assert with_max_tokens_floor(spec, 8192).max_tokens == 8192
    assert with_max_tokens_floor(spec, 0).max_tokens == 1024  # --budget max_tokens_floor=0
    config.write_text(config.read_text() + "max_tokens = 512\n")
    own = read_config(str(config)).specs["fake"]
    assert own.max_tokens_set and with_max_tokens_floor(own, 8192).max_tokens == 512
    assert with_max_tokens_floor(LOCAL_SPEC, 8192).max_tokens == LOCAL_SPEC.max_tokens


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_benchmark(tmp_path / "bench.jsonl", 1)
    return tmp_path


def _run(run: str, *extra: str) -> list[str]:
    return ["run", "--benchmark", "bench.jsonl", "--generator", "fake", "--run", run,
            "--no-progress", "--sandbox", "process", "--policy", "standard", *extra]  # fmt: skip


def _limits(stub: GatedStub) -> set[int]:
    limits = set()
    for request in stub.requests:
        body = request.body
        limits.add(int(body.get("max_tokens") or body.get("max_completion_tokens") or 0))
    return limits


@pytest.mark.parametrize(("own", "profile", "sent"), [
    (None, "paper", 8192), (512, "paper", 512), (None, "strict", 8192),
])  # fmt: skip
def test_requests_carry_the_floor_and_report_shows_no_think(
    workdir: Path, capsys, own: int | None, profile: str, sent: int
) -> None:
    with GatedStub() as stub:
        config = write_config(workdir / "pat.toml", stub.base_url)
        if own is not None:
            config.write_text(config.read_text() + f"max_tokens = {own}\n")
        assert main(_run("r", "--profile", profile)) == 0
        assert stub.requests and _limits(stub) == {sent}
        first, shot = stub.requests[0].body["messages"][:2]
        assert first["content"].startswith("/no_think") == (profile == "paper")
        # on the wire, the paper profile's example turns are system messages named "user"
        wanted = {"role": "system", "name": "user"} if profile == "paper" else {"role": "user"}
        assert {k: shot[k] for k in ("role", "name") if k in shot} == wanted
    capsys.readouterr()
    assert main(["report", "--json"]) == 0
    [summary] = json.loads(capsys.readouterr().out)
    assert summary["no_think"] is (profile == "paper") and summary["policy"] == "standard"
    assert main(["report"]) == 0
    shown = "sent (system prompts start with /no_think)" if profile == "paper" else "not sent"
    assert shown in capsys.readouterr().out
