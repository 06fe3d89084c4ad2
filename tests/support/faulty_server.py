"""An OpenAI-compatible chat server on loopback that fails a fraction of calls, for fault tests.

Why a real server and not an in-process fake: the faults that matter (5xx, 429 with Retry-After,
timeouts, connection resets, malformed bodies) live in the HTTP client and its retry layer, so
they must cross a real socket to be tested. Std-lib only.

Each request draws from a seeded RNG: with probability `fault_rate` it gets one of FAULTS, else a
normal answer from `respond(purpose, target)` (purpose as in `pat_graph.testing.purpose_of`,
target the first backticked name of the last message). Every request is logged as an `Exchange`
with what was sent back, so tests can compare the ledger with what the server actually returned.

With `usage_ids=True` each answer reports `completion_tokens` equal to its own sequence number, so
a ledger entry names the exact response it came from (duplicates in a ledger are then visible).
"""

from __future__ import annotations

import json
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pat_graph.graph import prompts

Respond = Callable[[str, str], str]
FAULTS: tuple[str, ...] = (
    "http500",  # retried by the client
    "http429",  # retried after the Retry-After header
    "timeout",  # no answer until the client gives up (retried)
    "reset",  # TCP RST instead of an answer (retried)
    "malformed",  # 200 with a body that is not JSON (the model client retries it)
    "empty",  # 200 with usage but no choices
    "nocode",  # 200, the model answers without a code block
    "huge",  # 200, a ~100 KB answer
)
USABLE = (None, "empty", "nocode", "huge")  # answers a client can read, usage included
HUGE_BYTES = 100_000
_MARKERS = (
    (prompts.TRIAL_TASK, "trial"),
    (prompts.PROGRAM_TASK, "program"),
    (prompts.TESTS_TASK, "tests"),
    (prompts.PLAN_TASK, "plan"),
)
_TARGET = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


@dataclass
class Exchange:
    seq: int
    phase: str
    purpose: str
    target: str
    fault: str | None
    usage: dict[str, int] | None = None
    delivered: bool = False  # the whole answer was written to the socket

    @property
    def usable(self) -> bool:
        return self.delivered and self.fault in USABLE


def purpose_and_target(body: dict[str, Any]) -> tuple[str, str]:
    messages = body.get("messages") or []
    last = str(messages[-1].get("content", "")) if messages else ""
    purpose = next((p for marker, p in _MARKERS if last.startswith(marker)), "other")
    match = _TARGET.search(last)
    return purpose, match.group(1) if match else ""


class FaultyServer:
    """`with FaultyServer(respond, fault_rate=0.2, seed=7) as server:` then use server.base_url."""

    def __init__(
        self,
        respond: Respond,
        *,
        fault_rate: float = 0.2,
        seed: int = 0,
        faults: Sequence[str] = FAULTS,
        usage_ids: bool = False,
        latency_s: float = 0.0,
        hang_s: float = 5.0,
        retry_after_s: int = 1,
        model: str = "faulty-model",
    ) -> None:
        unknown = set(faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self.respond = respond
        self.fault_rate = fault_rate
        self.faults = tuple(faults)
        self.usage_ids = usage_ids
        self.latency_s = latency_s
        self.hang_s = hang_s
        self.retry_after_s = retry_after_s
        self.model = model
        self.phase = "run1"
        self.exchanges: list[Exchange] = []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FaultyServer:
        handler = type("_Handler", (_Handler,), {"owner": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _open(self, body: dict[str, Any]) -> Exchange:
        purpose, target = purpose_and_target(body)
        with self._lock:
            fault = None
            if self._rng.random() < self.fault_rate:
                fault = self._rng.choice(self.faults)
            exchange = Exchange(len(self.exchanges) + 1, self.phase, purpose, target, fault)
            self.exchanges.append(exchange)
        return exchange

    def answer(self, body: dict[str, Any], exchange: Exchange) -> dict[str, Any]:
        n = int(body.get("n") or 1)
        texts: list[str] = []
        if exchange.fault != "empty":
            text = self.respond(exchange.purpose, exchange.target)
            if exchange.fault == "nocode":
                text = "I would rather explain it in words: add the numbers together."
            texts = [text] * n
            if exchange.fault == "huge":
                filler = "This sentence pads a very long answer. "
                texts[0] = text + "\n\n" + filler * (HUGE_BYTES // len(filler))
        prompt = " ".join(str(m.get("content", "")) for m in body.get("messages") or [])
        completion = exchange.seq if self.usage_ids else sum(len(t.split()) for t in texts)
        usage = {
            "prompt_tokens": len(prompt.split()),
            "completion_tokens": completion,
            "total_tokens": len(prompt.split()) + completion,
        }
        exchange.usage = usage
        choices = [
            {"index": i, "finish_reason": "stop", "message": {"role": "assistant", "content": t}}
            for i, t in enumerate(texts)
        ]
        return {
            "id": f"faulty-{exchange.seq}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": choices,
            "usage": usage,
        }

    def usable(self, phase: str | None = None) -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if e.usable and phase in (None, e.phase)]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that vanish mid-request (killed runs, given-up timeouts) are expected here."""


class _Handler(BaseHTTPRequestHandler):
    owner: FaultyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, json.dumps({"data": [{"id": self.owner.model}]}).encode())
        else:
            self._send(404, b'{"error": {"message": "no such route"}}')

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if not self.path.endswith("/chat/completions") or body.get("stream"):
            self._send(400, b'{"error": {"message": "only non-streaming chat completions"}}')
            return
        owner = self.owner
        exchange = owner._open(body)
        if owner.latency_s:
            time.sleep(owner.latency_s)
        fault = exchange.fault
        if fault == "http500":
            self._send(500, b'{"error": {"message": "injected server error"}}')
        elif fault == "http429":
            headers = {"Retry-After": str(owner.retry_after_s)}
            self._send(429, b'{"error": {"message": "injected rate limit"}}', headers)
        elif fault == "timeout":
            time.sleep(owner.hang_s)  # the client has given up by now; answer nothing
            self.close_connection = True
        elif fault == "reset":
            linger = struct.pack("ii", 1, 0)  # close with RST, not FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.close_connection = True
        elif fault == "malformed":
            self._send(200, b'{"id": "faulty", "choices": [{"message": {"content": "def f(')
            exchange.delivered = True
        else:
            data = json.dumps(owner.answer(body, exchange)).encode()
            try:
                self._send(200, data)
            except OSError:
                return  # the client left; nothing was delivered
            exchange.delivered = True
