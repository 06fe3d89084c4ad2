"""Base models get their code fence opened for them and stop at the closing one."""

from __future__ import annotations

from langchain_core.messages import HumanMessage

from pat_graph.codeparse import extract_code
from pat_graph.completion import CompletionChatModel
from pat_graph.cost import summarize
from pat_graph.llm import RoleModel, sample
from tests.support.openai_stub import OpenAIStub


async def test_fence_prefill_opens_the_block_and_stops_at_its_end():
    with OpenAIStub(["def f():\n    return 1\n"], honour_n=False) as stub:
        model = CompletionChatModel(
            model="m", base_url=stub.base_url, max_retries=0, fence_prefill="```python\n"
        )
        texts, ledger = await sample(
            RoleModel(model, "m"),
            [HumanMessage("Implement the function `f`.")],
            n=2,
            temperature=0.5,
            role="generator",
            purpose="trial",
            depth=0,
        )
    body = stub.bodies[0]
    assert body["prompt"].endswith("### Response:\n```python\n")
    assert "```" in body["stop"]
    assert all(t.startswith("```python\n") for t in texts) and len(texts) == 2
    assert extract_code(texts[0], "f") == "def f():\n    return 1\n"
    # llama.cpp ignores n: two HTTP requests, both in the ledger's call count and tokens
    assert len(stub.responses) == 2
    usage = summarize(ledger)
    assert usage["llm_calls"]["generator"] == 2
    assert usage["tokens"]["generator"]["output"] == sum(
        r["usage"]["completion_tokens"] for r in stub.responses
    )
