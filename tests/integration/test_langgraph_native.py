"""Issue 21's "done when", through the real client stack: every policy compiled with
`langchain_openai.ChatOpenAI` against a local OpenAI-compatible stub streams `messages`, shows
chat-model events with usage, gives a parent's callback handler the ledger's exact tokens, has
JSON schemas, and takes a `Problem` as input. Code runs in the real sandbox."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler, get_usage_metadata_callback
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import LLMResult
from langchain_openai import ChatOpenAI

from pat_graph import POLICIES, build_graph
from pat_graph.errors import LLMCallError
from pat_graph.graph import prompts
from pat_graph.models.config import ModelSpec, make_chat_model
from pat_graph.models.cost import request_count
from pat_graph.testing import fenced
from tests.support.openai_stub import OpenAIStub
from tests.unit.graph_fixtures import PLAN_ADD_SQ, WRONG_ADD_SQ, add_sq_problem

pytestmark = pytest.mark.integration

RIGHT_SQUARE = "def square(x: int) -> int:\n    return x * x"
PRICES = {"gen": (0.5, 1.5), "plan": (3.0, 15.0)}
# Each policy's sampling request: its task and n (one HTTP request with n, never n requests).
SAMPLING = {
    "standard": (prompts.TRIAL_TASK, 1),
    "best-of-n": (prompts.TRIAL_TASK, 5),
    "pat": (prompts.TRIAL_TASK, 5),
    "codet": (prompts.TRIAL_TASK, 11),
    "pbt": (prompts.CONQUER_TASK, 10),
}


def reply(body: dict[str, Any]) -> str:
    """A model that knows every pat-graph task: the trial of add_sq is wrong (so PaT plans), the
    helper `square` is right, tests and inputs are one line each."""
    last = str(body["messages"][-1]["content"])
    match = re.search(r"`([A-Za-z_]\w*)`", last)
    target = match.group(1) if match else ""
    square = target == "square"
    if last.startswith((prompts.TRIAL_TASK, prompts.CONQUER_TASK)):
        return fenced(RIGHT_SQUARE if square else WRONG_ADD_SQ)
    if last.startswith(prompts.EXAMPLES_TASK):  # the paper profile extracts the root's examples
        return fenced("assert add_sq(1, 2) == 5")
    if last.startswith(prompts.TESTS_TASK):
        return fenced("assert square(3) == 9" if square else "assert add_sq(2, 2) == 8")
    if last.startswith((prompts.CALLS_TASK, prompts.INPUTS_TASK)):
        return fenced("square(3)" if square else "add_sq(2, 2)")
    if last.startswith(prompts.PLAN_TASK):
        return fenced(PLAN_ADD_SQ)
    if last.startswith(prompts.DIVIDE_TASK):
        return fenced(RIGHT_SQUARE if square else PLAN_ADD_SQ)
    return "?"


class TokenCounter(BaseCallbackHandler):
    """A parent app's handler: tokens per model from each request's answer, as LangSmith and
    `on_chat_model_end` read them (the first generation's usage_metadata)."""

    def __init__(self) -> None:
        self.requests = 0
        self.tokens: dict[str, list[int]] = {}

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.requests += 1
        message = response.generations[0][0].message  # type: ignore[attr-defined]
        model = (response.llm_output or {}).get("model_name") or message.response_metadata.get(
            "model_name"
        )
        usage = message.usage_metadata or {"input_tokens": 0, "output_tokens": 0}
        seen = self.tokens.setdefault(model, [0, 0])
        seen[0] += usage["input_tokens"]
        seen[1] += usage["output_tokens"]


def models(stub: OpenAIStub, retries: int = 0) -> tuple[ChatOpenAI, ChatOpenAI]:
    """The generator streams (its server reports usage in streams); the planner does not."""
    common = {"base_url": stub.base_url, "api_key": "not-needed", "max_retries": retries}
    generator = ChatOpenAI(model="gen", stream_usage=True, **common)
    planner = ChatOpenAI(model="plan", **common)
    return generator, planner


def compiled(policy: str, stub: OpenAIStub, **budgets: Any):
    generator, planner = models(stub)
    return build_graph(
        policy, generator=generator, planner=planner, prices=PRICES, max_depth=2, **budgets
    ).compile()


@pytest.fixture
def stub():
    with OpenAIStub([reply], model="stub") as server:
        yield server


@pytest.mark.parametrize("policy", POLICIES)
async def test_messages_stream_and_handler_totals_equal_the_ledger(policy, stub) -> None:
    graph = compiled(policy, stub)
    counter = TokenCounter()
    chunks: list[AIMessageChunk] = []
    whole: list[AIMessage] = []
    tags: set[tuple[str, str]] = set()
    state: dict[str, Any] = {}
    async for ns, mode, data in graph.astream(
        {"problem": add_sq_problem()},  # a Problem object, not its dict
        {"callbacks": [counter]},
        stream_mode=["messages", "values"],
        subgraphs=True,
    ):
        if mode == "values" and not ns:
            state = data
        elif mode == "messages":
            message, meta = data
            (chunks if isinstance(message, AIMessageChunk) else whole).append(message)
            tags.add((meta["role"], meta["purpose"]))
    ledger = state["ledger"]
    assert chunks, "no token chunks streamed"
    task, n = SAMPLING[policy]
    assert ("generator", "conquer" if policy == "pbt" else "trial") in tags
    if policy in ("pat", "pbt"):
        assert ("planner", "plan" if policy == "pat" else "divide") in tags
    # The parent's handler and the ledger agree exactly, per model, request by request.
    assert counter.requests == len(ledger)
    assert counter.tokens == {
        name: [
            sum(e["input_tokens"] for e in ledger if e["model"] == name),
            sum(e["output_tokens"] for e in ledger if e["model"] == name),
        ]
        for name in {e["model"] for e in ledger}
    }
    assert all(e["usage_reported"] for e in ledger)
    # One HTTP request per ledger request: an n-sample trial went out once, with n, unstreamed.
    assert len(stub.requests) == request_count(ledger)
    sampling = [r.body for r in stub.requests if r.body["messages"][-1]["content"].startswith(task)]
    assert sampling and all(b.get("n", 1) == n for b in sampling)
    assert all(bool(b.get("stream")) is (n == 1) for b in sampling)
    # The state stays JSON (the Problem input became its dict).
    assert state["problem"]["task_id"] == "t/add_sq"
    json.dumps(state)


@pytest.mark.parametrize("policy", POLICIES)
async def test_chat_model_events_carry_usage_and_schemas_work(policy, stub) -> None:
    graph = compiled(policy, stub)
    ends = []
    async for event in graph.astream_events({"problem": add_sq_problem()}, version="v2"):
        if event["event"] == "on_chat_model_end":
            ends.append(event)
    assert ends
    for event in ends:
        usage = event["data"]["output"].usage_metadata
        assert usage and usage["input_tokens"] > 0 and usage["output_tokens"] > 0
        assert event["metadata"]["purpose"] and event["metadata"]["langgraph_node"]
    assert len(ends) == len(stub.requests)  # every request an event, each request once
    for schema in (graph.get_input_jsonschema(), graph.get_output_jsonschema()):
        assert schema["properties"]["problem"]
    assert "verify" in graph.get_graph().draw_mermaid()


async def test_langchains_usage_callback_matches_the_ledger_with_configured_models(stub) -> None:
    """`get_usage_metadata_callback()` counts only answers that name their model; the models
    pat-graph builds from pat.toml name it on every choice (plain ChatOpenAI does not for n>1)."""
    spec = ModelSpec(
        name="gen", base_url=stub.base_url, model="gen", input_price=0.5, output_price=1.5,
        max_retries=0,
    )  # fmt: skip
    graph = build_graph("pat", generator=make_chat_model(spec), max_depth=1).compile()
    with get_usage_metadata_callback() as counter:
        state = await graph.ainvoke({"problem": add_sq_problem()})
    ledger = state["ledger"]
    assert any(e["samples"] == 5 for e in ledger)  # the n-sample trial is counted too
    assert counter.usage_metadata["gen"]["input_tokens"] == sum(e["input_tokens"] for e in ledger)
    assert counter.usage_metadata["gen"]["output_tokens"] == sum(e["output_tokens"] for e in ledger)


async def test_pat_plans_through_the_stub_and_verifies(stub) -> None:
    graph = compiled("pat", stub)
    state = await graph.ainvoke({"problem": add_sq_problem()})
    assert state["final"]["verified"] is True and "square" in state["helpers"]
    assert any(e["role"] == "planner" for e in state["ledger"])


async def test_a_transport_error_is_retried_by_the_client_alone(stub) -> None:
    # One retry layer (DESIGN.md section 4): the client's max_retries, streamed or not.
    generator, _ = models(stub, retries=1)
    graph = build_graph("standard", generator=generator, max_depth=0).compile()
    stub.fail(500, times=1)
    chunks = 0
    async for _ in graph.astream({"problem": add_sq_problem()}, stream_mode="messages"):
        chunks += 1
    assert chunks > 0 and len(stub.requests) == 2  # the failed request and its one retry

    generator, _ = models(stub, retries=0)
    graph = build_graph("standard", generator=generator).compile()
    stub.fail(500, times=1)
    before = len(stub.requests)
    with pytest.raises(LLMCallError, match="gen"):
        await graph.ainvoke({"problem": add_sq_problem()})
    assert len(stub.requests) == before + 1  # no graph-level retry on top
