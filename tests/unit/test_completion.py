"""The completion adapter for base models: transcript rendering, request shape, usage, n."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from pat_graph.models.completion import (
    ASSISTANT_HEADER,
    TURN_STOPS,
    USER_HEADER,
    CompletionChatModel,
    add_usage,
    render_transcript,
)
from pat_graph.models.config import ModelSpec, make_chat_model
from tests.support.openai_stub import OpenAIStub

FEW_SHOT = [
    SystemMessage("You write Python."),
    HumanMessage("def add(a, b):"),
    AIMessage("```python\ndef add(a, b):\n    return a + b\n```"),
    HumanMessage("def neg(x):"),
]


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub(["alpha beta gamma delta"]) as server:
        yield server


def model_for(stub: OpenAIStub, **fields) -> CompletionChatModel:
    return CompletionChatModel(model="base", base_url=stub.base_url, **fields)


def test_few_shot_renders_as_alternating_turns_not_system_text() -> None:
    prompt, prefill = render_transcript(FEW_SHOT)
    assert prefill == ""
    assert prompt == (
        "You write Python.\n\n"
        f"{USER_HEADER}\ndef add(a, b):\n\n"
        f"{ASSISTANT_HEADER}\n```python\ndef add(a, b):\n    return a + b\n```\n\n"
        f"{USER_HEADER}\ndef neg(x):\n\n"
        f"{ASSISTANT_HEADER}\n"
    )
    assert prompt.count(USER_HEADER) == 2 and prompt.count(ASSISTANT_HEADER) == 2


def test_trailing_ai_message_is_a_prefill_the_model_continues() -> None:
    prompt, prefill = render_transcript([HumanMessage("q"), AIMessage("```python\n")])
    assert prefill == "```python\n"
    assert prompt.endswith(f"{ASSISTANT_HEADER}\n```python\n")


def test_no_system_message_means_no_preamble() -> None:
    prompt, _ = render_transcript([HumanMessage("q")])
    assert prompt == f"{USER_HEADER}\nq\n\n{ASSISTANT_HEADER}\n"


async def test_request_carries_prompt_limits_stops_and_sampling(stub) -> None:
    model = model_for(stub, max_tokens=50, stop=["<END>"])
    await model.agenerate([FEW_SHOT], n=2, temperature=0.8, seed=3)
    body = stub.bodies[-1]
    assert stub.requests[-1].path == "/v1/completions"
    assert body["prompt"] == render_transcript(FEW_SHOT)[0]
    assert (body["n"], body["temperature"], body["seed"], body["max_tokens"]) == (2, 0.8, 3, 50)
    assert set(TURN_STOPS) | {"<END>"} == set(body["stop"])


async def test_max_tokens_per_call_overrides_and_is_enforced_by_the_server(stub) -> None:
    model = model_for(stub, max_tokens=50)
    result = await model.agenerate([[HumanMessage("q")]], max_tokens=2)
    assert stub.bodies[-1]["max_tokens"] == 2
    generation = result.generations[0][0]
    assert generation.message.content == "alpha beta"
    assert generation.generation_info["finish_reason"] == "length"


async def test_usage_is_the_servers_and_the_prompt_is_billed_once(stub) -> None:
    stub.script("one", "two three", "four five six")
    result = await model_for(stub).agenerate([[HumanMessage("a b c d")]], n=3)
    server = stub.responses[-1]["usage"]
    assert len(stub.requests) == 1 and len(result.generations[0]) == 3
    usage = result.llm_output["token_usage"]
    assert usage["prompt_tokens"] == server["prompt_tokens"]
    assert usage["completion_tokens"] == server["completion_tokens"] == 6
    for generation in result.generations[0]:
        meta = generation.message.usage_metadata
        assert meta["input_tokens"] == server["prompt_tokens"]
        assert meta["output_tokens"] == server["completion_tokens"]


async def test_fixed_server_usage_is_reported_verbatim() -> None:
    with OpenAIStub(["x"], usage={"prompt_tokens": 123, "completion_tokens": 45}) as stub:
        result = await model_for(stub).agenerate([[HumanMessage("q")]])
    assert result.llm_output["token_usage"]["prompt_tokens"] == 123
    assert result.llm_output["token_usage"]["completion_tokens"] == 45


async def test_server_ignoring_n_is_topped_up_like_llama_cpp() -> None:
    with OpenAIStub(["s1", "s2 s2", "s3", "s4", "s5"], honour_n=False) as stub:
        result = await model_for(stub, seed=10).agenerate([[HumanMessage("q r")]], n=5)
    assert [g.message.content for g in result.generations[0]] and len(result.generations[0]) == 5
    assert len(stub.requests) == 5 and result.llm_output["requests"] == 5
    assert sorted(b["seed"] for b in stub.bodies) == [10, 11, 12, 13, 14]
    total = {"prompt_tokens": 0, "completion_tokens": 0}
    for response in stub.responses:
        total = {k: total[k] + response["usage"][k] for k in total}
    usage = result.llm_output["token_usage"]
    assert {k: usage[k] for k in total} == total


async def test_prefill_is_part_of_the_answer(stub) -> None:
    stub.script("return -x\n```")
    result = await model_for(stub).agenerate([[HumanMessage("q"), AIMessage("```python\n")]])
    assert result.generations[0][0].message.content == "```python\nreturn -x\n```"


async def test_several_prompts_sum_usage(stub) -> None:
    result = await model_for(stub).agenerate([[HumanMessage("a")], [HumanMessage("b c")]])
    expected = sum(r["usage"]["prompt_tokens"] for r in stub.responses)
    assert result.llm_output["token_usage"]["prompt_tokens"] == expected
    assert len(result.generations) == 2


def test_sync_invoke_uses_the_same_request_shape(stub) -> None:
    reply = model_for(stub, max_tokens=3).invoke([HumanMessage("q")])
    assert reply.content == "alpha beta gamma"
    assert stub.bodies[-1]["max_tokens"] == 3
    assert reply.usage_metadata["output_tokens"] == 3


async def test_registry_builds_the_adapter_for_completion_specs(stub) -> None:
    spec = ModelSpec(
        name="b",
        base_url=stub.base_url,
        model="base",
        input_price=0,
        output_price=0,
        api="completion",
        max_tokens=9,
    )
    model = make_chat_model(spec)
    assert isinstance(model, CompletionChatModel)
    await model.ainvoke("q")
    assert stub.bodies[-1]["max_tokens"] == 9


def test_add_usage_sums_nested_details_and_keeps_labels() -> None:
    a = {"prompt_tokens": 1, "details": {"cached": 2}, "note": "x"}
    b = {"prompt_tokens": 3, "details": {"cached": 1}, "note": "y", "extra": None}
    assert add_usage(a, b) == {
        "prompt_tokens": 4,
        "details": {"cached": 3},
        "note": "x",
        "extra": None,
    }
