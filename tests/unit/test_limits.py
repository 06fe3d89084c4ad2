"""Issue 22 item 12: per-model `rpm` / `tpm` limits (pat_graph.models.limits), on a fake clock and
against a loopback stub that counts what arrives per time window."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

import pat_graph.models.limits as limits
from pat_graph.models.config import ModelSpec, make_chat_model
from pat_graph.models.limits import Limiter
from tests.support.counting_stub import CountingStub

WINDOW = 2.0  # seconds standing in for a minute in the stub tests
SLACK = 1.0  # arrival jitter tolerated on a busy machine (sent vs arrived; xdist shares 2 cores)


class FakeTime:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1000.0
        real_sleep = asyncio.sleep

        async def sleep(seconds: float) -> None:
            self.now += seconds
            await real_sleep(0)

        monkeypatch.setattr(limits.asyncio, "sleep", sleep)

    def __call__(self) -> float:
        return self.now


async def sent_at(limiter: Limiter, clock: FakeTime, tokens: list[int]) -> list[float]:
    times = []
    for amount in tokens:
        await limiter.acquire(amount)
        times.append(clock() - 1000.0)
    return times


async def test_rpm_lets_n_requests_per_window_through(monkeypatch) -> None:
    clock = FakeTime(monkeypatch)
    limiter = Limiter(rpm=2, tpm=None, clock=clock, window_s=60.0)
    times = await sent_at(limiter, clock, [1] * 5)
    assert times[:2] == [0.0, 0.0]
    assert times[2] == pytest.approx(60.0, abs=0.01) and times[3] == pytest.approx(60.0, abs=0.01)
    assert times[4] == pytest.approx(120.0, abs=0.02)


async def test_tpm_reserves_an_estimate_and_settles_to_the_reported_usage(monkeypatch) -> None:
    clock = FakeTime(monkeypatch)
    limiter = Limiter(rpm=None, tpm=100, clock=clock, window_s=60.0)
    first = await limiter.acquire(80)
    await limiter.settle(first, 10)  # the answer was short: 90 tokens are free again
    await limiter.acquire(80)
    assert clock() == 1000.0
    await limiter.acquire(80)  # 10 + 80 + 80 > 100: waits until both leave the window
    assert clock() - 1000.0 == pytest.approx(60.0, abs=0.01)


async def test_a_request_larger_than_tpm_goes_alone(monkeypatch) -> None:
    clock = FakeTime(monkeypatch)
    limiter = Limiter(rpm=None, tpm=100, clock=clock, window_s=60.0)
    assert await sent_at(limiter, clock, [500, 500, 5]) == pytest.approx([0, 60, 120], abs=0.02)


def test_the_estimate_counts_the_prompt_high_and_every_sample_at_max_tokens() -> None:
    assert limits.estimate(prompt_chars=30, max_tokens=100, samples=5) == 10 + 500
    assert limits.reported_tokens({"prompt_tokens": 7, "completion_tokens": 3}) == 10
    assert limits.reported_tokens({"total_tokens": 12, "prompt_tokens": 7}) == 12
    assert limits.reported_tokens({}) is None and limits.reported_tokens(None) is None


@pytest.fixture
def small_window(monkeypatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(limits, "WINDOW_S", WINDOW)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(limits, "_shared", {})
    return tmp_path / "cache" / "pat-graph" / "limits"


def spec_for(stub: CountingStub, **fields) -> ModelSpec:
    return ModelSpec(**{"name": "m", "base_url": stub.base_url, "model": "stub-model",
                        "input_price": 1.0, "output_price": 2.0, "max_tokens": 8,
                        "max_retries": 0, **fields})  # fmt: skip


async def burst(spec: ModelSpec, count: int, **kwargs) -> float:
    """`count` requests at once, as concurrent problems send them; the seconds they took."""
    model = make_chat_model(spec)
    start = time.monotonic()
    await asyncio.gather(
        *(model.agenerate([[HumanMessage(f"problem {i} please")]], **kwargs) for i in range(count))
    )
    return time.monotonic() - start


@pytest.mark.parametrize(("api", "count", "rpm"), [("chat", 7, 3), ("completion", 3, 2)])
async def test_concurrent_requests_keep_rpm_at_the_server(small_window, api, count, rpm) -> None:
    with CountingStub(["a b c"]) as stub:
        await burst(spec_for(stub, api=api), count)  # no limit: all arrive at once
        assert stub.most_in_window(WINDOW)[0] == count
        stub.arrivals.clear()
        seconds = await burst(spec_for(stub, api=api, rpm=rpm), count)
        assert stub.most_in_window(WINDOW - SLACK)[0] <= rpm
        windows = -(-count // rpm)  # e.g. 7 requests at 3 a window need three windows
        assert seconds >= (windows - 1) * WINDOW - SLACK
    assert list(small_window.glob("*.json"))  # the window is kept where other processes see it


async def test_tpm_at_the_server_counts_prompt_and_answer_tokens(small_window) -> None:
    # Each request: 3 prompt words + 3 answer words = 6 tokens at the stub; reserved as
    # ceil(len("problem N please") / 3) + 8 = 14 before it is sent, settled to 6 after. With
    # tpm 20 a request goes only while the window holds at most 6 tokens: two a window.
    with CountingStub(["a b c"]) as stub:
        seconds = await burst(spec_for(stub, tpm=20), 6)
        requests, tokens = stub.most_in_window(WINDOW - SLACK)
        assert tokens <= 20 and requests <= 3
        assert seconds >= WINDOW - SLACK


async def test_top_up_requests_for_n_each_wait_their_turn(small_window) -> None:
    with CountingStub(["x"], honour_n=False) as stub:  # one choice per request, like llama.cpp
        await burst(spec_for(stub, rpm=2, max_tokens=1), 1, n=4)
        assert len(stub.arrivals) == 4
        assert stub.most_in_window(WINDOW - SLACK)[0] <= 2
        assert stub.span >= WINDOW - SLACK


async def test_streamed_requests_keep_rpm_too(small_window) -> None:
    """A `messages` stream or a streaming callback makes LangChain stream one-sample requests
    (`_astream`, not `_agenerate`): the limit holds there too."""
    with CountingStub(["a b c"]) as stub:
        model = make_chat_model(spec_for(stub, rpm=2))

        async def one(i: int) -> list:
            return [chunk async for chunk in model.astream([HumanMessage(f"problem {i}")])]

        start = time.monotonic()
        answers = await asyncio.gather(*(one(i) for i in range(4)))
        seconds = time.monotonic() - start
        assert all(len(chunks) > 1 for chunks in answers)  # really streamed, chunk by chunk
        assert all(body.get("stream") for body in stub.bodies)
        assert stub.most_in_window(WINDOW - SLACK)[0] <= 2
        assert seconds >= WINDOW - SLACK
