"""pat-graph: Planning-after-Trial code generation as a LangGraph state machine.

The public names below are imported on first use (PEP 562 module `__getattr__`), not when the
package is imported: langchain-openai and openai alone take about a second to import, and
`pat-graph --help` or `pat-graph report` never need them (benchmarks/startup.py measures this).
`from pat_graph import solve` works exactly as an eager import would.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from pat_graph import _moved
from pat_graph.version import __version__ as __version__

# public name -> module that defines it. Add an export here and in __all__.
_EXPORTS: dict[str, str] = {
    "POLICIES": "pat_graph.graph.budgets",
    "Budgets": "pat_graph.graph.budgets",
    "ConfigError": "pat_graph.errors",
    "ModelSpec": "pat_graph.models.config",
    "PatError": "pat_graph.errors",
    "Problem": "pat_graph.problem",
    "Result": "pat_graph.graph.solve",
    "RoleModel": "pat_graph.models.roles",
    "Sandbox": "pat_graph.sandbox",
    "SolveContext": "pat_graph.graph.nodes.deps",
    "TestOutcome": "pat_graph.sandbox",
    "TestReport": "pat_graph.sandbox",
    "Verdict": "pat_graph.benchmarks.judge",
    "build_graph": "pat_graph.graph.policies",
    "evaluate_samples": "pat_graph.benchmarks.evaluate",
    "judge": "pat_graph.benchmarks.judge",
    "list_benchmarks": "pat_graph.benchmarks",
    "load_benchmark": "pat_graph.benchmarks",
    "load_config": "pat_graph.models.config",
    "make_chat_model": "pat_graph.models.config",
    "run_tests": "pat_graph.sandbox",
    "run_tests_sync": "pat_graph.sandbox",
    "solve": "pat_graph.graph.solve",
}

__all__ = [
    "POLICIES",
    "Budgets",
    "ConfigError",
    "ModelSpec",
    "PatError",
    "Problem",
    "Result",
    "RoleModel",
    "Sandbox",
    "SolveContext",
    "TestOutcome",
    "TestReport",
    "Verdict",
    "build_graph",
    "evaluate_samples",
    "judge",
    "list_benchmarks",
    "load_benchmark",
    "load_config",
    "make_chat_model",
    "run_tests",
    "run_tests_sync",
    "solve",
]


class _Package(types.ModuleType):
    """Keeps `pat_graph.solve` (and `judge`) the function: importing an old module path of the
    same name (`pat_graph.solve`, see `_moved`) sets the package attribute to the module."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
_moved.install()


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pat_graph' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static type checkers and IDEs see the eager imports
    from pat_graph.benchmarks import list_benchmarks, load_benchmark
    from pat_graph.benchmarks.evaluate import evaluate_samples
    from pat_graph.benchmarks.judge import Verdict, judge
    from pat_graph.errors import ConfigError, PatError
    from pat_graph.graph.budgets import POLICIES, Budgets
    from pat_graph.graph.nodes.deps import SolveContext
    from pat_graph.graph.policies import build_graph
    from pat_graph.graph.solve import Result, solve
    from pat_graph.models.config import ModelSpec, load_config, make_chat_model
    from pat_graph.models.roles import RoleModel
    from pat_graph.problem import Problem
    from pat_graph.sandbox import Sandbox, TestOutcome, TestReport, run_tests, run_tests_sync
