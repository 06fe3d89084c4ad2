"""docs/embedding.md's examples (streaming tokens, counting tokens, tracing, progress events, a
subgraph in an app with its own checkpointer) run exactly as written, in order, like notebook
cells, with ChatOpenAI against a local OpenAI-compatible stub and the real sandbox."""

from __future__ import annotations

import ast
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from langchain_openai import ChatOpenAI

from tests.integration.test_langgraph_native import reply
from tests.support.openai_stub import OpenAIStub
from tests.unit.graph_fixtures import add_sq_problem

pytestmark = pytest.mark.integration

DOC = Path(__file__).resolve().parents[2] / "docs" / "embedding.md"
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```python\n(.*?)```", re.DOTALL)
NAMES = ["stream-tokens", "count-tokens", "tracing", "progress", "subgraph-checkpointer"]
NODES = {"generate", "build_tests", "verify", "plan", "implement_helper", "compose", "finalize"}


def examples() -> dict[str, str]:
    return dict(EXAMPLE.findall(DOC.read_text(encoding="utf-8")))


async def run_cell(code: str, namespace: dict[str, Any]) -> None:
    """Run a block with top-level `await`, as the asyncio REPL and notebooks do."""
    compiled = compile(code, "<embedding.md>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    outcome = eval(compiled, namespace)
    if outcome is not None:
        await outcome


def test_the_doc_has_every_example() -> None:
    assert list(examples()) == NAMES


async def test_the_examples_run_as_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cells = examples()
    with OpenAIStub([reply], model="stub") as stub:
        common = {"base_url": stub.base_url, "api_key": "not-needed", "max_retries": 0}
        # A real module, as a script or notebook has: type hints resolve in its namespace.
        module = types.ModuleType("embedding_examples")
        monkeypatch.setitem(sys.modules, module.__name__, module)
        ns: dict[str, Any] = module.__dict__
        ns.update(
            cheap_model=ChatOpenAI(model="gen", stream_usage=True, **common),
            strong_model=ChatOpenAI(model="plan", stream_usage=True, **common),
            problem=add_sq_problem(),
        )

        await run_cell(cells["stream-tokens"], ns)
        purposes = {purpose for purpose, _ in ns["pieces"]}
        assert {"trial", "tests", "plan"} <= purposes
        requests = len(stub.requests)
        assert len(ns["pieces"]) > requests  # one-sample requests came word by word

        await run_cell(cells["count-tokens"], ns)
        ledger = ns["result"].ledger
        assert ns["counter"].tokens == {
            model: {
                "input": sum(e["input_tokens"] for e in ledger if e["model"] == model),
                "output": sum(e["output_tokens"] for e in ledger if e["model"] == model),
            }
            for model in ("gen", "plan")
        }

        await run_cell(cells["tracing"], ns)
        traced = list(ns["requests"](ns["tracer"].traces[0]))
        assert len(traced) == len(ns["state"]["ledger"])
        assert {node for node, _, _ in traced} <= NODES and all(t > 0 for *_, t in traced)

        await run_cell(cells["progress"], ns)
        assert "planning_round" in ns["progress"] and ns["progress"][-1] == "solved"

        before = len(stub.requests)
        await run_cell(cells["subgraph-checkpointer"], ns)
        assert ns["paused"].next == ("review",) and ns["final"]["reviewed"] is True
        assert {b["model"] for b in stub.bodies[before:]} == {"gen", "plan"}
    out = capsys.readouterr().out
    assert "round 1: planner wrote square" in out and "('review',) True" in out
