"""The wiring of the two sampling baselines (PAT_SPEC.md section 5), from the shared nodes
where the algorithms share steps (`generate`, `implement_helper`, `finalize`, the ledger through
`llm.sample`) and their own nodes where they differ.

- codet: generate -> build_tests (asserts written after seeing a candidate) -> verify (CodeT
  score: asserts passed) -> finalize. Never plans.
- pbt (FunCoder): plan (divide: write the function, helpers optional) -> implement_helper* (each
  helper by the same graph, one level deeper) -> generate (conquer: re-sample given the helpers)
  -> build_tests (inputs; root unit tests) -> verify (functional consensus) -> finalize. One
  divide per node, no re-planning rounds.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from pat_graph.graph.nodes.codet import codet_tests_node, codet_verify_node
from pat_graph.graph.nodes.conquer import conquer_node
from pat_graph.graph.nodes.consensus import consensus_tests_node, consensus_verify_node
from pat_graph.graph.nodes.deps import Deps
from pat_graph.graph.nodes.divide import divide_node
from pat_graph.graph.nodes.finalize import finalize_node
from pat_graph.graph.nodes.generate import generate_node
from pat_graph.graph.nodes.implement_helper import implement_helper_node
from pat_graph.graph.routing import route_after_divide

BASELINES = ("codet", "pbt")


def wire_baseline(builder: StateGraph, deps: Deps) -> None:
    builder.add_node("finalize", finalize_node(deps))
    builder.add_edge("finalize", END)
    if deps.policy == "codet":
        builder.add_node("generate", generate_node(deps))
        builder.add_node("build_tests", codet_tests_node(deps))
        builder.add_node("verify", codet_verify_node(deps))
        builder.add_edge(START, "generate")
    elif deps.policy == "pbt":
        builder.add_node("plan", divide_node(deps))
        builder.add_node("implement_helper", implement_helper_node(deps))
        builder.add_node("generate", conquer_node(deps))
        builder.add_node("build_tests", consensus_tests_node(deps))
        builder.add_node("verify", consensus_verify_node(deps))
        builder.add_edge(START, "plan")
        builder.add_conditional_edges(
            "plan", route_after_divide, ["implement_helper", "generate", "finalize"]
        )
        builder.add_edge("implement_helper", "generate")
    else:
        raise ValueError(f"not a baseline wired here: {deps.policy!r}")
    builder.add_edge("generate", "build_tests")
    builder.add_edge("build_tests", "verify")
    builder.add_edge("verify", "finalize")
