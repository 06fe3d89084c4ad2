"""A scripted OpenAI-compatible server on loopback, so tests exercise the real client stack.

In-process fakes cannot show what actually goes over the wire (max_tokens vs
max_completion_tokens, `n`, usage fields), so tests point the real `openai`/LangChain
clients at this server and assert on the recorded request bodies. Std-lib only.

Behaviour, chosen to resemble llama.cpp's server where it matters:
- replies come from a script (consumed in order, the last one repeats);
- only `max_tokens` limits a reply (whitespace-separated words count as tokens); the
  newer `max_completion_tokens` is ignored, exactly the trap a test must catch;
- `n` is honoured unless `honour_n=False` (then one choice, like llama.cpp);
- usage is words-in-prompt / words-in-choices unless a fixed `usage` is configured;
- `fail(status, times)` makes the next requests fail, to count client retries.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = str | Callable[[dict[str, Any]], str]


@dataclass
class StubRequest:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


class OpenAIStub:
    """Start with `with OpenAIStub(["hello"]) as stub:`; point clients at `stub.base_url`."""

    def __init__(
        self,
        replies: Iterable[Reply] = ("ok",),
        *,
        usage: dict[str, int] | None = None,
        honour_n: bool = True,
        model: str = "stub-model",
    ) -> None:
        self._replies: list[Reply] = list(replies) or ["ok"]
        self._cursor = 0
        self.usage = usage
        self.honour_n = honour_n
        self.model = model
        self.requests: list[StubRequest] = []
        self.responses: list[dict[str, Any]] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----- scripting -------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies = list(replies) or ["ok"]
            self._cursor = 0

    def fail(self, status: int = 500, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests]

    # ----- lifecycle -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "stub not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> OpenAIStub:
        handler = type("_Handler", (_Handler,), {"stub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- request handling (called from server threads) ------------------------------
    def _next_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _next_text(self, body: dict[str, Any]) -> str:
        with self._lock:
            reply = self._replies[min(self._cursor, len(self._replies) - 1)]
            self._cursor += 1
        return reply(body) if callable(reply) else reply

    def _answer(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        chat = path.endswith("/chat/completions")
        n = int(body.get("n") or 1) if self.honour_n else 1
        limit = body.get("max_tokens")
        choices: list[dict[str, Any]] = []
        out_words = 0
        for index in range(n):
            words = self._next_text(body).split(" ")
            finish = "stop"
            if isinstance(limit, int) and len(words) > limit:
                words, finish = words[:limit], "length"
            text = " ".join(words)
            out_words += len(text.split())
            choice: dict[str, Any] = {"index": index, "finish_reason": finish}
            if chat:
                choice["message"] = {"role": "assistant", "content": text}
            else:
                choice["text"] = text
                choice["logprobs"] = None
            choices.append(choice)
        if chat:
            prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
        else:
            prompt = str(body.get("prompt", ""))
        usage = dict(self.usage) if self.usage else {}
        usage.setdefault("prompt_tokens", len(prompt.split()))
        usage.setdefault("completion_tokens", out_words)
        usage.setdefault("total_tokens", usage["prompt_tokens"] + usage["completion_tokens"])
        return {
            "id": f"stub-{len(self.responses)}",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": choices,
            "usage": usage,
        }


class _Handler(BaseHTTPRequestHandler):
    stub: OpenAIStub

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _send_json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/v1/models"):
            self._send_json(200, {"object": "list", "data": [{"id": self.stub.model}]})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        stub = self.stub
        with stub._lock:
            stub.requests.append(
                StubRequest(self.path, body, {k.lower(): v for k, v in self.headers.items()})
            )
        if not self.path.endswith(("/chat/completions", "/completions")):
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        status = stub._next_failure()
        if status is not None:
            self._send_json(
                status,
                {"error": {"message": "scripted failure", "code": status}},
                # The OpenAI client honours this, so retry tests need not sleep for seconds.
                {"retry-after-ms": "10"},
            )
            return
        response = stub._answer(self.path, body)
        with stub._lock:
            stub.responses.append(response)
        if body.get("stream"):
            self._stream(response, body)
        else:
            self._send_json(200, response)

    def _stream(self, response: dict[str, Any], body: dict[str, Any]) -> None:
        """Server-sent events: each choice's text a word at a time (the finish reason on its
        last piece), then a usage chunk when asked for."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chat = self.path.endswith("/chat/completions")
        base = {k: response[k] for k in ("id", "created", "model")}
        base["object"] = "chat.completion.chunk" if chat else "text_completion"
        for choice in response["choices"]:
            text = choice["message"]["content"] if chat else choice["text"]
            words = text.split(" ")
            pieces = [w + " " for w in words[:-1]] + [words[-1]]
            for i, piece in enumerate(pieces):
                if chat:
                    delta = {"content": piece, **({"role": "assistant"} if i == 0 else {})}
                    part: dict[str, Any] = {"index": choice["index"], "delta": delta}
                else:
                    part = {"index": choice["index"], "text": piece}
                last = i == len(pieces) - 1
                part["finish_reason"] = choice["finish_reason"] if last else None
                self._event({**base, "choices": [part]})
        if (body.get("stream_options") or {}).get("include_usage"):
            self._event({**base, "choices": [], "usage": response["usage"]})
        self.wfile.write(b"data: [DONE]\n\n")

    def _event(self, payload: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
