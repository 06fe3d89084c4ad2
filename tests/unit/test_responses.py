"""The response store's rules without a server: positions, pairing shares, keys and seeds."""

from __future__ import annotations

from types import SimpleNamespace

from langchain_core.messages import HumanMessage

from pat_graph.models.responses import (
    Source,
    _Row,
    derived_seed,
    endpoint_identity,
    key_of,
    request_identity,
)


def test_a_request_is_served_by_the_positions_it_reserves_whatever_n_recorded_them() -> None:
    source = Source("orig", "db")
    usage2 = {"input_tokens": 10, "output_tokens": 8, "usage_reported": True}
    usage1 = {"input_tokens": 10, "output_tokens": 6, "usage_reported": True}
    source.add("t", "k", _Row(0, ["a", "b"], usage2))
    source.add("t", "k", _Row(2, ["c"], usage1))
    # exactly one recorded request: its usage as recorded
    exact = source.take("t", "k", 0, 2)
    assert exact is not None and exact.texts == ["a", "b"] and exact.usage == usage2
    # three samples across two requests: the prompt once, each sample's share of its output
    shared = source.take("t", "k", 0, 3)
    assert shared is not None and shared.texts == ["a", "b", "c"]
    assert shared.usage["input_tokens"] == 10 and shared.usage["output_tokens"] == 4 + 4 + 6
    # past the recorded samples: a prefix, then nothing (another problem has none at all)
    partial = source.take("t", "k", 2, 5)
    assert partial is not None and partial.texts == ["c"]
    assert source.take("t", "k", 3, 1) is None and source.take("u", "k", 0, 1) is None


def test_the_key_holds_model_host_messages_and_sampling_but_not_the_port() -> None:
    def model(url: str, name: str = "m", max_tokens: int = 100) -> SimpleNamespace:
        chat = SimpleNamespace(model_name=name, openai_api_base=url, max_tokens=max_tokens)
        return SimpleNamespace(chat=chat)

    msgs = [HumanMessage(content="Implement the function `f`.")]

    def key(m, messages=msgs, temperature=0.8, seed=None) -> str:
        return key_of(request_identity(m, messages, temperature=temperature, seed=seed))

    base = key(model("http://127.0.0.1:8000/v1"))
    assert key(model("http://localhost:9999/v1")) == base  # a local server on another port
    assert endpoint_identity(model("https://api.example.org/v1").chat) == "api.example.org"
    for other in (
        key(model("https://api.example.org/v1")),
        key(model("http://127.0.0.1:8000/v1", name="m2")),
        key(model("http://127.0.0.1:8000/v1", max_tokens=50)),
        key(model("http://127.0.0.1:8000/v1"), temperature=0.2),
        key(model("http://127.0.0.1:8000/v1"), seed=1),
        key(model("http://127.0.0.1:8000/v1"), messages=[HumanMessage(content="other")]),
    ):
        assert other != base


def test_derived_seeds_are_stable_and_differ_per_problem_and_position() -> None:
    assert derived_seed(0, "t", "k", 0) == derived_seed(0, "t", "k", 0)
    seeds = {derived_seed(s, t, "k", p) for s in (0, 1) for t in ("t", "u") for p in (0, 1)}
    assert len(seeds) == 8 and all(0 <= s < 2**31 for s in seeds)
