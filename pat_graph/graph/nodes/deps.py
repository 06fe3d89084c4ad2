"""What nodes need besides the state: models, budgets, the sandbox, and the graph itself (helpers
are solved by the same policy one level deeper)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pat_graph.graph.budgets import Budgets
from pat_graph.models.roles import RoleModel
from pat_graph.sandbox.base import Sandbox


@dataclass
class Deps:
    policy: str
    generator: RoleModel
    planner: RoleModel | None
    budgets: Budgets
    sandbox: Sandbox | None = None
    builder: Any = None  # the uncompiled StateGraph, set by policies.build_graph
    _child: Any = field(default=None, repr=False)

    def get_sandbox(self) -> Sandbox:
        if self.sandbox is None:
            from pat_graph.sandbox import get_sandbox

            self.sandbox = get_sandbox("auto")
        return self.sandbox

    def child_graph(self) -> Any:
        """The same graph compiled without a checkpointer of its own: when the parent runs with
        one, LangGraph checkpoints the helper's run in the parent's namespace, so a crash inside
        a helper resumes inside that helper."""
        if self._child is None:
            self._child = self.builder.compile()
        return self._child
