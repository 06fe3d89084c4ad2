"""The LangChain side of the project's own chat models, written once.

Every chat model pat-graph defines (the completion adapter, the scripted test model, the
benchmarks' fakes, Studio's lazy local model) produces the same thing: for each HTTP request it
sent (or pretends to send), the reply texts and the usage the server reported. How that becomes a
`ChatResult` is what the ledger in `pat_graph.models.calls` depends on exactly, so it lives here:

- usage is read once per request: `llm_output["token_usage"]` is the sum over the requests sent,
  and every generation carries that same sum as `usage_metadata`, as ChatOpenAI gives every
  choice of an n-sample request the request's usage (LangChain's callback consumers, e.g.
  `UsageMetadataCallbackHandler` and `on_chat_model_end`, read the first generation's, so it
  must stand for the whole call, top-up requests included);
- usage the server did not report stays unreported: no `token_usage`, no `usage_metadata`
  (never zeros, which the ledger would count as a reported, free request);
- `llm_output["requests"]` counts the requests, and `_combine_llm_outputs` keeps usage and
  request counts across LangChain's batching (its default drops them).

Subclasses implement `_aanswer` (async; the sync path then raises `_sync_error()` unless they
implement `_answer` too) or only `_answer` (sync; the async path runs it inline, as a scripted
model answers at once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult


@dataclass(frozen=True)
class Answer:
    """One request's answer: its reply texts and what the server said about them."""

    texts: Sequence[str]
    usage: Mapping[str, Any] | None  # OpenAI-style usage; None or {}: the server reported none
    finish_reasons: Sequence[str | None] = ()  # one per text, when the server gives them
    metadata: Mapping[str, Any] = field(default_factory=dict)  # each message's response_metadata


def add_usage(total: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Sum two OpenAI usage dicts, nested detail dicts included; non-numbers keep the first."""
    out: dict[str, Any] = dict(total)
    for key, value in new.items():
        if isinstance(value, bool) or value is None:
            out.setdefault(key, value)
        elif isinstance(value, int | float):
            prev = out.get(key)
            out[key] = (prev if isinstance(prev, int | float) else 0) + value
        elif isinstance(value, Mapping):
            prev = out.get(key)
            out[key] = add_usage(prev if isinstance(prev, Mapping) else {}, value)
        else:
            out.setdefault(key, value)
    return out


def usage_metadata(usage: Mapping[str, Any]) -> UsageMetadata:
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    total = int(usage.get("total_tokens") or prompt + completion)
    meta = UsageMetadata(input_tokens=prompt, output_tokens=completion, total_tokens=total)
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
    if cached:
        meta["input_token_details"] = {"cache_read": int(cached)}
    if reasoning:
        meta["output_token_details"] = {"reasoning": int(reasoning)}
    return meta


def openai_usage(usage: Mapping[str, Any]) -> dict[str, Any] | None:
    """A ledger-style usage (input/output/cached/reasoning tokens, usage_reported) as the
    OpenAI usage dict a server would have sent; None when the server reported none."""
    if not usage.get("usage_reported", True):
        return None
    prompt = int(usage.get("input_tokens") or 0)
    completion = int(usage.get("output_tokens") or 0)
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if usage.get("cached_tokens"):
        out["prompt_tokens_details"] = {"cached_tokens": int(usage["cached_tokens"])}
    if usage.get("reasoning_tokens"):
        out["completion_tokens_details"] = {"reasoning_tokens": int(usage["reasoning_tokens"])}
    return out


def combine_llm_outputs(model: str, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
    """One entry per prompt in `agenerate([...])`: usage and HTTP request counts add up, so the
    ledger sees both (LangChain's default drops them, ChatOpenAI's drops the request count)."""
    combined: dict[str, Any] = {"model_name": model, "requests": 0}
    total: dict[str, Any] = {}
    for output in llm_outputs:
        if not output:
            continue
        combined["requests"] += int(output.get("requests", 1))
        if output.get("token_usage"):
            total = add_usage(total, output["token_usage"])
    if total:
        combined["token_usage"] = total
    return combined


def chat_result(model: str, answers: Sequence[Answer]) -> ChatResult:
    """The ChatResult of one prompt whose requests got `answers` (see the module docstring)."""
    generations: list[ChatGeneration] = []
    total: dict[str, Any] = {}
    for answer in answers:
        if answer.usage:
            total = add_usage(total, answer.usage)
    meta = usage_metadata(total) if total else None
    for answer in answers:
        for i, text in enumerate(answer.texts):
            message = AIMessage(
                content=text,
                usage_metadata=meta,
                response_metadata={"model_name": model, **answer.metadata},
            )
            info = {"finish_reason": answer.finish_reasons[i]} if answer.finish_reasons else None
            generations.append(ChatGeneration(message=message, generation_info=info))
    llm_output: dict[str, Any] = {"model_name": model, "requests": len(answers)}
    if total:
        llm_output["token_usage"] = total
    return ChatResult(generations=generations, llm_output=llm_output)


class AnswerChatModel(BaseChatModel):
    """A chat model defined by its answers; see the module docstring for what it owns."""

    llm_type: ClassVar[str] = "pat-graph-answers"

    @property
    def _llm_type(self) -> str:
        return self.llm_type

    @property
    def _output_model(self) -> str:
        """The model name `llm_output` carries: `model_name` or `model`, as the ledger names it."""
        for attr in ("model_name", "model"):
            value = getattr(self, attr, None)
            if isinstance(value, str) and value:
                return value
        return type(self).__name__

    def _answer(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> Sequence[Answer]:
        """The answers of the requests sent for one prompt, synchronously."""
        raise self._sync_error()

    async def _aanswer(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> Sequence[Answer] | None:
        """The same, asynchronously; None (the default): run the sync path inline."""
        return None

    def _sync_error(self) -> Exception:
        return NotImplementedError(
            f"{type(self).__name__} answers only asynchronously; use ainvoke/agenerate"
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return chat_result(self._output_model, self._answer(messages, stop, **kwargs))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        answers = await self._aanswer(messages, stop, **kwargs)
        if answers is None:  # a sync model; subclasses overriding _generate stay in the path
            return self._generate(messages, stop, None, **kwargs)
        return chat_result(self._output_model, answers)

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
        return combine_llm_outputs(self._output_model, llm_outputs)


class RecordedChatModel(AnswerChatModel):
    """Answers with texts and usage recorded earlier (the response store's replays): the
    request still runs through LangChain's invocation path, so callbacks, tracers and streams
    see it like a live one, and nothing goes over the network."""

    llm_type = "pat-graph-recorded"
    model_name: str
    texts: list[str]
    usage: dict[str, Any] | None = None  # OpenAI-style, as the server reported it

    @classmethod
    def of(cls, model: str, texts: Sequence[str], usage: Mapping[str, Any]) -> RecordedChatModel:
        """From a ledger-style usage (see `openai_usage`)."""
        return cls(model_name=model, texts=list(texts), usage=openai_usage(usage))

    def _answer(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> Sequence[Answer]:
        return [Answer(self.texts, self.usage)]
