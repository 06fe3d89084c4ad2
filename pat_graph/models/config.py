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

Where the file comes from (`find_config`): `--config`, else `$PAT_GRAPH_CONFIG`, else `./pat.toml`,
else the user config dir. `${NAME}` in string values is expanded (pat_graph.models.substitute).
A model's `rpm` / `tpm` limits are kept by pat_graph.models.limits on every request it sends.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

from pat_graph.errors import ConfigError
from pat_graph.models.substitute import UnsetVariable, expand, line_finder, redact

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Api = Literal["chat", "completion"]
LOCAL = "local"
DEFAULT_CONFIG = "pat.toml"
CONFIG_ENV = "PAT_GRAPH_CONFIG"  # the config file when --config is not given
DEFAULT_KEY_ENV = "OPENAI_API_KEY"  # api_key_env when a table sets none (see resolve_api_key)
NO_KEY = ""  # api_key_env = "": the server takes no key, never send one
KEY_PLACEHOLDER = "not-needed"
_OPENAI_HOSTS = {"api.openai.com"}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ModelSpec:
    """One model endpoint. Prices are USD per 1M tokens, as providers publish them; None when
    the config gives none (its requests' cost is then unknown, never $0)."""

    name: str
    base_url: str | None
    model: str
    input_price: float | None
    output_price: float | None
    api_key_env: str | None = None
    api: Api = "chat"
    max_tokens: int = 1024
    timeout: float = 120.0
    max_retries: int = 2
    context_window: int | None = None
    stop: tuple[str, ...] = ()
    cached_input_price: float | None = None  # USD per 1M cached prompt tokens; None: input price
    rpm: int | None = None  # requests per minute at most (pat_graph.models.limits)
    tpm: int | None = None  # tokens per minute at most
    max_tokens_set: bool = False  # the config gave max_tokens (a profile's floor then yields)

    def cost(self, input_tokens: int, output_tokens: int) -> float | None:
        if self.input_price is None or self.output_price is None:
            return None
        return (input_tokens * self.input_price + output_tokens * self.output_price) / 1e6

    @property
    def has_prices(self) -> bool:
        return self.input_price is not None and self.output_price is not None

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
    "api_key_env": 'the NAME of an env var holding the key, e.g. api_key_env = "OPENAI_API_KEY" '
    '(default: OPENAI_API_KEY; "" for a server that takes no key)',
    "api": 'api = "chat" (chat models) or api = "completion" (base models)',
    "input_price": "USD per 1M input tokens from the provider's price page (0 if self-hosted)",
    "output_price": "USD per 1M output tokens from the provider's price page (0 if self-hosted)",
    "max_tokens": "a positive integer limit on generated tokens per sample",
    "timeout": "seconds per request, a positive number",
    "max_retries": "how often the client retries transport errors, an integer >= 0",
    "context_window": "the model's context size in tokens, a positive integer",
    "stop": 'a list of stop strings, e.g. stop = ["\\n### "]',
    "cached_input_price": "USD per 1M cached prompt tokens (the input price when absent)",
    "rpm": "the most requests per minute this run may send the model, an integer >= 1",
    "tpm": "the most tokens (prompt + answer) per minute, an integer >= 1",
}
_REQUIRED = ("base_url", "model")


@dataclass(frozen=True)
class ConfigFile:
    """What `read_config` found: the specs, the file read (None: none found), where it looked,
    ignored tables, and models that cannot be built here (a `${NAME}` whose variable is unset)."""

    specs: dict[str, ModelSpec]
    file: Path | None
    looked_for: tuple[Path, ...]
    ignored: tuple[str, ...] = ()
    source: str = ""  # how the file was found, e.g. "named by PAT_GRAPH_CONFIG"
    unusable: dict[str, str] = field(default_factory=dict)  # model name -> why

    def describe(self) -> str:
        """One sentence for error messages: which file was read and what in it was ignored."""
        if self.file is None:
            looked = ", then ".join(str(p) for p in self.looked_for)
            return (
                f"no config file was found (looked for {looked}; pass --config FILE, set "
                f"{CONFIG_ENV}, or create pat.toml)"
            )
        text = f"read {self.file} ({self.source})"
        if self.ignored:
            typo = any(t.split(".")[0] == "model" for t in self.ignored)
            hint = " (model tables are [models.NAME])" if typo else ""
            tables = ", ".join(f"[{t}]" for t in self.ignored)
            text += f", which has table(s) pat-graph ignores: {tables}{hint}"
        return text

    def check_usable(self, name: str) -> None:
        """Raise why model `name` cannot be used here, when its table has an unset variable."""
        if name in self.unusable:
            raise ConfigError(self.unusable[name])


class _Specs(dict):  # type: ignore[type-arg]
    """The specs by name; asking for a model whose table has an unset `${NAME}` raises why."""

    unusable: dict[str, str]

    def __missing__(self, name: str) -> ModelSpec:
        if name in self.unusable:
            raise ConfigError(self.unusable[name])
        raise KeyError(name)


def user_config_path() -> Path:
    """`$XDG_CONFIG_HOME/pat-graph/pat.toml`, default `~/.config/pat-graph/pat.toml` (a relative
    XDG_CONFIG_HOME is ignored, as the XDG spec says)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "pat-graph" / DEFAULT_CONFIG


def find_config(path: str | Path | None = None) -> tuple[Path | None, str, tuple[Path, ...]]:
    """(file or None, how it was found, the places looked at), in this order: `path`
    (--config), $PAT_GRAPH_CONFIG, ./pat.toml, the user config dir. A file named by --config or
    the variable must exist; the two default places may be absent."""
    if path is not None:
        return _named(Path(path), "given by --config", "check --config")
    env = os.environ.get(CONFIG_ENV, "")
    if env:
        return _named(Path(env), f"named by {CONFIG_ENV}", f"check {CONFIG_ENV} or pass --config")
    places = ((Path.cwd() / DEFAULT_CONFIG, "found in the working directory"),
              (user_config_path(), "found in the user config dir"))  # fmt: skip
    for file, source in places:
        if file.is_dir():
            raise ConfigError(f"{file}: is a directory, not a config file ({source})")
        if file.exists():
            return file, source, tuple(p for p, _ in places)
    return None, "", tuple(p for p, _ in places)


def _named(file: Path, source: str, fix: str) -> tuple[Path, str, tuple[Path, ...]]:
    if not file.exists():
        raise ConfigError(f"{file}: config file not found ({source}); {fix}")
    if file.is_dir():
        raise ConfigError(f"{file}: is a directory, not a config file ({source}); {fix}")
    return file, source, (file,)


def load_config(path: str | Path | None = None) -> dict[str, ModelSpec]:
    """Read `[models.<name>]` tables; the built-in `local` model is always present.

    A missing default `pat.toml` just means "no configured models"; a missing file the user
    named explicitly is an error, because a typo there would otherwise go unnoticed.
    """
    return read_config(path).specs


def read_config(path: str | Path | None = None) -> ConfigFile:
    """`load_config` plus what a message about a missing model needs to say."""
    file, source, looked_for = find_config(path)
    specs = _Specs({LOCAL: LOCAL_SPEC})
    specs.unusable = {}
    if file is None:
        return ConfigFile(specs, None, looked_for, unusable=specs.unusable)
    try:
        text = file.read_text(encoding="utf-8")
        data = tomllib.loads(text)
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
        try:
            specs[name] = _expanded_spec(file, text, name, table)
        except UnsetVariable as exc:  # an error only when a run uses this model
            specs.unusable[name] = str(exc)
    ignored: list[str] = []
    for key, value in data.items():
        if key == "models":
            continue
        subtables = (
            isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values())
        )
        ignored += [f"{key}.{sub}" for sub in value] if subtables else [key]
    return ConfigFile(specs, file, looked_for, tuple(ignored), source, specs.unusable)


def _expanded_spec(file: Path, text: str, name: str, table: dict[str, Any]) -> ModelSpec:
    """`_parse_spec` after `${NAME}` expansion; its messages never show an expanded value."""
    where = f"{file}: [models.{name}]"
    expanded, used = expand(table, where=where, line_of=line_finder(text, name))
    try:
        return _parse_spec(file, name, expanded)
    except ConfigError as exc:
        raise ConfigError(redact(str(exc), used)) from None


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
    if key_env not in (None, NO_KEY) and (
        not isinstance(key_env, str) or not _ENV_NAME.match(key_env)
    ):
        raise bad("api_key_env", f"is not an environment variable name ({key_env!r})")
    api = table.get("api", "chat")
    if api not in ("chat", "completion"):
        raise bad("api", f"is {api!r}, unknown")
    prices = _prices(table, bad)
    max_tokens = _integer(table.get("max_tokens", 1024), minimum=1)
    if max_tokens is None:
        raise bad("max_tokens", f"must be an integer >= 1 (got {table['max_tokens']!r})")
    timeout = _number(table.get("timeout", 120.0), minimum=0.0)
    if timeout is None or timeout == 0:
        raise bad("timeout", f"must be a number > 0 ({_got(table['timeout'])})")
    retries = _integer(table.get("max_retries", 2), minimum=0)
    if retries is None:
        raise bad("max_retries", f"must be an integer >= 0 (got {table['max_retries']!r})")
    window = table.get("context_window")
    if window is not None and _integer(window, minimum=1) is None:
        raise bad("context_window", f"must be an integer >= 1 (got {window!r})")
    cached_price = table.get("cached_input_price")
    if cached_price is not None and _number(cached_price, minimum=0.0) is None:
        raise bad("cached_input_price", f"must be a number >= 0 ({_got(cached_price)})")
    stop = table.get("stop", [])
    if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop):
        raise bad("stop", "must be a list of non-empty strings")
    rpm, tpm = (_rate_limit(table, key, bad) for key in ("rpm", "tpm"))
    return ModelSpec(
        name=name,
        base_url=base_url.rstrip("/"),
        model=model,
        input_price=prices["input_price"],
        output_price=prices["output_price"],
        api_key_env=key_env,
        api=api,
        max_tokens=max_tokens,
        max_tokens_set="max_tokens" in table,
        timeout=float(timeout),
        max_retries=retries,
        context_window=window,
        stop=tuple(stop),
        cached_input_price=None if cached_price is None else float(cached_price),
        rpm=rpm,
        tpm=tpm,
    )


def _prices(table: dict[str, Any], bad: Any) -> dict[str, float | None]:
    """Both prices, or neither: a model without prices can be defined (a run that uses it
    records its requests' cost as unknown, never $0, and `run` warns); one price alone is a typo.
    """
    keys = ("input_price", "output_price")
    given = [k for k in keys if k in table]
    if not given:
        return dict.fromkeys(keys)
    if len(given) == 1:
        missing = next(k for k in keys if k not in table)
        raise bad(missing, f"is missing while {given[0]} is set (give both prices, or neither)")
    prices = {k: _number(table[k], minimum=0.0) for k in keys}
    for key, value in prices.items():
        if value is None:
            raise bad(key, f"must be a number >= 0 ({_got(table[key])})")
    return prices


def _rate_limit(table: dict[str, Any], key: str, bad: Any) -> int | None:
    value = table.get(key)
    if value is not None and _integer(value, minimum=1) is None:
        raise bad(key, f"must be an integer >= 1 (got {value!r})")
    return value


def _number(value: object, *, minimum: float) -> float | None:
    """A finite number >= minimum, else None: TOML accepts `nan` and `inf`, which would break
    every cost sum and the run's settings check later (issue 22)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < minimum:
        return None
    return float(value)


def _got(value: object) -> str:
    infinite = isinstance(value, float) and not math.isfinite(value)
    return f"got {value!r}, which is not a finite number" if infinite else f"got {value!r}"


def _integer(value: object, *, minimum: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        return None
    return value


def key_env_of(spec: ModelSpec, base_url: str | None = None) -> str | None:
    """The environment variable the key is read from: `api_key_env`, else OPENAI_API_KEY; None
    when no key is sent (`api_key_env = ""`, or none set and the server is on loopback)."""
    if spec.api_key_env is not None:
        return spec.api_key_env or None
    url = base_url or spec.base_url
    if url is None or is_loopback(url):
        return None
    return DEFAULT_KEY_ENV


def with_max_tokens_floor(spec: ModelSpec, floor: int) -> ModelSpec:
    """The spec sending at least `floor` output tokens, unless its config set `max_tokens`
    (issue 20: the paper's models answered with 8192 tokens or more; a truncated answer loses
    its closing fence and is thrown away)."""
    if spec.max_tokens_set or spec.max_tokens >= floor:
        return spec
    return replace(spec, max_tokens=floor)


def resolve_api_key(spec: ModelSpec, base_url: str | None = None) -> str:
    """The key to send, from `key_env_of`'s variable; a placeholder when no key is sent.

    Without `api_key_env` the key is $OPENAI_API_KEY, as in OpenAI's own client, except for a
    server on loopback (a local vLLM, Ollama, llama.cpp): it gets the placeholder, as before
    the default existed, so a local server never receives the user's OpenAI key and a missing
    OPENAI_API_KEY never breaks it. For other hosts an unset default variable is an error only
    at api.openai.com (which always needs a key); elsewhere the placeholder goes out and the
    start-up probe reports a server that refuses it, naming the variable (setup._probe).
    The placeholder matters: the OpenAI client would otherwise read OPENAI_API_KEY by itself.
    """
    name = key_env_of(spec, base_url)
    if name is None:
        return KEY_PLACEHOLDER
    key = os.environ.get(name, "")
    if key:
        return key
    if spec.api_key_env is None:
        if urlparse(base_url or spec.base_url or "").hostname not in _OPENAI_HOSTS:
            return KEY_PLACEHOLDER
        raise ConfigError(
            f"model {spec.name!r}: environment variable {name} is not set (api_key_env "
            f"defaults to it); export {name}=<your key>, or name another variable with "
            f"api_key_env in [models.{spec.name}]"
        )
    raise ConfigError(
        f"model {spec.name!r}: environment variable {name} is not set; export {name}=<your key> "
        f'(or set api_key_env = "" for a server that takes no key)'
    )


def key_source(spec: ModelSpec) -> str:
    """Where the key sent to `spec`'s server came from, for a message about a refused key."""
    name = key_env_of(spec)
    if spec.api_key_env:
        return f"api_key_env = {spec.api_key_env!r}"
    if spec.api_key_env == NO_KEY:
        return 'api_key_env = "", so no key was sent'
    if name is None:
        return (
            "no api_key_env, and a server on loopback gets no key unless api_key_env names "
            "its variable"
        )
    state = "" if os.environ.get(name) else ", which is not set, so no key was sent"
    return f"no api_key_env, so the key is ${name}{state}"


def is_loopback(url: str) -> bool:
    """Whether `url` points at this machine (localhost, 127.0.0.0/8, ::1)."""
    host = (urlparse(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sends_legacy_max_tokens(base_url: str | None) -> bool:
    """OpenAI's own API rejects `max_tokens` for newer models; every other server needs it."""
    return base_url is not None and urlparse(base_url).hostname not in _OPENAI_HOSTS


def make_chat_model(spec: ModelSpec, *, base_url_override: str | None = None) -> BaseChatModel:
    """Build the LangChain chat model for a spec (the usage-counting, limit-honouring kind)."""
    # Imported here: reading a config (what `worker`, `run`'s checks and the reports do) needs
    # no LangChain or OpenAI client, which take about 2 s to import.
    import pat_graph.models.limits as limits
    from pat_graph.models.completion import CompletionChatModel
    from pat_graph.models.openai_chat import ChatOpenAICompat
    from pat_graph.models.transport import counting_client

    base_url = base_url_override or spec.base_url
    if base_url is None:
        raise ConfigError(
            f"model {spec.name!r} has no server address: start it with "
            "pat_graph.models.local.LocalServer and pass base_url_override=server.base_url"
        )
    api_key = resolve_api_key(spec, base_url)
    limiter = limits.for_model(spec, base_url)
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
            limiter=limiter,
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
        limiter=limiter,
        http_async_client=counting_client(),  # retries and 429s reach the ledger (transport.py)
    )
