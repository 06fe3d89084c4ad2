"""Graph nodes. Each factory takes the run's dependencies and returns one async node; every risky
step (LLM call, sandbox run, parsing) happens in a node, never in a router."""

from pat_graph.graph.nodes.build_tests import build_tests_node
from pat_graph.graph.nodes.compose import compose_node
from pat_graph.graph.nodes.deps import Deps
from pat_graph.graph.nodes.finalize import finalize_node
from pat_graph.graph.nodes.generate import generate_node
from pat_graph.graph.nodes.implement_helper import implement_helper_node
from pat_graph.graph.nodes.plan import plan_node
from pat_graph.graph.nodes.verify import verify_node

__all__ = [
    "Deps",
    "build_tests_node",
    "compose_node",
    "finalize_node",
    "generate_node",
    "implement_helper_node",
    "plan_node",
    "verify_node",
]
