"""The shared chat-model plumbing: answers -> ChatResult, usage, request counts, sync bridge.

The ledger (`pat_graph.models.calls.sample`) reads exactly what these tests pin: usage once per
request, missing usage as unreported (never zero), request counts that survive LangChain's batching.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage

from pat_graph.models.answer import Answer, AnswerChatModel
from pat_graph.models.calls import sample
from pat_graph.models.roles import RoleModel


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


class AsyncModel(AnswerChatModel):
    """Answers with whatever `script` holds, one list of Answers per prompt, in order."""

    llm_type = "test-async"
    model_name: str = "async-model"
    script: list[Any]

    async def _aanswer(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> Sequence[Answer]:
        return self.script.pop(0)


class SyncModel(AnswerChatModel):
    llm_type = "test-sync"
    model: str = "sync-model"

    def _answer(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> Sequence[Answer]:
        n = int(kwargs.get("n") or 1)
        return [Answer([f"reply {i}" for i in range(n)], usage(7, 2 * n))]


PROMPT = [HumanMessage("write it")]


async def test_usage_present_is_on_the_result_once_and_on_each_generation() -> None:
    model = AsyncModel(script=[[Answer(["a", "b"], usage(10, 4), ["stop", "length"])]])
    result = await model.agenerate([PROMPT])
    assert result.llm_output == {
        "model_name": "async-model",
        "requests": 1,
        "token_usage": usage(10, 4),
    }
    gens = result.generations[0]
    assert [g.text for g in gens] == ["a", "b"]
    assert [g.generation_info for g in gens] == [
        {"finish_reason": "stop"},
        {"finish_reason": "length"},
    ]
    assert gens[1].message.usage_metadata == {
        "input_tokens": 10,
        "output_tokens": 4,
        "total_tokens": 14,
    }
    assert model._llm_type == "test-async"


async def test_missing_usage_stays_unreported_never_zero() -> None:
    for missing in (None, {}):
        model = AsyncModel(script=[[Answer(["a"], missing)]])
        result = await model.agenerate([PROMPT])
        assert "token_usage" not in result.llm_output
        assert result.llm_output["requests"] == 1
        assert result.generations[0][0].message.usage_metadata is None
    model = AsyncModel(script=[[Answer(["code"], None)]])
    texts, entries = await sample(
        RoleModel(model, "m", 1.0, 2.0), PROMPT, n=1, temperature=0.0,
        role="generator", purpose="trial", depth=0,
    )  # fmt: skip
    assert texts == ["code"]
    assert entries[0]["usage_reported"] is False and entries[0]["cost_usd"] is None


async def test_n_over_several_requests_sums_usage_on_the_result_and_every_generation() -> None:
    topped_up = [Answer(["a"], usage(10, 3)), Answer(["b"], usage(10, 5)), Answer(["c"], None)]
    model = AsyncModel(script=[topped_up])
    result = await model.agenerate([PROMPT], n=3)
    assert result.llm_output["requests"] == 3
    assert result.llm_output["token_usage"] == usage(20, 8)
    # As ChatOpenAI gives each choice of an n-sample request that request's usage: callback
    # handlers read the first generation's, which must stand for the whole call.
    metas = [g.message.usage_metadata for g in result.generations[0]]
    assert [(m["input_tokens"], m["output_tokens"]) for m in metas] == [(20, 8)] * 3
    assert {g.message.response_metadata["model_name"] for g in result.generations[0]} == {
        "async-model"
    }

    model = AsyncModel(script=[topped_up])
    _, entries = await sample(
        RoleModel(model, "m", 1.0, 2.0), PROMPT, n=3, temperature=0.0,
        role="generator", purpose="trial", depth=0,
    )  # fmt: skip
    assert len(entries) == 1 and entries[0]["requests"] == 3
    assert (entries[0]["input_tokens"], entries[0]["output_tokens"]) == (20, 8)
    assert entries[0]["usage_reported"] is True


async def test_combine_across_a_batch_adds_requests_and_usage() -> None:
    model = AsyncModel(
        script=[
            [Answer(["a"], usage(4, 1)), Answer(["b"], usage(4, 2))],
            [Answer(["c"], None)],
            [Answer(["d"], usage(6, 3))],
        ]
    )
    result = await model.agenerate([PROMPT, PROMPT, PROMPT])
    assert result.llm_output == {
        "model_name": "async-model",
        "requests": 4,
        "token_usage": usage(14, 6),
    }
    assert [len(g) for g in result.generations] == [2, 1, 1]


async def test_sync_model_answers_on_both_paths_and_async_goes_through_generate() -> None:
    model = SyncModel()
    reply = model.invoke(PROMPT)
    assert reply.content == "reply 0" and reply.usage_metadata["output_tokens"] == 2
    result = await model.agenerate([PROMPT], n=2)
    assert result.llm_output == {
        "model_name": "sync-model",
        "requests": 1,
        "token_usage": usage(7, 4),
    }

    class Marked(SyncModel):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            result = super()._generate(messages, stop, run_manager, **kwargs)
            result.llm_output["requests"] = 5
            return result

    assert (await Marked().agenerate([PROMPT])).llm_output["requests"] == 5


def test_async_only_model_refuses_sync_calls_clearly() -> None:
    model = AsyncModel(script=[[Answer(["a"], None)]])
    with pytest.raises(NotImplementedError, match="AsyncModel answers only asynchronously"):
        model.invoke(PROMPT)


async def test_studio_lazy_model_answers_with_the_inner_clients_answers() -> None:
    from graphs._studio import LazyLocalChatModel
    from pat_graph.errors import ConfigError
    from pat_graph.models.completion import CompletionChatModel
    from pat_graph.models.config import LOCAL_SPEC
    from tests.support.openai_stub import OpenAIStub

    lazy = LazyLocalChatModel()
    with OpenAIStub(["one", "two words"], honour_n=False) as stub:
        lazy._inner = CompletionChatModel(model="base", base_url=stub.base_url)  # no server start
        result = await lazy.agenerate([PROMPT], n=2)
    assert [g.text for g in result.generations[0]] == ["one", "two words"]
    assert result.llm_output["model_name"] == LOCAL_SPEC.model
    assert result.llm_output["requests"] == 2
    served = sum(r["usage"]["completion_tokens"] for r in stub.responses)
    assert served == 3 and result.llm_output["token_usage"]["completion_tokens"] == served
    with pytest.raises(ConfigError, match="ainvoke"):
        lazy.invoke(PROMPT)


async def test_benchmark_latency_model_reports_its_usage_to_the_ledger() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from _fakes import LatencyChatModel

    from pat_graph.graph import prompts

    model = LatencyChatModel(latency_s=0.0)
    ask = [HumanMessage(f"{prompts.TRIAL_TASK} `e00001`")]
    texts, entries = await sample(
        RoleModel(model, "fake", 0.5, 1.5), ask, n=2, temperature=0.0,
        role="generator", purpose="trial", depth=0,
    )  # fmt: skip
    assert len(texts) == 2 and model.counts["trial"] == 1
    assert entries[0]["usage_reported"] is True and entries[0]["requests"] == 1
    assert entries[0]["output_tokens"] == 2 * len(texts[0].split())
