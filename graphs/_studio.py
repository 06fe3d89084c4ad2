"""What the Studio graphs share: models from configuration, and one compiled graph per policy.

`langgraph dev` imports `graphs/<policy>.py` and serves its module-level `graph`. That graph
must carry no checkpointer (the server brings its own), and its models cannot be passed in by a
caller, so they come from configuration:

- `PAT_GRAPH_CONFIG`: the TOML file with `[models.<name>]` tables (default `./pat.toml`);
- `PAT_GRAPH_GENERATOR`: the generator's model name (default `local`, the embedded model);
- `PAT_GRAPH_PLANNER`: the planner's model name (default: the generator, the homogeneous
  setting); only the planning policies (pat, pbt) use it;
- `PAT_GRAPH_SANDBOX`: `auto` (default), `bwrap` or `process`;
- `PAT_GRAPH_LOCAL_URL`: the address of an already running `pat-graph serve-local`
  (e.g. `http://127.0.0.1:8080/v1`); without it, `local` starts the embedded server the first
  time a model is called and stops it when the process exits.

Configuration errors (unknown model name, missing API key variable) are raised at import, so
`langgraph dev` fails at startup with the message instead of at the first run.
"""

from __future__ import annotations

import asyncio
import atexit
import os
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.graph.state import CompiledStateGraph
from pydantic import PrivateAttr

from pat_graph import RoleModel
from pat_graph.errors import ConfigError
from pat_graph.graph.nodes.deps import Deps
from pat_graph.graph.policies import graph_defaults, graph_for
from pat_graph.models.answer import Answer, AnswerChatModel
from pat_graph.models.completion import CompletionChatModel
from pat_graph.models.config import LOCAL, LOCAL_SPEC, ModelSpec, load_config, make_chat_model

CONFIG_ENV = "PAT_GRAPH_CONFIG"
GENERATOR_ENV = "PAT_GRAPH_GENERATOR"
PLANNER_ENV = "PAT_GRAPH_PLANNER"
SANDBOX_ENV = "PAT_GRAPH_SANDBOX"
LOCAL_URL_ENV = "PAT_GRAPH_LOCAL_URL"
DEFAULT_MODEL = LOCAL
PLANNING = ("pat", "pbt")


class LazyLocalChatModel(AnswerChatModel):
    """The embedded model, started on the first call rather than at import: importing a graph
    (as `langgraph dev` does for every graph at startup) must not launch a model server.
    It answers with the inner client's answers, so their usage and request counts are kept."""

    llm_type = "pat-graph-local-lazy"
    _inner: CompletionChatModel | None = PrivateAttr(default=None)
    _lock: asyncio.Lock | None = PrivateAttr(default=None)

    @property
    def model_name(self) -> str:
        return LOCAL_SPEC.model

    async def _model(self) -> CompletionChatModel:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._inner is None:
                from pat_graph.models.local import LocalServer

                server = LocalServer()
                await asyncio.to_thread(server.start)
                atexit.register(server.stop)
                inner = make_chat_model(LOCAL_SPEC, base_url_override=server.base_url)
                assert isinstance(inner, CompletionChatModel)  # LOCAL_SPEC.api
                self._inner = inner
        return self._inner

    def _sync_error(self) -> Exception:
        return ConfigError("the Studio graphs are async; invoke them with ainvoke/astream")

    async def _aanswer(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> list[Answer]:
        inner = await self._model()
        return await inner._aanswer(messages, stop, **kwargs)


def role_model(spec: ModelSpec) -> RoleModel:
    """Prices travel with the model, so Studio runs get the same cost ledger as batch runs."""
    if spec.name == LOCAL:
        url = os.environ.get(LOCAL_URL_ENV)
        chat = make_chat_model(spec, base_url_override=url) if url else LazyLocalChatModel()
    else:
        chat = make_chat_model(spec)
    return RoleModel(chat, spec.name, spec.input_price, spec.output_price)


def pick(specs: dict[str, ModelSpec], env: str, default: str, source: str) -> ModelSpec:
    name = os.environ.get(env) or default
    if name not in specs:
        raise ConfigError(
            f"{env}={name!r} is not a model in {source}; "
            f"known models: {', '.join(sorted(specs))} (add a [models.{name}] table)"
        )
    return specs[name]


def studio_defaults(policy: str) -> Deps:
    """The models, sandbox and budgets a Studio graph of `policy` runs with, from the
    environment; a run may still pass others through its context (budget overrides as JSON)."""
    path = os.environ.get(CONFIG_ENV)
    specs = load_config(Path(path) if path else None)
    source = path or "./pat.toml"
    generator = pick(specs, GENERATOR_ENV, DEFAULT_MODEL, source)
    planner = pick(specs, PLANNER_ENV, generator.name, source) if policy in PLANNING else None
    sandbox = os.environ.get(SANDBOX_ENV, "auto")
    if sandbox not in ("auto", "bwrap", "process"):
        raise ConfigError(f"{SANDBOX_ENV}={sandbox!r}; use auto, bwrap or process")
    from pat_graph.sandbox import get_sandbox

    return graph_defaults(
        policy,
        generator=role_model(generator),
        planner=role_model(planner) if planner is not None else None,
        sandbox=get_sandbox(sandbox),
    )


def studio_graph(policy: str) -> CompiledStateGraph:
    """The compiled graph `langgraph dev` serves for `policy`, with a recursion limit the
    policy's budgets can never hit (loops are bounded by counters in state)."""
    defaults = studio_defaults(policy)
    limit = defaults.budgets.recursion_limit()
    graph = graph_for(defaults).compile(name=f"pat-graph {policy}")
    return graph.with_config(recursion_limit=limit)
