"""The chat path (ChatOpenAI) against the loopback stub: what really goes over the wire."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from langchain_core.messages import HumanMessage

from pat_graph.models.config import ModelSpec, make_chat_model
from pat_graph.models.openai_chat import ChatOpenAICompat
from tests.support.openai_stub import OpenAIStub

LONG = "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10"


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub([LONG]) as server:
        yield server


def spec_for(stub: OpenAIStub, **fields) -> ModelSpec:
    base = {
        "name": "m",
        "base_url": stub.base_url,
        "model": "stub-model",
        "input_price": 1.0,
        "output_price": 2.0,
        "max_tokens": 4,
    }
    return ModelSpec(**{**base, **fields})


async def test_max_tokens_reaches_a_non_openai_server(stub) -> None:
    model = make_chat_model(spec_for(stub, max_tokens=4))
    reply = await model.ainvoke([HumanMessage("hi")])
    body = stub.bodies[-1]
    assert body["max_tokens"] == 4  # the field llama.cpp honours
    assert body["max_completion_tokens"] == 4
    assert reply.content == "w1 w2 w3 w4"  # the stub, like llama.cpp, obeyed max_tokens


async def test_per_call_max_tokens_is_mirrored_too(stub) -> None:
    model = make_chat_model(spec_for(stub, max_tokens=4))
    await model.agenerate([[HumanMessage("hi")]], max_tokens=2)
    assert stub.bodies[-1]["max_tokens"] == 2


def test_openai_itself_gets_only_max_completion_tokens() -> None:
    model = ChatOpenAICompat(
        model="gpt-4.1-mini", api_key="k", max_tokens=7, legacy_max_tokens=False
    )
    payload = model._get_request_payload([HumanMessage("hi")])
    assert payload["max_completion_tokens"] == 7
    assert "max_tokens" not in (payload.get("extra_body") or {})


async def test_n_samples_bill_the_prompt_once(stub) -> None:
    stub.script("a b", "c d e", "f")
    model = make_chat_model(spec_for(stub))
    result = await model.agenerate([[HumanMessage("one two three")]], n=3, temperature=0.8)
    assert len(stub.requests) == 1
    assert stub.bodies[0]["n"] == 3 and stub.bodies[0]["temperature"] == 0.8
    server_usage = stub.responses[0]["usage"]
    usage = result.llm_output["token_usage"]
    assert usage["prompt_tokens"] == server_usage["prompt_tokens"] == 3
    assert usage["completion_tokens"] == server_usage["completion_tokens"] == 6
    assert [g.message.content for g in result.generations[0]] == ["a b", "c d e", "f"]


async def test_server_ignoring_n_is_topped_up_with_distinct_seeds() -> None:
    with OpenAIStub(["x y", "z"], honour_n=False) as stub:
        model = make_chat_model(spec_for(stub))
        result = await model.agenerate([[HumanMessage("p q")]], n=3, seed=7)
    assert len(result.generations[0]) == 3
    assert sorted(b["seed"] for b in stub.bodies) == [7, 8, 9]
    usage = result.llm_output["token_usage"]
    assert usage["prompt_tokens"] == sum(r["usage"]["prompt_tokens"] for r in stub.responses)
    assert usage["completion_tokens"] == sum(
        r["usage"]["completion_tokens"] for r in stub.responses
    )


async def test_streaming_reports_usage(stub) -> None:
    model = make_chat_model(spec_for(stub, max_tokens=3))
    chunks = [chunk async for chunk in model.astream([HumanMessage("a b c d")])]
    assert stub.bodies[-1]["stream_options"] == {"include_usage": True}
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.content == "w1 w2 w3"
    assert merged.usage_metadata["input_tokens"] == stub.responses[-1]["usage"]["prompt_tokens"]
    assert merged.usage_metadata["output_tokens"] == 3


async def test_transport_errors_are_retried_by_the_client_only(stub) -> None:
    model = make_chat_model(spec_for(stub, max_retries=2))
    stub.fail(503, times=2)
    reply = await model.ainvoke([HumanMessage("hi")])
    assert reply.content and len(stub.requests) == 3  # 1 try + 2 client retries

    stub.requests.clear()
    stub.fail(503, times=5)
    with pytest.raises(openai.InternalServerError):
        await model.ainvoke([HumanMessage("hi")])
    assert len(stub.requests) == 3  # no second retry layer multiplying attempts


async def test_api_key_comes_from_the_named_env_var_and_openai_key_never_leaks(
    stub, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-user-openai-secret")
    monkeypatch.setenv("MY_KEY", "sk-configured")
    await make_chat_model(spec_for(stub, api_key_env="MY_KEY")).ainvoke("hi")
    await make_chat_model(spec_for(stub)).ainvoke("hi")
    auth = [r.headers.get("authorization") for r in stub.requests]
    assert auth[0] == "Bearer sk-configured"
    assert "sk-user-openai-secret" not in auth[1]
