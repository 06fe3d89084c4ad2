"""What nodes need besides the state, and the one place where it reaches them: LangGraph's
runtime context.

- `SolveContext` is every graph's `context_schema`: what a caller may pass as `context=` when it
  invokes (or resumes) a graph: its own models, sandbox and budget overrides. Fields left empty
  fall back to the graph's defaults, which are `build_graph`'s arguments. Context is not
  checkpointed, so whoever resumes a thread passes it again.
- `Deps` is what one node call works with: the defaults with the context applied.
- `as_node(defaults, body)` turns `async def body(state, deps) -> dict` into a LangGraph node. It is
  the only code that reads the `Runtime`: it resolves the `Deps`, makes the node's
  `RunnableConfig` the one every model request inside it carries (so callbacks, tracers and
  `stream_mode="messages"` see the requests nested under the node), and writes the node's
  progress event to LangGraph's `custom` stream.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Annotated, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime
from pydantic import ConfigDict, WithJsonSchema

from pat_graph.errors import ConfigError
from pat_graph.graph.budgets import PLANNING_POLICIES, Budgets
from pat_graph.graph.events import progress_payload
from pat_graph.models.calls import run_config
from pat_graph.models.roles import RoleModel, as_role_model
from pat_graph.sandbox.base import Sandbox

# Knobs that decide the graph's wiring or how the rest were resolved: fixed at build time.
BUILD_ONLY_KNOBS = ("profile", "tests_after_candidate")
# Models and sandboxes are not JSON: the context's JSON schema (LangGraph Server shows it) marks
# them as set from Python only.
ModelField = Annotated[
    BaseChatModel | RoleModel | None,
    WithJsonSchema(
        {"type": "null", "description": "a LangChain chat model or RoleModel (Python only)"}
    ),
]
SandboxField = Annotated[
    Sandbox | None, WithJsonSchema({"type": "null", "description": "a Sandbox (Python only)"})
]


@dataclass
class SolveContext:
    """Run-time dependencies: pass `context=SolveContext(...)` (or a dict with these keys) to
    `ainvoke`/`astream`. Empty fields use the graph's defaults (build_graph's arguments).

    `planner` left empty follows `generator` when the graph was built without a planner (the
    homogeneous setting), else it is the graph's planner. `budgets` overrides knobs on top of
    the graph's resolved ones (e.g. `{"n_samples": 3}`); `profile` and
    `tests_after_candidate` shape the graph and can only be given to build_graph. `prices`
    maps a plain chat model's name to (input, output) USD per million tokens.

    A parent graph whose own context is a subclass of this one (or a dict with these keys)
    hands its models to pat-graph subgraphs too; any other context is ignored.
    """

    __pydantic_config__ = ConfigDict(arbitrary_types_allowed=True)  # for the JSON schema

    generator: ModelField = None
    planner: ModelField = None
    sandbox: SandboxField = None
    budgets: dict[str, Any] | None = None
    prices: dict[str, tuple[float, float]] | None = None

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(SolveContext))


def as_context(value: Any) -> SolveContext | None:
    """A SolveContext (or subclass) as is; a mapping's known keys; anything else: None (a parent
    app's own context that pat-graph inherited as a subgraph)."""
    if isinstance(value, SolveContext):
        return value
    if isinstance(value, Mapping):
        names = {f.name for f in fields(SolveContext)}
        known = {k: v for k, v in value.items() if k in names}
        return SolveContext(**known) if known else None
    return None


def override_budgets(base: Budgets, overrides: Mapping[str, Any]) -> Budgets:
    """The graph's knobs with a run's overrides on top (validated as Budgets validates)."""
    known = {f.name for f in fields(Budgets)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(
            f"unknown budget(s) in the context: {', '.join(unknown)}; "
            f"known budgets: {', '.join(sorted(known))}"
        )
    fixed = [k for k in BUILD_ONLY_KNOBS if k in overrides and overrides[k] != getattr(base, k)]
    if fixed:
        raise ConfigError(
            f"{', '.join(fixed)} shape the graph and cannot change per run; pass them to "
            "build_graph (or --budget) instead of the context"
        )
    return replace(base, **dict(overrides))


@dataclass
class _Shared:
    """What every node call of one built graph shares, made on first use."""

    builder: Any = None  # the uncompiled StateGraph (helpers run the same graph one level deeper)
    child: Any = None
    resolved: dict[int, tuple[Any, Deps]] = field(default_factory=dict)


@dataclass(frozen=True)
class Deps:
    policy: str
    generator: RoleModel
    planner: RoleModel | None
    budgets: Budgets
    sandbox: Sandbox | None = None
    planner_follows_generator: bool = False  # built without a planner: the homogeneous setting
    context: SolveContext | None = None  # the run's context, handed on to helper subgraphs
    shared: _Shared = field(default_factory=_Shared, repr=False, compare=False)

    def get_sandbox(self) -> Sandbox:
        if self.sandbox is not None:
            return self.sandbox
        from pat_graph.sandbox import get_sandbox

        return get_sandbox("auto")

    def child_graph(self) -> Any:
        """The same graph compiled without a checkpointer of its own: when the parent runs with
        one, LangGraph checkpoints the helper's run in the parent's namespace, so a crash inside
        a helper resumes inside that helper."""
        if self.shared.child is None:
            self.shared.child = self.shared.builder.compile()
        return self.shared.child

    def under(self, context: Any) -> Deps:
        """These defaults with a run's context applied (resolved once per context object)."""
        ctx = as_context(context)
        if ctx is None or ctx.is_empty():
            return self
        cache = self.shared.resolved
        hit = cache.get(id(context))
        if hit is not None and hit[0] is context:
            return hit[1]
        deps = self._apply(ctx)
        if len(cache) >= 32:  # runs of one long-lived graph: keep the recent contexts only
            cache.pop(next(iter(cache)))
        cache[id(context)] = (context, deps)
        return deps

    def _apply(self, ctx: SolveContext) -> Deps:
        budgets = override_budgets(self.budgets, ctx.budgets) if ctx.budgets else self.budgets

        def role(model: Any, slot: str) -> RoleModel:
            try:
                chosen = as_role_model(model, ctx.prices)
            except TypeError as exc:
                raise ConfigError(f"context {slot}: {exc}") from exc
            return replace(chosen, no_think=budgets.no_think)

        generator = (
            replace(self.generator, no_think=budgets.no_think)
            if ctx.generator is None
            else role(ctx.generator, "generator")
        )
        planner: RoleModel | None = None
        if self.policy in PLANNING_POLICIES:
            if ctx.planner is not None:
                planner = role(ctx.planner, "planner")
            elif self.planner_follows_generator or self.planner is None:
                planner = generator
            else:
                planner = replace(self.planner, no_think=budgets.no_think)
        return replace(
            self,
            generator=generator,
            planner=planner,
            budgets=budgets,
            sandbox=ctx.sandbox or self.sandbox,
            context=ctx,
        )


NodeBody = Callable[[Any, Deps], Awaitable[dict[str, Any]]]
Node = Callable[[Any, Runtime[SolveContext], RunnableConfig], Awaitable[dict[str, Any]]]


def as_node(defaults: Deps, body: NodeBody) -> Node:
    """A LangGraph node running `body(state, deps)` with this call's dependencies."""

    async def run(
        state: Any, runtime: Runtime[SolveContext], config: RunnableConfig
    ) -> dict[str, Any]:
        deps = defaults.under(runtime.context)
        if deps is not defaults and deps.budgets is not defaults.budgets:
            _check_recursion_limit(deps.budgets, config)
        with run_config(config):
            update = await body(state, deps)
        name = str((config.get("metadata") or {}).get("langgraph_node") or body.__name__)
        runtime.stream_writer(progress_payload(name, state, update))
        return update

    run.__name__ = body.__name__
    run.__qualname__ = body.__qualname__
    run.__doc__ = body.__doc__
    return run


def _check_recursion_limit(budgets: Budgets, config: RunnableConfig) -> None:
    """Budgets raised through the context need the supersteps they imply: say so up front
    instead of failing with LangGraph's recursion error halfway through a problem."""
    limit = config.get("recursion_limit")
    if isinstance(limit, int) and limit < budgets.recursion_limit():
        raise ConfigError(
            f"recursion_limit={limit} is too low for the context's budgets; pass "
            f"config={{'recursion_limit': {budgets.recursion_limit()}}} (or more)"
        )
