"""`run` and `worker` check the command before they import the solver: a mistake is said in a
fraction of a second, not after LangGraph, LangChain and the OpenAI client have loaded (about
3 s; benchmarks/startup.py measures it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fresh_cli import cli_in_fresh_interpreter

REPO = Path(__file__).resolve().parents[2]
SOLVER = ("langgraph", "langchain_core", "langchain_openai", "openai")


def _probe(args: list[str], cwd: Path) -> tuple[int, list[str], str]:
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return cli_in_fresh_interpreter([args], SOLVER, cwd=cwd, env=env, timeout=60)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "--benchmark", "humaneval", "--generator", "nope", "--db", "r.sqlite",
          "--run", "r"],
         "unknown model 'nope'"),
        (["run", "--benchmark", "humaneval", "--generator", "local", "--run", "a::b",
          "--db", "r.sqlite"], "::"),
        (["run", "--benchmark", "humaneval", "--generator", "local", "--limit", "0",
          "--run", "r", "--db", "r.sqlite"],
         "--limit must be at least 1"),
        (["worker", "--db", "missing.sqlite", "--run", "r"], "missing.sqlite"),
    ],
)  # fmt: skip
def test_a_wrong_command_is_refused_before_the_solver_loads(
    tmp_path: Path, args: list[str], says: str
) -> None:
    code, loaded, stderr = _probe(args, tmp_path)
    assert code == 2, stderr
    assert says in stderr
    assert loaded == [], f"imported {loaded} before refusing the command"
    assert not (tmp_path / "r.sqlite").exists()  # and created nothing
