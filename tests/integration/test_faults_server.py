"""The faulty server does what the fault tests rely on: each fault kind looks as it should on the
wire, and only answers a client could read count as usable."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlparse

import pytest

from tests.support.faulty_server import HUGE_BYTES, FaultyServer

pytestmark = pytest.mark.integration

BODY = {
    "model": "m",
    "n": 2,
    "messages": [{"role": "user", "content": "Implement the function `e00003`.\n\ndef e00003(x):"}],
}


def _reply(purpose: str, target: str) -> str:
    return f"```python\n# {purpose} {target}\n```"


def _post(server: FaultyServer, timeout: float = 2.0) -> tuple[int, dict[str, str], bytes]:
    url = urlparse(server.base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.request("POST", "/v1/chat/completions", json.dumps(BODY), {"Content-Type": "json"})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _only(kind: str, **kwargs: float) -> FaultyServer:
    return FaultyServer(_reply, fault_rate=1.0, faults=(kind,), usage_ids=True, **kwargs)


def test_normal_answer_names_purpose_target_and_honours_n() -> None:
    with FaultyServer(_reply, fault_rate=0.0, usage_ids=True) as server:
        status, _, data = _post(server)
    body = json.loads(data)
    assert status == 200 and len(body["choices"]) == 2
    assert body["choices"][0]["message"]["content"] == _reply("trial", "e00003")
    assert body["usage"]["completion_tokens"] == 1  # its sequence number
    assert [e.usable for e in server.exchanges] == [True]


@pytest.mark.parametrize(("kind", "status"), [("http500", 500), ("http429", 429)])
def test_http_errors_are_not_usable(kind: str, status: int) -> None:
    with _only(kind) as server:
        got, headers, _ = _post(server)
    assert got == status
    assert (headers.get("retry-after") == "1") == (kind == "http429")
    assert server.usable() == []


def test_timeout_and_reset_deliver_nothing() -> None:
    with _only("timeout", hang_s=1.0) as server, pytest.raises(TimeoutError):
        _post(server, timeout=0.3)
    with _only("reset") as server, pytest.raises((ConnectionError, http.client.HTTPException)):
        _post(server)
    assert server.usable() == []


def _usable_soon(server, wait_s: float = 5.0) -> list:
    """The server marks an exchange delivered just after its last write, so a fast client can
    read the whole answer first: give the handler thread a moment instead of racing it."""
    deadline = time.monotonic() + wait_s
    while not server.usable() and time.monotonic() < deadline:
        time.sleep(0.01)
    return server.usable()


def test_malformed_empty_nocode_and_huge() -> None:
    with _only("malformed") as server:
        _, _, data = _post(server)
    with pytest.raises(json.JSONDecodeError):
        json.loads(data)
    assert server.usable() == []
    for kind in ("empty", "nocode", "huge"):
        with _only(kind) as server:
            body = json.loads(_post(server)[2])
        texts = [c["message"]["content"] for c in body["choices"]]
        assert body["usage"]["completion_tokens"] == 1 and len(_usable_soon(server)) == 1
        if kind == "empty":
            assert texts == []
        elif kind == "nocode":
            assert texts and all("```" not in t for t in texts)
        else:
            assert len(texts[0]) >= HUGE_BYTES and texts[1] == _reply("trial", "e00003")
