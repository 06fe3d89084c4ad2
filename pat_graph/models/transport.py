"""What happened on the wire under the OpenAI client: attempts, retries, 429s, server errors.

Why at the HTTP layer: the client retries 408/409/429/5xx and dropped connections by itself
(`max_retries`, the one retry layer, see config.py), so a request that finally succeeded looks
like any other to LangChain. Event hooks on the client's HTTP connection pool see every attempt;
they count into the `Wire` of the request being made (a context variable set around the model
call in calls.py), which then lands in that request's ledger entry.

A retry is an attempt the client marked with its `x-stainless-retry-count` header (> 0); a
re-ask after a truncated body (completion.retry_malformed) is a new request, counted as an
attempt only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pat_graph.models.cost import ROLES, ledger_entry

RETRY_HEADER = "x-stainless-retry-count"
# Ledger keys, written only when not zero (most requests need none of them).
WIRE_KEYS = ("attempts", "retries", "rate_limited", "server_errors", "connection_errors")
MAX_ERROR_CHARS = 300


@dataclass
class Wire:
    """One model call's HTTP attempts (top-up requests of the same call included)."""

    attempts: int = 0
    retries: int = 0
    responses: int = 0
    rate_limited: int = 0  # 429 answers
    server_errors: int = 0  # 5xx answers
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    @property
    def connection_errors(self) -> int:
        """Attempts that got no answer at all: reset, refused, timed out."""
        return max(0, self.attempts - self.responses)

    @property
    def seconds(self) -> float:
        """How long the call took (so far, while it runs)."""
        return (self.ended or time.monotonic()) - self.started

    def fields(self) -> dict[str, int]:
        """The ledger keys for this call; `attempts` only when it differs from one."""
        values = {k: int(getattr(self, k)) for k in WIRE_KEYS}
        if values["attempts"] <= 1:
            values.pop("attempts")
        return {k: v for k, v in values.items() if v}


_WIRE: ContextVar[Wire | None] = ContextVar("pat_graph_wire", default=None)


@contextmanager
def observe() -> Iterator[Wire]:
    """Count the HTTP attempts made inside this block (and the tasks it starts) into a Wire."""
    wire = Wire()
    token = _WIRE.set(wire)
    try:
        yield wire
    finally:
        wire.ended = time.monotonic()
        _WIRE.reset(token)


async def _on_request(request: Any) -> None:
    wire = _WIRE.get()
    if wire is None:
        return
    wire.attempts += 1
    try:
        if int(request.headers.get(RETRY_HEADER) or 0) > 0:
            wire.retries += 1
    except ValueError:
        pass


async def _on_response(response: Any) -> None:
    wire = _WIRE.get()
    if wire is None:
        return
    wire.responses += 1
    if response.status_code == 429:
        wire.rate_limited += 1
    elif response.status_code >= 500:
        wire.server_errors += 1


def event_hooks() -> dict[str, list[Any]]:
    return {"request": [_on_request], "response": [_on_response]}


def counting_client() -> Any:
    """An async HTTP client for the OpenAI SDK, with its own defaults (timeouts, pool limits,
    redirects) and the counting hooks; the SDK's own class, so whichever HTTP library it uses."""
    import openai

    return openai.DefaultAsyncHttpxClient(event_hooks=event_hooks())


def failed_entry(
    *, role: str, model: str, purpose: str, depth: int, wire: Wire, error: str
) -> dict[str, Any]:
    """The ledger entry of a request that failed after the client's retries. It stands for no
    answered request (`requests: 0`), no tokens and no cost, so every call and cost count stays
    as it was; only the failure counts read it."""
    return ledger_entry(
        role=role,
        model=model,
        input_tokens=0,
        output_tokens=0,
        input_price=0.0,
        output_price=0.0,
        purpose=purpose,
        depth=depth,
        samples=0,
        requests=0,
        failed=True,
        error=error[:MAX_ERROR_CHARS],
        **wire.fields(),
    )


def wire_summary(ledger: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Per role: requests that were retried, the retries, 429 and 5xx answers, attempts without
    an answer, and requests that failed after every retry (`report`'s `http` key)."""
    out = {role: dict.fromkeys(_SUMMARY_KEYS, 0) for role in ROLES}
    for entry in ledger:
        bucket = out.setdefault(str(entry.get("role")), dict.fromkeys(_SUMMARY_KEYS, 0))
        retries = int(entry.get("retries") or 0)
        bucket["retried_requests"] += 1 if retries else 0
        bucket["retries"] += retries
        bucket["rate_limited"] += int(entry.get("rate_limited") or 0)
        bucket["server_errors"] += int(entry.get("server_errors") or 0)
        bucket["connection_errors"] += int(entry.get("connection_errors") or 0)
        bucket["failed_requests"] += 1 if entry.get("failed") else 0
    return out


_SUMMARY_KEYS = (
    "retried_requests",
    "retries",
    "rate_limited",
    "server_errors",
    "connection_errors",
    "failed_requests",
)
