"""Base models get their code fence opened for them and stop at the closing one."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage

from pat_graph.models.calls import sample
from pat_graph.models.completion import CompletionChatModel
from pat_graph.models.cost import summarize
from pat_graph.models.roles import RoleModel
from pat_graph.program.parse import extract_code
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


async def test_a_truncated_json_body_is_retried_within_the_client_layer():
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from pat_graph.models.config import ModelSpec, make_chat_model

    good = {
        "id": "ok", "object": "chat.completion", "created": 0, "model": "x",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "fine"}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }  # fmt: skip
    bodies = [
        b'{"id": "cut", "choices": [{"message": {"content": "def f(',
        json.dumps(good).encode(),
    ]
    seen: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            data = bodies[min(len(seen), 1)]
            seen.append(1)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/v1"
        spec = ModelSpec(name="x", base_url=url, model="x", input_price=0, output_price=0,
                         max_retries=1)  # fmt: skip
        texts, ledger = await sample(
            RoleModel(make_chat_model(spec), "x"), [HumanMessage("hi")],
            n=1, temperature=0, role="generator", purpose="trial", depth=0,
        )  # fmt: skip
        assert texts == ["fine"] and len(seen) == 2
        assert ledger[0]["input_tokens"] == 3  # only the answer that arrived is billed
        seen.clear()
        bodies[1] = bodies[0]
        spec0 = ModelSpec(name="x", base_url=url, model="x", input_price=0, output_price=0,
                          max_retries=0)  # fmt: skip
        with pytest.raises(json.JSONDecodeError):
            await make_chat_model(spec0).agenerate([[HumanMessage("hi")]])
        assert len(seen) == 1  # max_retries=0 means one attempt, no hidden second layer
    finally:
        server.shutdown()


async def test_chat_top_ups_count_every_request_in_the_ledger():
    from pat_graph.models.config import ModelSpec, make_chat_model

    with OpenAIStub(["```python\nx = 1\n```"], honour_n=False) as stub:
        spec = ModelSpec(name="c", base_url=stub.base_url, model="c", input_price=1.0,
                         output_price=2.0, max_retries=0)  # fmt: skip
        texts, ledger = await sample(
            RoleModel(make_chat_model(spec), "c", 1.0, 2.0), [HumanMessage("hi")],
            n=3, temperature=0.5, role="generator", purpose="trial", depth=0,
        )  # fmt: skip
    assert len(texts) == 3 and len(stub.responses) == 3
    usage = summarize(ledger)
    assert usage["llm_calls"]["generator"] == 3
    assert usage["tokens"]["generator"]["input"] == sum(
        r["usage"]["prompt_tokens"] for r in stub.responses
    )
