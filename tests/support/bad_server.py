"""An OpenAI-compatible server on loopback that misbehaves in one chosen way, for error-path tests.

Modes (every POST, after `good` normal answers):
- "ok": normal answers from `fake_server.body_reply` (usage included);
- "empty": 200 with usage but `choices: []`;
- "nousage": normal answers without a `usage` field;
- "html": 200 with an HTML page (a proxy's or web UI's);
- "badjson": 200 with a body cut in the middle of the JSON;
- "500": HTTP 500 on every request;
- "auth": 401 on everything (GET /models too) unless the Bearer token is `key`;
- "htmlprobe": GET /models answers an HTML page (base_url points at a web UI).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.fake_server import body_reply


class BadServer:
    def __init__(self, mode: str, *, good: int = 0, key: str = "right-key") -> None:
        self.mode = mode
        self.good = good
        self.key = key
        self.posts = 0
        self.gets = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> BadServer:
        handler = type("_H", (_Handler,), {"owner": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()  # fmt: skip
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    owner: BadServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, data: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.owner.mode != "auth":
            return True
        if self.headers.get("Authorization") == f"Bearer {self.owner.key}":
            return True
        self._send(401, b'{"error": {"message": "Incorrect API key provided"}}')
        return False

    def do_GET(self) -> None:
        with self.owner._lock:
            self.owner.gets += 1
        if self.owner.mode == "htmlprobe":
            self._send(200, b"<!doctype html><html><body>Open WebUI</body></html>", "text/html")
        elif self._authorised():
            self._send(200, b'{"object": "list", "data": [{"id": "bad-model"}]}')

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        owner = self.owner
        with owner._lock:
            owner.posts += 1
            mode = "ok" if owner.posts <= owner.good else owner.mode
        if not self._authorised():
            return
        if mode == "500":
            self._send(500, b'{"error": {"message": "injected"}}')
            return
        if mode == "html":
            self._send(200, b"<html><body><h1>Welcome to nginx!</h1></body></html>", "text/html")
            return
        if mode == "badjson":
            self._send(200, b'{"id": "x", "choices": [{"message": {"content": "def f(')
            return
        n = int(body.get("n") or 1)
        text = body_reply(body)
        choices = [] if mode == "empty" else [
            {"index": i, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
            for i in range(n)
        ]  # fmt: skip
        answer: dict[str, Any] = {
            "id": f"bad-{owner.posts}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "bad-model"), "choices": choices,
        }  # fmt: skip
        if mode != "nousage":
            answer["usage"] = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        self._send(200, json.dumps(answer).encode())
