"""`ChatOpenAICompat`: LangChain's ChatOpenAI made exact on any OpenAI-compatible server.

Its max-tokens limit and `n` hold on llama.cpp-style servers too (missing samples are topped up
with more requests, usage summed), every choice names its model (LangChain's usage counters
skip answers that name none), and the model's rpm/tpm limits (limits.py) hold on both the
plain and the streamed path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI
from pydantic import Field

import pat_graph.models.limits as limits
from pat_graph.models.completion import (
    add_usage,
    combine_llm_outputs,
    retry_malformed,
    usage_metadata,
)


class ChatOpenAICompat(ChatOpenAI):
    """ChatOpenAI whose max-tokens limit and `n` hold on llama.cpp-style servers too."""

    legacy_max_tokens: bool = False
    limiter: Any = Field(default=None, exclude=True)  # rpm/tpm (limits.py), kept per request

    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any):
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        limit = payload.get("max_completion_tokens")
        if self.legacy_max_tokens and limit is not None and "messages" in payload:
            payload["extra_body"] = {**(payload.get("extra_body") or {}), "max_tokens": limit}
        return payload

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
        return combine_llm_outputs(self.model_name, llm_outputs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Top up missing samples when the server ignored `n`; usage sums over requests."""
        base = super()._agenerate

        prompt_chars = sum(len(str(m.content)) for m in messages)

        async def parent(*args: Any, **kw: Any) -> ChatResult:
            samples = int(kw.get("n") or self.n or 1)
            reserve = limits.estimate(
                prompt_chars, kw.get("max_tokens") or self.max_tokens, samples
            )
            async with limits.request(self.limiter, reserve) as used:
                result = await retry_malformed(lambda: base(*args, **kw), self.max_retries)
                used(limits.reported_tokens((result.llm_output or {}).get("token_usage")))
            return result

        result = await parent(messages, stop, run_manager, **kwargs)
        missing = int(kwargs.get("n") or self.n or 1) - len(result.generations)
        if missing <= 0 or not result.generations or self.streaming:
            return named_choices(result, self.model_name)
        seed = kwargs.get("seed", self.seed)
        extras = await asyncio.gather(
            *(
                parent(
                    messages,
                    stop,
                    run_manager,
                    **{**kwargs, "n": 1, **({"seed": seed + i} if seed is not None else {})},
                )
                for i in range(1, missing + 1)
            )
        )
        usage = dict((result.llm_output or {}).get("token_usage") or {})
        for extra in extras:
            result.generations.extend(extra.generations)
            usage = add_usage(usage, (extra.llm_output or {}).get("token_usage") or {})
        llm_output = dict(result.llm_output or {})
        if usage:
            llm_output["token_usage"] = usage
            # Each choice carries the whole call's usage, as for a server that honoured n
            # (callback handlers read the first generation's: pat_graph.models.answer).
            for generation in result.generations:
                if isinstance(generation.message, AIMessage):
                    generation.message.usage_metadata = usage_metadata(usage)
        llm_output["requests"] = 1 + len(extras)
        result = ChatResult(generations=result.generations, llm_output=llm_output)
        return named_choices(result, self.model_name)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """A streamed request (a `messages` stream or a streaming callback is listening) keeps
        the model's rpm/tpm limits too: LangChain calls this instead of `_agenerate` then."""
        prompt_chars = sum(len(str(m.content)) for m in messages)
        reserve = limits.estimate(prompt_chars, kwargs.get("max_tokens") or self.max_tokens, 1)
        async with limits.request(self.limiter, reserve) as used:
            reported: int | None = None
            async for chunk in super()._astream(messages, stop, run_manager, **kwargs):
                meta = getattr(chunk.message, "usage_metadata", None)
                if meta:
                    reported = int(meta.get("input_tokens", 0)) + int(meta.get("output_tokens", 0))
                yield chunk
            used(reported)


def named_choices(result: ChatResult, model: str) -> ChatResult:
    """Every choice names its model, as the only choice of an n=1 answer does: LangChain's
    usage counters (`get_usage_metadata_callback`) skip answers that name none."""
    name = (result.llm_output or {}).get("model_name") or model
    for generation in result.generations:
        generation.message.response_metadata.setdefault("model_name", name)
    return result
