"""The real embedded model (Gemma 3 270M under llama.cpp's server) through pat-graph's clients.

Greedy decoding (temperature 0) is deterministic on llama.cpp, so a raw HTTP request with the
same prompt is a second, independent reading of what the server reports.
"""

from __future__ import annotations

import importlib.util
import json
import urllib.request
from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from pat_graph.models.completion import CompletionChatModel, render_transcript
from pat_graph.models.config import LOCAL, load_config, make_chat_model
from pat_graph.models.local import LocalServer, live_group_members

pytestmark = [
    pytest.mark.integration,
    pytest.mark.local_model,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama_cpp not importable: pip install 'pat-graph[local]' to run these",
    ),
]

FEW_SHOT = [
    SystemMessage("Complete the Python function."),
    HumanMessage('def add(a, b):\n    """Return a + b."""'),
    AIMessage("```python\ndef add(a, b):\n    return a + b\n```"),
    HumanMessage('def is_even(n):\n    """Return True if n is even."""'),
]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture
def model(server: LocalServer) -> CompletionChatModel:
    built = make_chat_model(load_config(None)[LOCAL], base_url_override=server.base_url)
    assert isinstance(built, CompletionChatModel)
    return built


def raw_completion(server: LocalServer, body: dict) -> dict:
    request = urllib.request.Request(
        server.base_url + "/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


async def test_max_tokens_limit_holds(model) -> None:
    result = await model.agenerate([FEW_SHOT], max_tokens=16, temperature=0.8)
    usage = result.llm_output["token_usage"]
    assert 0 < usage["completion_tokens"] <= 16
    assert usage["prompt_tokens"] > 20  # the few-shot transcript really was sent


async def test_usage_recorded_equals_the_servers_response(model, server) -> None:
    result = await model.agenerate([FEW_SHOT], max_tokens=16, temperature=0.0, seed=1)
    # the same prompt the adapter sends: transcript, plus the opened code fence it prefills
    prompt, prefill, stop = model._render(list(FEW_SHOT), None)
    assert prompt.startswith(render_transcript(FEW_SHOT)[0]) and prompt.endswith(prefill)
    body = {"prompt": prompt, "max_tokens": 16, "temperature": 0.0, "seed": 1}
    raw = raw_completion(server, {**body, "stop": model._params(stop, {})[1]["stop"]})
    assert result.generations[0][0].message.content == prefill + raw["choices"][0]["text"]
    usage = result.llm_output["token_usage"]
    assert usage["prompt_tokens"] == raw["usage"]["prompt_tokens"]
    assert usage["completion_tokens"] == raw["usage"]["completion_tokens"]
    meta = result.generations[0][0].message.usage_metadata
    assert (meta["input_tokens"], meta["output_tokens"]) == (
        raw["usage"]["prompt_tokens"],
        raw["usage"]["completion_tokens"],
    )


async def test_n_two_gives_two_choices_and_sums_both_requests(model) -> None:
    result = await model.agenerate([FEW_SHOT], n=2, max_tokens=12, temperature=0.8)
    generations = result.generations[0]
    assert len(generations) == 2
    assert result.llm_output["requests"] == 2  # llama.cpp ignores n: the adapter topped up
    usage = result.llm_output["token_usage"]
    one = await model.agenerate([FEW_SHOT], max_tokens=12, temperature=0.8)
    assert usage["prompt_tokens"] == 2 * one.llm_output["token_usage"]["prompt_tokens"]
    assert 0 < usage["completion_tokens"] <= 2 * 12
    # Every choice carries the whole call's usage, as ChatOpenAI's choices of one n-request do
    # (callback handlers read the first generation's).
    metas = [g.message.usage_metadata for g in generations]
    assert all(
        (m["input_tokens"], m["output_tokens"])
        == (usage["prompt_tokens"], usage["completion_tokens"])
        for m in metas
    )


async def test_server_is_gone_after_the_context_exits() -> None:
    async with LocalServer() as running:
        pgid = running.pid
        assert pgid is not None and live_group_members(pgid)
        models_url = running.base_url + "/models"
        with urllib.request.urlopen(models_url, timeout=10) as response:
            assert response.status == 200
    assert live_group_members(pgid) == []
    with pytest.raises(OSError):
        urllib.request.urlopen(models_url, timeout=2)
