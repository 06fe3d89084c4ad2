"""Per-model rate limits (`rpm`, `tpm` in pat.toml) kept on every request a model is sent.

Why here and not in the graph: a run's problems run concurrently and each may fan out helpers,
so only the place every HTTP request passes (the chat models' `_agenerate`, including the extra
requests that top up `n`) sees them all. Both chat model classes wrap each request in `request()`.

How: a sliding window of WINDOW_S seconds holds one entry per request sent (when, tokens). A
request waits until one more entry fits: fewer than `rpm` entries, and the tokens in the window
plus its own at most `tpm`. Its tokens are reserved before it is sent as an estimate that
cannot be too low for an honest server (prompt characters / CHARS_PER_TOKEN plus `max_tokens`
per sample, the way providers count a request against their own token limits) and replaced by
the usage the server reported once the answer is in. A request larger than `tpm` on its own
goes when the window is empty. Transport retries inside the OpenAI client are not counted
again; they back off on the server's own Retry-After.

Sharing: the window of an endpoint and model lives in a small JSON file under the user cache
dir, locked with flock, so every process on this machine (a `run --workers N`, two runs at once)
keeps one limit together. `Limiter(state_file=None)` keeps it in memory (one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

WINDOW_S = 60.0  # rpm and tpm are per minute; tests shrink this
CHARS_PER_TOKEN = 3  # fewer characters per token than real tokenizers average: a safe estimate
TPM_POLL = 1 / 30  # of the window: how often a request held back by tpm looks again
_MIN_SLEEP_S = 0.005
_ids = itertools.count()
_shared: dict[tuple[Any, ...], Limiter] = {}
_shared_lock = threading.Lock()


class Limiter:
    """At most `rpm` requests and `tpm` tokens in any WINDOW_S seconds (None: no such limit)."""

    def __init__(
        self,
        rpm: int | None,
        tpm: int | None,
        *,
        state_file: Path | None = None,
        clock: Callable[[], float] = time.time,
        window_s: float | None = None,
    ) -> None:
        self.rpm, self.tpm = rpm, tpm
        self.state_file = state_file
        self._clock = clock
        self._window_s = window_s
        self._entries: list[list[Any]] = []  # [sent_at, tokens, id], when not shared by file
        self._lock = threading.Lock()

    @property
    def window_s(self) -> float:
        return WINDOW_S if self._window_s is None else self._window_s

    async def acquire(self, tokens: int) -> str:
        """Wait until a request of `tokens` fits, and reserve it; returns its ticket."""
        ticket = f"{os.getpid()}-{next(_ids)}"
        while True:
            wait = await self._locked(lambda entries: self._reserve(entries, tokens, ticket))
            if wait <= 0:
                return ticket
            await asyncio.sleep(max(wait, _MIN_SLEEP_S))

    async def settle(self, ticket: str, tokens: int) -> None:
        """Replace a request's reserved tokens by what the server reported it used."""

        def update(entries: list[list[Any]]) -> float:
            for entry in entries:
                if entry[2] == ticket:
                    entry[1] = tokens
            return 0.0

        await self._locked(update)

    def _reserve(self, entries: list[list[Any]], tokens: int, ticket: str) -> float:
        """Reserve now (0.0), or the seconds until the window may have room."""
        now = self._clock()
        live = sorted(e for e in entries if e[0] > now - self.window_s)
        entries[:] = live
        waits = []
        if self.rpm is not None and len(live) >= self.rpm:
            waits.append(live[len(live) - self.rpm][0] + self.window_s - now)
        settling = False
        if self.tpm is not None and live:
            left = sum(e[1] for e in live)
            if left + tokens > self.tpm:
                settling = True
                for entry in live:  # the oldest leave the window first
                    left -= entry[1]
                    if left + tokens <= self.tpm or entry is live[-1]:
                        waits.append(entry[0] + self.window_s - now)
                        break
        if waits:
            wait = max(waits)
            if settling:  # a reservation settled to its real usage may make room sooner
                wait = min(wait, self.window_s * TPM_POLL)
            return max(wait, _MIN_SLEEP_S)
        entries.append([now, tokens, ticket])
        return 0.0

    async def _locked(self, change: Callable[[list[list[Any]]], float]) -> float:
        if self.state_file is None:
            with self._lock:
                return change(self._entries)
        return await asyncio.to_thread(self._in_file, change)

    def _in_file(self, change: Callable[[list[list[Any]]], float]) -> float:
        """`change` on the window kept in the state file, under an exclusive flock."""
        assert self.state_file is not None
        with self._lock:
            fd = os.open(self.state_file, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                raw = b""
                while chunk := os.read(fd, 65536):
                    raw += chunk
                try:
                    entries = json.loads(raw or b"[]")
                except ValueError:  # torn by a killed writer: the window starts empty
                    entries = []
                if not isinstance(entries, list):
                    entries = []
                result = change(entries)
                os.lseek(fd, 0, os.SEEK_SET)
                os.ftruncate(fd, 0)
                os.write(fd, json.dumps(entries).encode())
                return result
            finally:
                os.close(fd)  # releases the flock


def estimate(prompt_chars: int, max_tokens: int | None, samples: int) -> int:
    """Tokens to reserve for a request before it is sent (see the module docstring)."""
    return -(-prompt_chars // CHARS_PER_TOKEN) + int(max_tokens or 0) * max(1, samples)


def reported_tokens(usage: Mapping[str, Any] | None) -> int | None:
    """Prompt + answer tokens from a server's usage fields; None when it reported none."""
    if not usage:
        return None
    total = usage.get("total_tokens")
    if total is None:
        parts = [usage.get("prompt_tokens"), usage.get("completion_tokens")]
        if all(p is None for p in parts):
            return None
        total = sum(int(p or 0) for p in parts)
    return int(total)


@contextlib.asynccontextmanager
async def request(
    limiter: Limiter | None, tokens: int
) -> AsyncIterator[Callable[[int | None], None]]:
    """Hold one request's place in the window: wait for room, reserve `tokens`, and on leaving
    settle to what the body reported through the yielded callback (None: keep the estimate)."""
    if limiter is None:
        yield lambda used: None
        return
    ticket = await limiter.acquire(tokens)
    reported: list[int] = []
    try:
        yield lambda used: reported.append(used) if used is not None else None
    finally:
        if reported:
            await limiter.settle(ticket, reported[-1])


def limits_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pat-graph" / "limits"


def for_model(spec: Any, base_url: str | None) -> Limiter | None:
    """The limiter of a model with `rpm` or `tpm`, one per endpoint, model and limits in this
    process, its window shared with other processes of this machine through a file named after
    the endpoint and model; None when the model has no limits."""
    rpm, tpm = getattr(spec, "rpm", None), getattr(spec, "tpm", None)
    if rpm is None and tpm is None:
        return None
    key = (base_url, spec.model, rpm, tpm)
    with _shared_lock:
        if key not in _shared:
            folder = limits_dir()
            folder.mkdir(parents=True, exist_ok=True)
            name = hashlib.sha256(f"{base_url}\n{spec.model}".encode()).hexdigest()[:24]
            _shared[key] = Limiter(rpm, tpm, state_file=folder / f"{name}.json")
        return _shared[key]
