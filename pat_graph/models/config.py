"""Model registry: `pat.toml` entries -> validated `ModelSpec` -> LangChain chat model.

Why a registry and not raw ChatOpenAI everywhere: prices must travel with the model (the cost
ledger needs them), config mistakes must fail before a long batch starts (with a message that
says what to fix), and two wire-level traps must be handled in one place:

- max tokens: langchain-openai sends only `max_completion_tokens`, which llama.cpp's server
  ignores, so the limit silently disappears. `ChatOpenAICompat` also sends `max_tokens` to
  every server that is not OpenAI's own API.
- `n`: llama.cpp ignores it and returns one choice. `ChatOpenAICompat` tops the missing
  samples up with further requests, so `n` means n everywhere.

Retries of transport errors (connection errors, 408/409/429/5xx) happen in exactly one layer:
the OpenAI client inside the chat model, `max_retries` times with backoff. Graphs must not add a
RetryPolicy for these errors on top, or a flaky server gets (1 + r) * (1 + r') attempts.
"""

from __future__ import annotations

import asyncio
import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from langchain_openai import ChatOpenAI

from pat_graph.errors import ConfigError
from pat_graph.models.completion import (
    CompletionChatModel,
    add_usage,
    combine_llm_outputs,
    retry_malformed,
)

Api = Literal["chat", "completion"]
LOCAL = "local"
DEFAULT_CONFIG = "pat.toml"
_OPENAI_HOSTS = {"api.openai.com"}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ModelSpec:
    """One model endpoint. Prices are USD per 1M tokens, as providers publish them."""

    name: str
    base_url: str | None
    model: str
    input_price: float
    output_price: float
    api_key_env: str | None = None
    api: Api = "chat"
    max_tokens: int = 1024
    timeout: float = 120.0
    max_retries: int = 2
    context_window: int | None = None
    stop: tuple[str, ...] = ()
    cached_input_price: float | None = None  # USD per 1M cached prompt tokens; None: input price
    max_tokens_set: bool = False  # the config gave max_tokens (a profile's floor then yields)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_price + output_tokens * self.output_price) / 1e6

    @property
    def is_local(self) -> bool:
        return self.name == LOCAL


LOCAL_SPEC = ModelSpec(
    name=LOCAL,
    base_url=None,  # known only once LocalServer has picked a port
    model="gemma-3-270m",
    input_price=0.0,
    output_price=0.0,
    api="completion",
    max_tokens=384,
    max_tokens_set=True,  # the embedded model's context is 4096 tokens
    timeout=600.0,
    max_retries=1,
    context_window=4096,
)

_FIELDS: dict[str, str] = {
    "base_url": 'the server\'s OpenAI-compatible root, e.g. base_url = "http://localhost:8000/v1"',
    "model": 'the model id the server expects, e.g. model = "Qwen/Qwen3-8B"',
    "api_key_env": 'the NAME of an env var holding the key, e.g. api_key_env = "OPENAI_API_KEY"',
    "api": 'api = "chat" (chat models) or api = "completion" (base models)',
    "input_price": "USD per 1M input tokens from the provider's price page (0 if self-hosted)",
    "output_price": "USD per 1M output tokens from the provider's price page (0 if self-hosted)",
    "max_tokens": "a positive integer limit on generated tokens per sample",
    "timeout": "seconds per request, a positive number",
    "max_retries": "how often the client retries transport errors, an integer >= 0",
    "context_window": "the model's context size in tokens, a positive integer",
    "stop": 'a list of stop strings, e.g. stop = ["\\n### "]',
    "cached_input_price": "USD per 1M cached prompt tokens (the input price when absent)",
}
_REQUIRED = ("base_url", "model", "input_price", "output_price")


@dataclass(frozen=True)
class ConfigFile:
    """What `read_config` found: the specs, the file read (None: none found), ignored tables."""

    specs: dict[str, ModelSpec]
    file: Path | None
    looked_for: Path
    ignored: tuple[str, ...] = ()

    def describe(self) -> str:
        """One sentence for error messages: which file was read and what in it was ignored."""
        if self.file is None:
            return (
                f"no config file was found ({self.looked_for} does not exist; "
                "pass --config FILE or create pat.toml)"
            )
        text = f"read {self.file}"
        if self.ignored:
            typo = any(t.split(".")[0] == "model" for t in self.ignored)
            hint = " (model tables are [models.NAME])" if typo else ""
            tables = ", ".join(f"[{t}]" for t in self.ignored)
            text += f", which has table(s) pat-graph ignores: {tables}{hint}"
        return text


def load_config(path: str | Path | None = None) -> dict[str, ModelSpec]:
    """Read `[models.<name>]` tables; the built-in `local` model is always present.

    A missing default `pat.toml` just means "no configured models"; a missing file the user
    named explicitly is an error, because a typo there would otherwise go unnoticed.
    """
    return read_config(path).specs


def read_config(path: str | Path | None = None) -> ConfigFile:
    """`load_config` plus what a message about a missing model needs to say."""
    explicit = path is not None
    file = Path(path) if path is not None else Path.cwd() / DEFAULT_CONFIG
    specs: dict[str, ModelSpec] = {LOCAL: LOCAL_SPEC}
    if not file.exists():
        if explicit:
            raise ConfigError(f"{file}: config file not found; check --config")
        return ConfigFile(specs, None, file)
    if file.is_dir():
        raise ConfigError(f"{file}: is a directory, not a config file; check --config")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc}); fix the syntax") from exc
    models = data.get("models", {})
    if not isinstance(models, dict):
        raise ConfigError(f"{file}: `models` must be a table of [models.<name>] tables")
    for name, table in models.items():
        if name == LOCAL:
            raise ConfigError(
                f"{file}: [models.local] is the built-in embedded model; "
                "rename your entry (e.g. [models.my-server])"
            )
        if not isinstance(table, dict):
            raise ConfigError(f"{file}: models.{name} must be a table: [models.{name}]")
        specs[name] = _parse_spec(file, name, table)
    ignored: list[str] = []
    for key, value in data.items():
        if key == "models":
            continue
        subtables = (
            isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values())
        )
        ignored += [f"{key}.{sub}" for sub in value] if subtables else [key]
    return ConfigFile(specs, file, file, tuple(ignored))


def _parse_spec(file: Path, name: str, table: dict[str, Any]) -> ModelSpec:
    where = f"{file}: [models.{name}]"

    def bad(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{where}: {key} {problem}; set {_FIELDS[key]}")

    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(_FIELDS)}"
        )
    for key in _REQUIRED:
        if key not in table:
            raise bad(key, "is missing")
    base_url = table["base_url"]
    if not isinstance(base_url, str) or urlparse(base_url).scheme not in ("http", "https"):
        raise bad("base_url", f"is not an http(s) URL ({base_url!r})")
    model = table["model"]
    if not isinstance(model, str) or not model.strip():
        raise bad("model", "must be a non-empty string")
    key_env = table.get("api_key_env")
    if key_env is not None and (not isinstance(key_env, str) or not _ENV_NAME.match(key_env)):
        raise bad("api_key_env", f"is not an environment variable name ({key_env!r})")
    api = table.get("api", "chat")
    if api not in ("chat", "completion"):
        raise bad("api", f"is {api!r}, unknown")
    prices = {k: _number(table[k], minimum=0.0) for k in ("input_price", "output_price")}
    for key, value in prices.items():
        if value is None:
            raise bad(key, f"must be a number >= 0 (got {table[key]!r})")
    max_tokens = _integer(table.get("max_tokens", 1024), minimum=1)
    if max_tokens is None:
        raise bad("max_tokens", f"must be an integer >= 1 (got {table['max_tokens']!r})")
    timeout = _number(table.get("timeout", 120.0), minimum=0.0)
    if timeout is None or timeout == 0:
        raise bad("timeout", f"must be > 0 (got {table['timeout']!r})")
    retries = _integer(table.get("max_retries", 2), minimum=0)
    if retries is None:
        raise bad("max_retries", f"must be an integer >= 0 (got {table['max_retries']!r})")
    window = table.get("context_window")
    if window is not None and _integer(window, minimum=1) is None:
        raise bad("context_window", f"must be an integer >= 1 (got {window!r})")
    cached_price = table.get("cached_input_price")
    if cached_price is not None and _number(cached_price, minimum=0.0) is None:
        raise bad("cached_input_price", f"must be a number >= 0 (got {cached_price!r})")
    stop = table.get("stop", [])
    if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop):
        raise bad("stop", "must be a list of non-empty strings")
    return ModelSpec(
        name=name,
        base_url=base_url.rstrip("/"),
        model=model,
        input_price=float(prices["input_price"] or 0.0),
        output_price=float(prices["output_price"] or 0.0),
        api_key_env=key_env,
        api=api,
        max_tokens=max_tokens,
        max_tokens_set="max_tokens" in table,
        timeout=float(timeout),
        max_retries=retries,
        context_window=window,
        stop=tuple(stop),
        cached_input_price=None if cached_price is None else float(cached_price),
    )


def _number(value: object, *, minimum: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        return None
    return float(value)


def _integer(value: object, *, minimum: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        return None
    return value


def with_max_tokens_floor(spec: ModelSpec, floor: int) -> ModelSpec:
    """The spec sending at least `floor` output tokens, unless its config set `max_tokens`
    (issue 20: the paper's models answered with 8192 tokens or more; a truncated answer loses
    its closing fence and is thrown away)."""
    if spec.max_tokens_set or spec.max_tokens >= floor:
        return spec
    return replace(spec, max_tokens=floor)


def resolve_api_key(spec: ModelSpec) -> str:
    """The key from the named env var; a placeholder when none is configured.

    The placeholder matters: without it the OpenAI client would fall back to OPENAI_API_KEY
    and send the user's OpenAI key to whatever server base_url points at.
    """
    if spec.api_key_env is None:
        return "not-needed"
    key = os.environ.get(spec.api_key_env, "")
    if not key:
        raise ConfigError(
            f"model {spec.name!r}: environment variable {spec.api_key_env} is not set; "
            f"export {spec.api_key_env}=<your key> (or remove api_key_env for keyless servers)"
        )
    return key


def sends_legacy_max_tokens(base_url: str | None) -> bool:
    """OpenAI's own API rejects `max_tokens` for newer models; every other server needs it."""
    return base_url is not None and urlparse(base_url).hostname not in _OPENAI_HOSTS


def make_chat_model(spec: ModelSpec, *, base_url_override: str | None = None) -> BaseChatModel:
    """Build the LangChain chat model for a spec (the usage-counting, limit-honouring kind)."""
    base_url = base_url_override or spec.base_url
    if base_url is None:
        raise ConfigError(
            f"model {spec.name!r} has no server address: start it with "
            "pat_graph.models.local.LocalServer and pass base_url_override=server.base_url"
        )
    api_key = resolve_api_key(spec)
    if spec.api == "completion":
        return CompletionChatModel(
            model=spec.model,
            base_url=base_url,
            api_key=api_key,
            max_tokens=spec.max_tokens,
            timeout=spec.timeout,
            max_retries=spec.max_retries,
            stop=list(spec.stop),
            fence_prefill="```python\n",
        )
    return ChatOpenAICompat(
        model=spec.model,
        base_url=base_url,
        api_key=api_key,
        max_tokens=spec.max_tokens,
        timeout=spec.timeout,
        max_retries=spec.max_retries,
        stop=list(spec.stop) or None,
        stream_usage=True,
        legacy_max_tokens=sends_legacy_max_tokens(base_url),
    )


class ChatOpenAICompat(ChatOpenAI):
    """ChatOpenAI whose max-tokens limit and `n` hold on llama.cpp-style servers too."""

    legacy_max_tokens: bool = False

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

        async def parent(*args: Any, **kw: Any) -> ChatResult:
            return await retry_malformed(lambda: base(*args, **kw), self.max_retries)

        result = await parent(messages, stop, run_manager, **kwargs)
        missing = int(kwargs.get("n") or self.n or 1) - len(result.generations)
        if missing <= 0 or not result.generations or self.streaming:
            return result
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
        llm_output["requests"] = 1 + len(extras)
        return ChatResult(generations=result.generations, llm_output=llm_output)
