"""The OpenAI stub that notes when each request arrived and how many tokens it used, so a test can
check rate limits (rpm/tpm) from the server's side: the most requests and tokens that arrived in
any window of a given length."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.support.openai_stub import OpenAIStub


class CountingStub(OpenAIStub):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrivals: list[tuple[float, int]] = []  # (monotonic seconds, prompt + answer tokens)
        self._arrival_lock = threading.Lock()

    def _answer(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        now = time.monotonic()
        response = super()._answer(path, body)
        with self._arrival_lock:
            self.arrivals.append((now, int(response["usage"]["total_tokens"])))
        return response

    def most_in_window(self, seconds: float) -> tuple[int, int]:
        """(requests, tokens): the most that arrived within any `seconds`-long window."""
        with self._arrival_lock:
            times = sorted(self.arrivals)
        most_requests = most_tokens = 0
        for i, (start, _) in enumerate(times):
            inside = [tokens for at, tokens in times[i:] if at < start + seconds]
            most_requests = max(most_requests, len(inside))
            most_tokens = max(most_tokens, sum(inside))
        return most_requests, most_tokens

    @property
    def span(self) -> float:
        """Seconds from the first arrival to the last."""
        with self._arrival_lock:
            times = [at for at, _ in self.arrivals]
        return max(times) - min(times) if times else 0.0
