"""A LangChain chat model over the OpenAI *completion* API, for base models.

Base models (the embedded Gemma 3 270M, any non-instruct checkpoint) have no chat template, so
the chat endpoint either fails or applies a template they were never trained on. This adapter
keeps the graph's chat-model interface and renders the conversation into one plain transcript:
few-shot examples are ordinary alternating human/ai turns (never system messages, which a base
model cannot tell apart from the task), and generation stops where the next turn would begin.

Usage comes from the server's response, never from a tokenizer. Servers that ignore `n`
(llama.cpp returns one choice) are topped up with extra requests; each request bills its prompt
once, so `llm_output["token_usage"]` is the sum over the requests actually sent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import openai
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from pydantic import Field, SecretStr

# add_usage, usage_metadata and combine_llm_outputs live with the shared chat-model plumbing;
# they stay importable from here, where callers have always found them.
import pat_graph.models.limits as limits
from pat_graph.models.answer import (  # noqa: F401
    Answer,
    AnswerChatModel,
    add_usage,
    combine_llm_outputs,
    usage_metadata,
)
from pat_graph.models.transport import counting_client

T = TypeVar("T")

USER_HEADER = "### Instruction:"
ASSISTANT_HEADER = "### Response:"
TURN_STOPS = ("\n" + USER_HEADER, "\n" + ASSISTANT_HEADER)


def render_transcript(messages: Sequence[BaseMessage]) -> tuple[str, str]:
    """Return (prompt, prefill).

    System text becomes the preamble; each human/ai message a headed turn. A trailing AI
    message is a prefill: the model continues it, and the caller prepends it to the answer.
    """
    preamble: list[str] = []
    turns: list[str] = []
    prefill = ""
    for index, message in enumerate(messages):
        text = _text(message)
        # An example turn sent as a system message named "user"/"assistant" (the PaT authors'
        # chat format) is that turn in a transcript, as their completion path renders it.
        named = getattr(message, "name", None) if isinstance(message, SystemMessage) else None
        if isinstance(message, SystemMessage) and named not in ("user", "assistant"):
            preamble.append(text.strip())
        elif isinstance(message, AIMessage) or named == "assistant":
            if index == len(messages) - 1:
                prefill = text
            else:
                turns.append(f"{ASSISTANT_HEADER}\n{text.strip()}\n")
        else:  # human, tool and generic messages are all input to the model
            turns.append(f"{USER_HEADER}\n{text.strip()}\n")
    head = "\n\n".join(p for p in preamble if p)
    body = "\n".join(turns)
    prompt = (head + "\n\n" if head else "") + body + f"\n{ASSISTANT_HEADER}\n" + prefill
    return prompt, prefill


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = [p if isinstance(p, str) else str(p.get("text", "")) for p in content]
    return "".join(parts)


class CompletionChatModel(AnswerChatModel):
    """Chat-model facade over `/v1/completions` (see the module docstring for why)."""

    llm_type = "openai-completion-chat"

    model: str
    base_url: str
    api_key: SecretStr = Field(default=SecretStr("not-needed"))
    max_tokens: int | None = 256
    temperature: float | None = None
    n: int = 1
    stop: list[str] = Field(default_factory=list)
    seed: int | None = None
    timeout: float = 120.0
    max_retries: int = 2
    # Open the answer's code fence for the model and stop at the closing one: a base model then
    # writes only code, and never rambles past its block (tokens are the cost metric).
    fence_prefill: str | None = None
    limiter: Any = Field(default=None, exclude=True)  # rpm/tpm (limits.py), kept per request

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url, "max_tokens": self.max_tokens}

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> tuple[int, dict]:
        """Per-call kwargs (n, temperature, max_tokens, seed, stop) override the fields."""
        n = int(kwargs.pop("n", None) or self.n)
        stops = list(dict.fromkeys([*TURN_STOPS, *self.stop, *(stop or [])]))
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": kwargs.pop("max_tokens", self.max_tokens),
            "temperature": kwargs.pop("temperature", self.temperature),
            "seed": kwargs.pop("seed", self.seed),
            # OpenAI's completion API accepts at most four stop strings.
            "stop": stops[:4],
        }
        params.update(kwargs)
        return n, {k: v for k, v in params.items() if v is not None}

    def _render(
        self, messages: list[BaseMessage], stop: list[str] | None
    ) -> tuple[str, str, list[str] | None]:
        prompt, prefill = render_transcript(messages)
        if self.fence_prefill and not prefill:
            prompt, prefill = prompt + self.fence_prefill, self.fence_prefill
            stop = [*(stop or []), "```"]
        return prompt, prefill, stop

    def _client_args(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "api_key": self.api_key.get_secret_value(),
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }

    @property
    def _output_model(self) -> str:
        return self.model

    async def _aanswer(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> list[Answer]:
        prompt, prefill, stop = self._render(messages, stop)
        n, params = self._params(stop, kwargs)
        # The counting client: retries and 429s reach the ledger (transport.py).
        http = counting_client()
        async with openai.AsyncOpenAI(**self._client_args(), http_client=http) as client:

            async def create(count: int, args: dict[str, Any]) -> Any:
                reserve = limits.estimate(len(prompt), args.get("max_tokens"), count)
                async with limits.request(self.limiter, reserve) as used:
                    response = await retry_malformed(
                        lambda: client.completions.create(prompt=prompt, n=count, **args),
                        self.max_retries,
                    )
                    usage = response.usage.model_dump() if response.usage else None
                    used(limits.reported_tokens(usage))
                return response

            first = await create(n, params)
            responses = [first]
            missing = n - len(first.choices)
            if missing > 0 and first.choices:
                responses += await asyncio.gather(
                    *(create(1, _reseed(params, i)) for i in range(1, missing + 1))
                )
        return _answers(responses, prefill, n)

    def _answer(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> list[Answer]:
        prompt, prefill, stop = self._render(messages, stop)
        n, params = self._params(stop, kwargs)
        with openai.OpenAI(**self._client_args()) as client:
            first = client.completions.create(prompt=prompt, n=n, **params)
            responses = [first]
            missing = n - len(first.choices)
            if missing > 0 and first.choices:
                responses += [
                    client.completions.create(prompt=prompt, n=1, **_reseed(params, i))
                    for i in range(1, missing + 1)
                ]
        return _answers(responses, prefill, n)


def _answers(responses: list[Any], prefill: str, n: int) -> list[Answer]:
    """One Answer per request sent, the prefill put back in front of each text; choices past
    the n asked for are dropped (their request's usage still counts)."""
    answers: list[Answer] = []
    left = n
    for response in responses:
        usage = response.usage.model_dump(exclude_none=True) if response.usage else None
        choices = response.choices[:left] if n > 0 else response.choices
        left -= len(choices)
        answers.append(
            Answer(
                texts=[prefill + c.text for c in choices],
                usage=usage,
                finish_reasons=[c.finish_reason for c in choices],
                metadata={"model_name": response.model},
            )
        )
    return answers


async def retry_malformed(call: Callable[[], Awaitable[T]], retries: int) -> T:
    """Repeat a request whose 200 answer was not valid JSON (a truncated body).

    The OpenAI client retries status codes and dropped connections, but parses the body after
    that loop, so a cut-off body would fail the whole problem. This is part of the same client
    layer (bounded by the model's `max_retries`), not a second retry layer on top of it.
    """
    for attempt in range(retries + 1):
        try:
            return await call()
        except json.JSONDecodeError:
            if attempt == retries:
                raise
    raise AssertionError("unreachable")


def _reseed(params: dict[str, Any], offset: int) -> dict[str, Any]:
    """Top-up requests need distinct seeds, or a seeded run returns n identical samples."""
    if "seed" in params:
        return {**params, "seed": params["seed"] + offset}
    return params
