"""Graph builders: PaT and its baselines from the same nodes (DESIGN.md section 2).

- standard / best-of-n: generate + build_tests -> verify -> finalize (never plan)
- pat: generate + build_tests -> verify -(failed)-> plan -> implement_helper* -> compose -> verify
  (with `tests_after_candidate`, the paper profile, build_tests runs after generate, because the
  tests are written after seeing a candidate, and may send the node back to a new trial when
  test writing produced no test at all)
- codet, pbt (FunCoder): wired in pat_graph/graph/baselines.py from the shared nodes and their own
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph

from pat_graph.errors import ConfigError
from pat_graph.graph.baselines import BASELINES, wire_baseline
from pat_graph.graph.budgets import PLANNING_POLICIES, POLICIES, budgets_for, canonical_policy
from pat_graph.graph.nodes import (
    Deps,
    build_tests_node,
    compose_node,
    finalize_node,
    generate_node,
    implement_helper_node,
    plan_node,
    verify_node,
)
from pat_graph.graph.nodes.deps import SolveContext
from pat_graph.graph.routing import (
    route_after_plan,
    route_after_tests,
    route_after_verify,
)
from pat_graph.graph.state import SolveInput, SolveState
from pat_graph.models.roles import RoleModel, as_role_model
from pat_graph.sandbox.base import Sandbox

__all__ = ["PLANNING_POLICIES", "build_graph", "graph_defaults", "graph_for"]


def graph_defaults(
    policy: str = "pat",
    *,
    generator: BaseChatModel | RoleModel,
    planner: BaseChatModel | RoleModel | None = None,
    sandbox: Sandbox | None = None,
    prices: Mapping[str, tuple[float, float]] | None = None,
    profile: str | None = None,
    **budgets: Any,
) -> Deps:
    """What `build_graph` resolves its arguments to: the canonical policy, the role models and
    the knobs. The graph's nodes use them unless a run's `context=` says otherwise; callers
    that need them (the recursion limit, the recorded budgets) read them here."""
    policy = canonical_policy(policy)  # FunCoder / CodeT: `funcoder` is `pbt`
    if policy not in POLICIES:
        raise ConfigError(f"unknown policy {policy!r}; choose one of: {', '.join(POLICIES)}")
    resolved = budgets_for(policy, budgets, profile=profile)
    gen = replace(as_role_model(generator, prices), no_think=resolved.no_think)
    plan_model = gen
    if planner is not None:
        plan_model = replace(as_role_model(planner, prices), no_think=resolved.no_think)
    return Deps(
        policy=policy,
        generator=gen,
        planner=plan_model if policy in PLANNING_POLICIES else None,
        budgets=resolved,
        sandbox=sandbox,
        planner_follows_generator=planner is None,
    )


def build_graph(
    policy: str = "pat",
    *,
    generator: BaseChatModel | RoleModel,
    planner: BaseChatModel | RoleModel | None = None,
    sandbox: Sandbox | None = None,
    prices: Mapping[str, tuple[float, float]] | None = None,
    profile: str | None = None,
    **budgets: Any,
) -> StateGraph:
    """An uncompiled graph for `policy`; compile it with any checkpointer.

    `planner` defaults to the generator (the homogeneous setting). `prices` maps a model name to
    (input, output) USD per million tokens for plain chat models; a RoleModel carries its own.
    `profile` ("paper", the default, or "strict") picks the knob set; budgets (n_samples,
    plan_rounds, max_depth, any knob of `pat_graph.graph.budgets.Budgets`) override it.
    These are the graph's defaults: a run may pass other models, a sandbox or budget overrides
    as `context=SolveContext(...)` (pat_graph.graph.nodes.deps).
    """
    return graph_for(
        graph_defaults(
            policy,
            generator=generator,
            planner=planner,
            sandbox=sandbox,
            prices=prices,
            profile=profile,
            **budgets,
        )
    )


def graph_for(deps: Deps) -> StateGraph:
    """The uncompiled graph of `deps.policy` whose nodes default to `deps`."""
    builder = StateGraph(SolveState, context_schema=SolveContext, input_schema=SolveInput)
    deps.shared.builder = builder  # helpers are solved by the same graph one level deeper
    resolved = deps.budgets
    if deps.policy in BASELINES:  # FunCoder / CodeT: their own wiring (graph/baselines.py)
        wire_baseline(builder, deps)
        return builder
    builder.add_node("generate", generate_node(deps))
    builder.add_node("build_tests", build_tests_node(deps))
    builder.add_node("verify", verify_node(deps))
    builder.add_node("finalize", finalize_node(deps))
    builder.add_edge("finalize", END)
    if resolved.tests_after_candidate:
        builder.add_edge(START, "generate")
        builder.add_edge("generate", "build_tests")
        builder.add_conditional_edges("build_tests", route_after_tests, ["generate", "verify"])
    else:
        builder.add_edge(START, "generate")
        builder.add_edge(START, "build_tests")
        builder.add_edge(["generate", "build_tests"], "verify")
    if deps.policy in PLANNING_POLICIES:
        builder.add_node("plan", plan_node(deps))
        builder.add_node("implement_helper", implement_helper_node(deps))
        builder.add_node("compose", compose_node(deps))
        builder.add_conditional_edges("verify", route_after_verify, ["plan", "finalize"])
        builder.add_conditional_edges(
            "plan", route_after_plan, ["implement_helper", "compose", "finalize"]
        )
        builder.add_edge("implement_helper", "compose")
        builder.add_edge("compose", "verify")
    else:
        builder.add_edge("verify", "finalize")
    return builder
