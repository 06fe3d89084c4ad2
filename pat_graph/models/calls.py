"""One place where the graph talks to chat models, so every call lands in the ledger.

Token counts come from the server's usage fields. A request for n samples bills its prompt once, so
usage is read once per request (`llm_output["token_usage"]`), not summed over the n generations
(langchain-openai copies the request's usage onto every generation).

Every request goes through the chat model's own LangChain invocation path (`agenerate`, which is
what `ainvoke` runs, keeping all n generations) with the RunnableConfig of the graph node that
made it (`run_config`, set by the node wrapper in graph/nodes/deps.py): callbacks, tracers,
`stream_mode="messages"` and `astream_events` see each request nested under its node, with
`role`, `purpose` and `depth` in its metadata. An n-sample request stays one request: it is
sent without streaming (a streamed answer has one choice), and so is any request whose model
would stream without reporting usage (plain ChatOpenAI on a non-OpenAI base_url), because the
ledger counts what the server reported. A request answered from the response store makes no
network call but is still run through the same path, by a stand-in model answering with the
recorded texts and usage (metadata `replayed`), so a parent's token count includes it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import var_child_runnable_config

from pat_graph.errors import LLMCallError, PatError
from pat_graph.models import transport
from pat_graph.models.answer import RecordedChatModel
from pat_graph.models.cost import ledger_entry
from pat_graph.models.responses import Served, current_book
from pat_graph.models.roles import RoleModel, endpoint
from pat_graph.models.thinking import strip_think, with_no_think

CallSink = Callable[[dict[str, Any]], Awaitable[None]]
# Where each request's ledger entry goes the moment its answer arrived (the batch runner writes
# it to the run database): a node that fails later, or a crash, then cannot hide what was paid.
_CALL_SINK: ContextVar[CallSink | None] = ContextVar("pat_graph_call_sink", default=None)
# The RunnableConfig of the graph node whose requests are being made (see the module docstring).
_RUN_CONFIG: ContextVar[RunnableConfig | None] = ContextVar("pat_graph_run_config", default=None)
DEFAULT_EMPTY_RETRIES = 2


@contextmanager
def record_calls(sink: CallSink) -> Iterator[None]:
    """Send every request's ledger entry made inside this block (in this task and the tasks it
    starts) to `sink` as soon as the request completed."""
    token = _CALL_SINK.set(sink)
    try:
        yield
    finally:
        _CALL_SINK.reset(token)


@contextmanager
def run_config(config: RunnableConfig | None) -> Iterator[None]:
    """Requests made inside this block (this task and the tasks it starts) carry `config`: its
    callbacks, tags, metadata and run name, as `chat.ainvoke(messages, config)` would."""
    token = _RUN_CONFIG.set(config)
    try:
        yield
    finally:
        _RUN_CONFIG.reset(token)


def current_config() -> RunnableConfig:
    """The node's config; outside a pat-graph node, the config LangChain's context holds (a
    caller's own Runnable calling `sample`), else none."""
    return _RUN_CONFIG.get() or var_child_runnable_config.get() or {}


def _streams_without_usage(chat: BaseChatModel) -> bool:
    """True when a streamed answer would come without the server's usage: langchain-openai
    asks for usage in streams only with `stream_usage` (on by default for OpenAI's own API)."""
    check = getattr(chat, "_should_stream_usage", None)
    if callable(check):
        try:
            return not check()
        except Exception:
            return True
    return getattr(chat, "stream_usage", True) is False


def _can_stream(chat: BaseChatModel) -> bool:
    cls = type(chat)
    return cls._astream is not BaseChatModel._astream or cls._stream is not BaseChatModel._stream


async def _invoke(
    chat: BaseChatModel,
    messages: Sequence[BaseMessage],
    metadata: Mapping[str, Any],
    kwargs: dict[str, Any],
) -> LLMResult:
    """One request through LangChain's invocation path with the node's config."""
    config = current_config()
    n = int(kwargs.get("n") or 1)
    if _can_stream(chat) and (n > 1 or _streams_without_usage(chat)):
        kwargs = {**kwargs, "stream": False}
    return await chat.agenerate(
        [list(messages)],
        callbacks=config.get("callbacks"),
        tags=config.get("tags"),
        metadata={**(config.get("metadata") or {}), **metadata},
        run_name=config.get("run_name"),
        **kwargs,
    )


async def _replay(
    model: RoleModel, messages: Sequence[BaseMessage], served: Served, metadata: dict[str, Any]
) -> None:
    """A recorded answer, shown to callbacks and tracers like a live one (no network call)."""
    stand_in = RecordedChatModel.of(model.name, served.texts, served.usage)
    await _invoke(stand_in, messages, {**metadata, "replayed": served.source}, {})


def _explain(exc: Exception) -> str:
    """The client's error, with what it usually means when the server is not an OpenAI API."""
    text = f"{type(exc).__name__}: {exc}"
    lowered = text.lower()
    if "<html" in lowered or "<!doctype" in lowered:
        return (
            "the server answered with an HTML page instead of JSON (is base_url the API root, "
            f"often ending in /v1?): {text[:300]}"
        )
    if isinstance(exc, json.JSONDecodeError):
        return f"the server's answer is not valid JSON (cut off?): {text[:300]}"
    return text


def _call_error(model: RoleModel, problem: str) -> LLMCallError:
    return LLMCallError(f"model {model.name!r} at {endpoint(model.chat)}: {problem}")


def _usage_details(result: Any) -> dict[str, int]:
    """Cached prompt and reasoning tokens, when the server reported them (issue 14): providers
    bill cached input at a discount, and reasoning tokens are output the answer never shows.
    A streamed answer has them only in its message's `usage_metadata`."""
    usage = (result.llm_output or {}).get("token_usage") or {}
    prompt = usage.get("prompt_tokens_details") or {}
    completion = usage.get("completion_tokens_details") or {}
    out: dict[str, int] = {}
    if not usage:
        meta = _first_usage_metadata(result) or {}
        prompt = {"cached_tokens": (meta.get("input_token_details") or {}).get("cache_read")}
        completion = {"reasoning_tokens": (meta.get("output_token_details") or {}).get("reasoning")}
    if isinstance(prompt, Mapping) and prompt.get("cached_tokens"):
        out["cached_tokens"] = int(prompt["cached_tokens"])
    if isinstance(completion, Mapping) and completion.get("reasoning_tokens"):
        out["reasoning_tokens"] = int(completion["reasoning_tokens"])
    return out


def _first_usage_metadata(result: Any) -> Mapping[str, Any] | None:
    gens = result.generations[0] if result.generations else []
    return getattr(gens[0].message, "usage_metadata", None) if gens else None


def _usage(result: Any) -> tuple[int, int, bool]:
    """(input, output, reported) for one request."""
    usage = (result.llm_output or {}).get("token_usage") or {}
    if usage.get("prompt_tokens") is not None or usage.get("completion_tokens") is not None:
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0), True
    meta = _first_usage_metadata(result)  # a streamed answer: usage came in its last chunk
    if meta:
        return int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0)), True
    return 0, 0, False


async def sample(
    model: RoleModel,
    messages: Sequence[BaseMessage],
    *,
    n: int,
    temperature: float,
    role: str,
    purpose: str,
    depth: int,
) -> tuple[list[str], list[dict[str, Any]]]:
    """n completions of one prompt and the ledger entries of the requests that produced them.

    Servers without `n` support return one choice per request; the loop asks again for the rest.
    An answer without choices is an error of that request: asked again like a transport error
    (up to the model's `max_retries`), then a LLMCallError naming the model and its server.
    Any other failure (an HTML page, a body that is not JSON, HTTP errors after the client's
    retries) is re-raised as LLMCallError naming both too.
    """
    texts: list[str] = []
    entries: list[dict[str, Any]] = []
    if model.no_think:
        messages = with_no_think(messages)
    sink = _CALL_SINK.get()
    retries = getattr(model.chat, "max_retries", None)
    empty_left = retries if isinstance(retries, int) and retries >= 0 else DEFAULT_EMPTY_RETRIES
    book = current_book()  # the response store of this problem (issue 14), if any
    metadata = {"role": role, "purpose": purpose, "depth": depth}
    while len(texts) < n:
        want = n - len(texts)
        kwargs: dict[str, Any] = {"temperature": temperature}
        request = start = None
        if book is not None:
            request = book.request(model, messages, n=want, temperature=temperature)
            start = book.reserve(request, want)
            served = book.lookup(request, start, want)
            if served is not None:  # answered from a recorded run: no network call
                await _replay(model, messages, served, metadata)
                raw = served.texts
                requests = int(served.usage.get("requests") or 1)  # a topped-up request: several
                entries.append(_entry(model, role, purpose, depth, served.usage, raw, requests,
                                      replayed=served.source))  # fmt: skip
                await book.record(request, start, raw, served.usage)
                if sink is not None:
                    await sink(entries[-1])
                texts.extend(strip_think(t) for t in raw)
                if len(raw) == want:
                    continue
                want -= len(raw)
                start += len(raw)
            book.check_live(request, purpose)
            seed = book.seed_for(request, start)
            if seed is not None and "seed" in getattr(type(model.chat), "model_fields", {}):
                kwargs["seed"] = seed
        if want > 1:
            kwargs["n"] = want
        with transport.observe() as wire:  # retries, 429s and 5xx under the client (issue 22)
            try:
                result = await _invoke(model.chat, messages, metadata, kwargs)
            except (asyncio.CancelledError, PatError):
                raise
            except Exception as exc:
                error = _call_error(model, _explain(exc))
                if sink is not None:  # paid nothing, but the run's report counts it
                    failed = transport.failed_entry(
                        role=role, model=model.name, purpose=purpose, depth=depth, wire=wire,
                        error=str(error),
                    )  # fmt: skip
                    await sink(failed)
                raise error from exc
        # Thinking is never the answer; its tokens are still billed (usage comes from the server).
        raw = [g.text for g in (result.generations[0] if result.generations else [])]
        got = [strip_think(t) for t in raw]
        tokens_in, tokens_out, reported = _usage(result)
        usage = {"input_tokens": tokens_in, "output_tokens": tokens_out,
                 "usage_reported": reported, **_usage_details(result)}  # fmt: skip
        requests = int((result.llm_output or {}).get("requests") or 1)
        if requests > 1:
            usage["requests"] = requests
        entries.append(_entry(model, role, purpose, depth, usage, got, requests,
                              seed=kwargs.get("seed"), **wire.fields()))  # fmt: skip
        if book is not None and request is not None and start is not None and raw:
            await book.record(request, start, raw, usage)
            book.spent += entries[-1]["cost_usd"] or 0.0
        if sink is not None:  # the run's copy also says how long the request took
            await sink({**entries[-1], "duration_s": round(wire.seconds, 3)})
        if not got:
            if empty_left <= 0:
                empty = sum(1 for e in entries if not e["samples"])
                raise _call_error(
                    model,
                    f"the server answered with no choices ({empty} times); "
                    "check the model name and the server's logs",
                )
            empty_left -= 1
            continue
        texts.extend(got[:want])
    return texts[:n], entries


def _entry(
    model: RoleModel,
    role: str,
    purpose: str,
    depth: int,
    usage: Mapping[str, Any],
    got: Sequence[str],
    requests: int,
    **extra: Any,
) -> dict[str, Any]:
    """One request's ledger entry. Cached prompt tokens are priced at the model's
    `cached_input_price` (its input price when none is set); a replayed request (`replayed`: the
    run it came from) keeps its recorded tokens and its cost is what the request costs, not what
    this run paid (report: `cost_paid_usd`)."""
    details = {k: int(usage[k]) for k in ("cached_tokens", "reasoning_tokens") if usage.get(k)}
    entry = ledger_entry(
        role=role,
        model=model.name,
        input_tokens=int(usage.get("input_tokens") or 0),
        output_tokens=int(usage.get("output_tokens") or 0),
        input_price=model.input_price,
        output_price=model.output_price,
        purpose=purpose,
        depth=depth,
        samples=len(got),
        requests=requests,
        usage_reported=bool(usage.get("usage_reported", True)),
        **details,
        **{k: v for k, v in extra.items() if v is not None},
    )
    cached_price = getattr(model, "cached_input_price", None)
    cached = details.get("cached_tokens", 0)
    if cached and cached_price is not None and entry["cost_usd"] is not None:
        entry["cost_usd"] -= cached * (float(model.input_price or 0) - cached_price) / 1_000_000
    return entry
