"""Retries, 429s and errors under the OpenAI client reach each request's ledger entry (issue 22).

The model clients are the real ones (`make_chat_model`), talking to loopback servers that answer
429 with Retry-After and 500s; the counts are compared with what the servers actually sent.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from pat_graph.errors import LLMCallError
from pat_graph.models.calls import record_calls, sample
from pat_graph.models.config import ModelSpec, make_chat_model
from pat_graph.models.cost import summarize
from pat_graph.models.roles import RoleModel
from pat_graph.models.transport import wire_summary
from tests.support.faulty_server import FaultyServer
from tests.support.openai_stub import OpenAIStub


def role_model(base_url: str, *, retries: int, api: str = "chat") -> RoleModel:
    spec = ModelSpec(
        name="m", base_url=base_url, model="stub-model", input_price=1.0, output_price=2.0,
        max_retries=retries, timeout=10.0, api=api,  # type: ignore[arg-type]
    )  # fmt: skip
    return RoleModel(make_chat_model(spec), "m", 1.0, 2.0)


async def ask(model: RoleModel, n: int = 1, role: str = "generator") -> list[dict[str, Any]]:
    _, entries = await sample(
        model, [HumanMessage("hi")], n=n, temperature=0.0, role=role, purpose="trial", depth=0
    )
    return entries


async def test_429s_and_500s_that_were_retried_are_counted_on_the_request() -> None:
    with OpenAIStub(["fine"]) as stub:
        model = role_model(stub.base_url, retries=4)
        stub.fail(429, 2)
        stub.fail(500, 1)
        [entry] = await ask(model)
        assert len(stub.requests) == 4  # three failures, then the answer
        assert entry["attempts"] == 4
        assert entry["retries"] == 3
        assert entry["rate_limited"] == 2
        assert entry["server_errors"] == 1
        assert "connection_errors" not in entry
        [clean] = await ask(model)  # a request that needed nothing carries no wire keys
        assert not {"attempts", "retries", "rate_limited", "server_errors"} & set(clean)


async def test_a_request_that_failed_after_its_retries_is_recorded_as_failed() -> None:
    seen: list[dict[str, Any]] = []

    async def sink(entry: dict[str, Any]) -> None:
        seen.append(entry)

    with OpenAIStub(["fine"]) as stub:
        model = role_model(stub.base_url, retries=1)
        stub.fail(503, 2)
        with record_calls(sink), pytest.raises(LLMCallError):
            await ask(model, role="planner")
        [failed] = seen
        assert failed["failed"] is True and failed["role"] == "planner"
        assert failed["attempts"] == 2 and failed["retries"] == 1
        assert failed["server_errors"] == 2
        assert "503" in failed["error"] or "Service" in failed["error"]
        # It stands for no answered request: calls, tokens and cost stay as they were.
        assert failed["requests"] == 0 and failed["cost_usd"] == 0.0
        with record_calls(sink):
            await ask(model)
        ok = seen[-1]
        assert ok["duration_s"] >= 0 and "failed" not in ok
        bill = summarize([failed, ok])
        assert bill["llm_calls"] == {"generator": 1, "planner": 0}
        assert bill["cost_unknown_calls"] == 0
        counts = wire_summary([failed, ok])
        assert counts["planner"]["failed_requests"] == 1
        assert counts["planner"]["server_errors"] == 2
        assert counts["generator"]["failed_requests"] == 0


async def test_counts_match_a_server_with_retry_after_and_intermittent_500s() -> None:
    """FaultyServer draws 429 (with a Retry-After header) and 500 at random; every one it sent
    is in some ledger entry, and the attempts add up to the requests it received."""

    def respond(purpose: str, target: str) -> str:
        return "```python\ndef f():\n    return 1\n```"

    with FaultyServer(
        respond, fault_rate=0.35, seed=2, faults=("http429", "http500"), retry_after_s=1
    ) as server:
        model = role_model(server.base_url, retries=6)
        entries = [e for _ in range(6) for e in await ask(model)]
        faults = [x.fault for x in server.exchanges]
    assert faults.count("http429") >= 1 and faults.count("http500") >= 1  # the seed's draw
    assert sum(e.get("rate_limited", 0) for e in entries) == faults.count("http429")
    assert sum(e.get("server_errors", 0) for e in entries) == faults.count("http500")
    assert sum(e.get("attempts", 1) for e in entries) == len(faults)
    assert sum(e.get("retries", 0) for e in entries) == len(faults) - len(entries)
    counts = wire_summary(entries)["generator"]
    assert counts["rate_limited"] == faults.count("http429")
    assert counts["retried_requests"] == sum(1 for e in entries if e.get("retries"))


async def test_the_completion_api_client_is_counted_too() -> None:
    with OpenAIStub(["x = 1"]) as stub:
        model = role_model(stub.base_url, retries=3, api="completion")
        stub.fail(429, 1)
        [entry] = await ask(model)
        assert stub.requests[-1].path.endswith("/completions")
        assert entry["rate_limited"] == 1 and entry["retries"] == 1
