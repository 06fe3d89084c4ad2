"""A whole PaT `solve()` on the real embedded model, with a recording proxy in front of the
server so the ledger can be compared with what the server itself answered."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pat_graph import Problem, solve
from pat_graph.models.config import LOCAL, load_config, make_chat_model
from pat_graph.models.cost import summarize
from pat_graph.models.local import LocalServer, live_group_members
from pat_graph.models.roles import RoleModel

pytestmark = [
    pytest.mark.integration,
    pytest.mark.local_model,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama_cpp not importable: pip install 'pat-graph[local]' to run these",
    ),
]

PROMPT = '''def max_of_three(a: int, b: int, c: int) -> int:
    """Return the largest of a, b and c.
    >>> max_of_three(1, 5, 3)
    5
    >>> max_of_three(-1, -7, -3)
    -1
    """
'''


class RecordingProxy:
    """Forwards POSTs to the model server and keeps every answer it relayed."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.answers: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                path = self.path.removeprefix("/v1")
                request = urllib.request.Request(
                    proxy.upstream + path, data=body,
                    headers={"Content-Type": "application/json"},
                )  # fmt: skip
                with urllib.request.urlopen(request, timeout=300) as response:
                    data = response.read()
                proxy.requests.append(json.loads(body))
                proxy.answers.append(json.loads(data))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/v1"


async def test_pat_solve_on_the_real_model_records_exactly_what_the_server_reported():
    # A lower generation limit than the default 384: the checks are the same (the limit that
    # was asked for reaches the server on every request, and holds), a base model's rambling is
    # shorter. 64 tokens hold the function this problem asks for.
    spec = dataclasses.replace(load_config(None)[LOCAL], max_tokens=64)
    with LocalServer() as server:
        pgid = os.getpgid(server.pid)
        proxy = RecordingProxy(server.base_url)
        try:
            # The embedded model's prices (0) travel with it: a model without known prices
            # would report its cost as unknown, not as free.
            model = RoleModel(
                make_chat_model(spec, base_url_override=proxy.base_url),
                spec.name,
                spec.input_price,
                spec.output_price,
            )
            result = await solve(
                Problem("local/max3", PROMPT, "max_of_three"),
                generator=model,
                planner=model,
                policy="pat",
                n_samples=2,
                plan_rounds=1,
                max_depth=1,
                n_generated_tests=2,
                # The short prompts: a third of the paper profile's prompt tokens to read, and
                # the paper profile runs on this model in test_make_run.py already.
                profile="strict",
            )
        finally:
            proxy.server.shutdown()
    assert not live_group_members(pgid), "the model server left processes behind"

    assert proxy.answers, "no request reached the server"
    usage = summarize(result.ledger)
    calls = usage["llm_calls"]["generator"] + usage["llm_calls"]["planner"]
    assert calls == len(proxy.answers)
    tokens_in = usage["tokens"]["generator"]["input"] + usage["tokens"]["planner"]["input"]
    tokens_out = usage["tokens"]["generator"]["output"] + usage["tokens"]["planner"]["output"]
    assert tokens_in == sum(a["usage"]["prompt_tokens"] for a in proxy.answers)
    assert tokens_out == sum(a["usage"]["completion_tokens"] for a in proxy.answers)
    # the generation limit reached the server and held on every request of the run
    assert all(r["max_tokens"] == spec.max_tokens for r in proxy.requests)
    assert all(a["usage"]["completion_tokens"] <= spec.max_tokens for a in proxy.answers)
    # planning happened only if the trial failed its tests
    assert result.planner_invoked == (not (result.origin == "trial" and result.verified))
    assert result.cost_usd == 0  # the embedded model is free
