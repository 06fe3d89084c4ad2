"""Issue 14 from the command line: replay without the key, an offline miss named, `--seeds`,
`report --compare`, and cached/reasoning tokens priced and shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pat_graph.cli import main
from pat_graph.models.calls import sample
from pat_graph.models.config import ModelSpec, make_chat_model
from pat_graph.models.roles import RoleModel
from tests.support.fake_server import GatedStub, write_benchmark, write_config
from tests.support.fresh_cli import cli_in_fresh_interpreter
from tests.support.openai_stub import OpenAIStub

pytestmark = pytest.mark.integration
KEY = "PAT_I14_TEST_KEY"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_benchmark(tmp_path / "bench.jsonl", 3)
    return tmp_path


def run_args(name: str, *extra: str) -> list[str]:
    return ["run", "--benchmark", "bench.jsonl", "--generator", "fake", "--run", name,
            "--sandbox", "process", "--no-progress", "--budget", "n_samples=2",
            "--budget", "max_depth=1", *extra]  # fmt: skip


def test_replay_without_the_key_then_compare(workdir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(KEY, "secret")
    with GatedStub() as stub:
        write_config(workdir / "pat.toml", stub.base_url, key_env=KEY)
        assert main(run_args("orig")) == 0
        paid = stub.answered
        assert paid > 0
        monkeypatch.delenv(KEY)
        # no key, but every answer is in the store: the run finishes with zero requests
        assert main(run_args("again", "--replay", "orig")) == 0
        assert stub.answered == paid
        capsys.readouterr()
        # a changed knob needs new samples: the error names the problem and the missing key
        assert main(run_args("more", "--replay", "orig", "--budget", "n_samples=3")) == 1
        err = capsys.readouterr().err
        assert "needed a trial call" in err and KEY in err
        assert stub.answered == paid
    assert main(["report", "--json", "--run", "orig", "--run", "again"]) == 0
    orig, again = json.loads(capsys.readouterr().out)
    assert again["cost_paid_usd"] == 0.0 and again["cost_usd"] == orig["cost_usd"]
    assert again["pass_at_1_ci"] == orig["pass_at_1_ci"] and len(orig["pass_at_1_ci"]) == 2
    assert main(["report", "--run", "again"]) == 0
    text = capsys.readouterr().out
    assert "paid in this run" in text and "replayed from" in text and "pass@1 95% CI" in text
    assert main(["report", "--compare", "orig", "again"]) == 0
    text = capsys.readouterr().out
    assert "95% CI [+0.0, +0.0]" in text and "McNemar exact p = 1" in text
    assert main(["report", "--compare", "orig", "again", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["base"]["difference"] == 0 and result["base"]["cost_ratio"] == 1.0
    # The intervals and the McNemar test need no scipy: importing it took a second of every
    # report. The same commands in a fresh interpreter, then what they loaded.
    commands = [["report"], ["report", "--compare", "orig", "again"]]
    code, loaded, stderr = cli_in_fresh_interpreter(commands, ["scipy"], timeout=60)
    assert (code, loaded) == (0, []), stderr


def test_seeds_make_one_run_per_seed_and_compare_groups(workdir: Path, capsys) -> None:
    with OpenAIStub(["no code"]) as stub:
        write_config(workdir / "pat.toml", stub.base_url)
        assert main(run_args("s", "--seeds", "0,1", "--limit", "2", "--policy", "standard")) == 0
        sent = [b.get("seed") for b in stub.bodies]
    assert len(sent) >= 4 and None not in sent and len(set(sent)) == len(sent)
    assert main(["report", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert {(r["run"], r["seed"]) for r in runs} == {("s-seed0", 0), ("s-seed1", 1)}
    assert main(["report", "--compare", "s", "s", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["a"] == ["s-seed0", "s-seed1"] and result["base"]["seeds"] == [2, 2]


async def test_cached_and_reasoning_tokens_are_recorded_and_priced() -> None:
    usage = {"prompt_tokens": 100, "completion_tokens": 10,
             "prompt_tokens_details": {"cached_tokens": 60},
             "completion_tokens_details": {"reasoning_tokens": 4}}  # fmt: skip
    with OpenAIStub(["hello"], usage=usage) as stub:
        spec = ModelSpec(name="m", base_url=stub.base_url, model="m", input_price=1.0,
                         output_price=2.0, max_retries=0)  # fmt: skip
        model = RoleModel(make_chat_model(spec), "m", 1.0, 2.0, cached_input_price=0.25)
        _, [entry] = await sample(model, [], n=1, temperature=0, role="generator",
                                  purpose="trial", depth=0)  # fmt: skip
    assert entry["cached_tokens"] == 60 and entry["reasoning_tokens"] == 4
    # 40 fresh prompt tokens at $1, 60 cached at $0.25, 10 output at $2 (per 1M tokens)
    assert entry["cost_usd"] == pytest.approx((40 * 1.0 + 60 * 0.25 + 10 * 2.0) / 1e6)


def test_a_budget_that_is_not_positive_is_refused_before_anything(workdir: Path, capsys) -> None:
    assert main(run_args("x", "--max-cost-usd", "0")) == 2
    assert "--max-cost-usd must be a positive amount" in capsys.readouterr().err
    assert not (workdir / "runs.sqlite").exists()
