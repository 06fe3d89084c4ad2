"""Issue 22, item 8: bad input gets one clear line (exit 2) before any model call or database
write; `--planner` with a policy that never plans gets a warning and the run goes on.

Each class is tried across its members: every numeric field of a model's config, every float
knob of `--budget`, `--max-cost-usd`; prompts that do not parse or do not name the entry point;
run names that are empty, too long, hold control characters or `::`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.cli import main
from pat_graph.errors import BenchmarkError, ConfigError
from pat_graph.models.config import read_config
from tests.support.fake_server import GatedStub, write_benchmark
from tests.unit.test_cli_errors import config, one_error_line, run_args

BASE = ['base_url = "http://127.0.0.1:9/v1"', 'model = "m"']
NUMERIC = {  # field -> a good value (the other required fields get theirs)
    "input_price": "1.0", "output_price": "2.0", "cached_input_price": "0.5", "timeout": "30",
    "max_tokens": "256", "max_retries": "2", "context_window": "4096",
}  # fmt: skip
BAD = ["nan", "inf", "-inf", "-1", "-0.5"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_benchmark(tmp_path / "bench.jsonl", 2)
    return tmp_path


def toml(fields: dict[str, str]) -> str:
    return "\n".join(["[models.m]", *BASE, *(f"{k} = {v}" for k, v in fields.items())]) + "\n"


@pytest.mark.parametrize("field", sorted(NUMERIC))
@pytest.mark.parametrize("value", BAD)
def test_every_numeric_config_field_refuses_nan_inf_and_negatives(
    tmp_path: Path, field: str, value: str
) -> None:
    path = tmp_path / "pat.toml"
    path.write_text(toml({**NUMERIC, field: value}))
    with pytest.raises(ConfigError, match=rf"\[models\.m\]: {field} must be"):
        read_config(path)
    path.write_text(toml(NUMERIC))
    assert read_config(path).specs["m"].input_price == 1.0  # the good values pass


def test_a_nan_price_stops_run_with_one_line_before_any_request(workdir: Path, capsys) -> None:
    with GatedStub() as stub:
        config(workdir / "pat.toml", stub.base_url)
        text = (workdir / "pat.toml").read_text().replace("input_price = 1.0", "input_price = nan")
        (workdir / "pat.toml").write_text(text)
        assert main(run_args()) == 2
        assert not stub.requests
    line = one_error_line(capsys.readouterr().err)
    assert "input_price must be a number >= 0 (got nan, which is not a finite number)" in line
    assert not (workdir / "runs.sqlite").exists()


@pytest.mark.parametrize(
    "pair",
    ["timeout_s=NaN", "timeout_s=Infinity", "trial_temperature=NaN", "plan_temperature=-Infinity",
     "max_problem_cost_usd=NaN", "max_problem_cost_usd=Infinity", "max_problem_cost_usd=-1"],
)  # fmt: skip
def test_float_budgets_refuse_nan_inf_and_negative_caps(workdir: Path, capsys, pair: str) -> None:
    with GatedStub() as stub:
        config(workdir / "pat.toml", stub.base_url)
        assert main(run_args("--budget", pair)) == 2
        assert not stub.requests
    line = one_error_line(capsys.readouterr().err)
    assert pair.split("=")[0] in line
    assert not (workdir / "runs.sqlite").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_max_cost_usd_must_be_a_finite_positive_amount(workdir: Path, capsys, value) -> None:
    config(workdir / "pat.toml", "http://127.0.0.1:9/v1")
    assert main(run_args("--max-cost-usd", value)) == 2
    assert "--max-cost-usd must be a positive amount" in one_error_line(capsys.readouterr().err)


# ---- custom benchmark prompts ------------------------------------------------------------------


def row(prompt: str, entry_point: str = "add", kind: str = "function") -> dict:
    tests = [{"input": "1\n", "output": "1\n"}] if kind == "stdio" else ["assert add(1, 2) == 3"]
    return {"task_id": "t/1", "prompt": prompt, "entry_point": entry_point, "kind": kind,
            "tests": [], "hidden_tests": tests}  # fmt: skip


GOOD_PROMPTS = {
    "signature and docstring": 'def add(a, b):\n    """Add."""\n',
    "signature only": "def add(a, b):\n",
    "typed signature only": "def add(a: int, b: int) -> int:\n",
    "helpers before it": "import math\n\ndef _half(x):\n    return x / 2\n\ndef add(a, b):\n",
    "async": "async def add(a, b):\n",
    "mbpp style docstring": '"""\nWrite a function to add.\nassert add(1, 2) == 3\n"""\n',
    "a method-like header": "class K:\n    def add(self, a, b):\n",  # defines K, mentions add
}
BAD_PROMPTS = {
    "does not parse": ("def add(a, b)\n    return", "the prompt is not valid Python"),
    "unbalanced": ('def add(a, b):\n    """Add.\n', "the prompt is not valid Python"),
    "other function": (
        "def plus(a, b):\n",
        "entry_point 'add' is not defined in the prompt, which defines plus",
    ),
    "name nowhere": (
        '"""Write a function that sums two numbers."""\n',
        "entry_point 'add' appears nowhere in the prompt",
    ),
}


@pytest.mark.parametrize("case", sorted(GOOD_PROMPTS))
def test_function_prompts_that_name_their_entry_point_load(tmp_path: Path, case: str) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(json.dumps(row(GOOD_PROMPTS[case])) + "\n")
    assert [t.task_id for t in load_benchmark(path).tasks] == ["t/1"]


@pytest.mark.parametrize("case", sorted(BAD_PROMPTS))
def test_function_prompts_that_cannot_work_are_refused_naming_the_line(
    tmp_path: Path, case: str
) -> None:
    prompt, message = BAD_PROMPTS[case]
    path = tmp_path / "b.jsonl"
    path.write_text(json.dumps(row("def add(a, b):\n")) + "\n" + json.dumps(row(prompt)) + "\n")
    with pytest.raises(BenchmarkError) as info:
        load_benchmark(path)
    assert f"{path}:2" in str(info.value) and message in str(info.value)


def test_stdio_prompts_are_prose(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(json.dumps(row("Echo the number (no code here", "", "stdio")) + "\n")
    assert load_benchmark(path).tasks[0].problem.kind == "stdio"


def test_a_bad_prompt_is_one_line_from_the_cli(workdir: Path, capsys) -> None:
    (workdir / "bad.jsonl").write_text(json.dumps(row("def plus(a, b):\n")) + "\n")
    assert main(["evaluate", "--benchmark", "bad.jsonl", "--samples", "x.jsonl"]) == 2
    assert "bad.jsonl:1: entry_point 'add' is not defined" in one_error_line(
        capsys.readouterr().err
    )


# ---- run names ---------------------------------------------------------------------------------

BAD_NAMES = {
    "empty": ("", "the run name is empty"),
    "blank": ("   ", "the run name is empty"),
    "5000 characters": ("x" * 5000, "the run name has 5000 characters; use at most 200"),
    "newline": ("a\nb", "control characters (U+000A)"),
    "escape sequence": ("a\x1b[31mred", "control characters (U+001B)"),
    "tab": ("a\tb", "control characters (U+0009)"),
    "double colon": ("a::b", "'::' is not allowed in a run name"),
}


@pytest.mark.parametrize("case", sorted(BAD_NAMES))
def test_bad_run_names_are_refused_before_anything(workdir: Path, capsys, case: str) -> None:
    name, message = BAD_NAMES[case]
    with GatedStub() as stub:
        config(workdir / "pat.toml", stub.base_url)
        assert main(run_args(run=name)) == 2
        assert not stub.requests
    assert message in one_error_line(capsys.readouterr().err)
    assert not (workdir / "runs.sqlite").exists()


def test_a_200_character_name_is_fine(workdir: Path, capsys) -> None:
    with GatedStub() as stub:
        config(workdir / "pat.toml", stub.base_url)
        assert main(run_args(run="é" * 200)) == 0, capsys.readouterr().err


# ---- --planner with a policy that never plans --------------------------------------------------


@pytest.mark.parametrize("policy", ["standard", "best-of-n", "codet"])
def test_a_planner_for_a_policy_that_never_plans_is_a_warning(
    workdir: Path, capsys, policy: str
) -> None:
    with GatedStub() as stub:
        config(workdir / "pat.toml", stub.base_url)
        args = [a if a != "standard" else policy for a in run_args("--planner", "fake")]
        assert main(args) == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning: --policy")]
    assert warnings == [
        f"warning: --policy {policy} never plans, so --planner fake is not used (pat and pbt plan)"
    ]


def test_no_warning_when_the_policy_plans(workdir: Path, capsys) -> None:
    with GatedStub() as stub:
        config(workdir / "pat.toml", stub.base_url)
        args = [a if a != "standard" else "pat" for a in run_args("--planner", "fake")]
        assert main(args) == 0
    assert "never plans" not in capsys.readouterr().err
