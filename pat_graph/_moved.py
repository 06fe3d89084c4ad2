"""Old module paths of the flat layout (before issue 18), kept importable for one release.

`import pat_graph.llm` still works and gives `pat_graph.models.calls`, with a DeprecationWarning
that names the new path. Only the modules that moved are here; the public names in
`pat_graph/__init__.py` never moved.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any

MOVED: dict[str, str] = {
    "answer_model": "models.answer",
    "baselines": "graph.baselines",
    "benchmarks.literal": "sandbox.literal",
    "budget_guard": "models.spend",
    "budgets": "graph.budgets",
    "claims": "runs.claims",
    "codeparse": "program.parse",
    "completion": "models.completion",
    "consensus": "graph.consensus",
    "cost": "models.cost",
    "diagrams": "graph.diagrams",
    "doctests": "program.doctests",
    "embed": "graph.embed",
    "evaluate": "benchmarks.evaluate",
    "events": "graph.events",
    "explore": "reporting.explore",
    "judge": "benchmarks.judge",
    "jsonl": "files.jsonl",
    "llm": "models.calls",
    "local_model": "models.local",
    "nodes": "graph.nodes",
    "outputs": "files.outputs",
    "pgstore": "runs.pgstore",
    "plot": "reporting.plot",
    "policies": "graph.policies",
    "preamble": "program.preamble",
    "progress": "runs.progress",
    "prompts": "graph.prompts",
    "report": "reporting.report",
    "research": "runs.research",
    "research_report": "reporting.research_report",
    "responses": "models.responses",
    "routing": "graph.routing",
    "runner": "runs.runner",
    "solve": "graph.solve",
    "state": "graph.state",
    "stats": "reporting.stats",
    "stdio_program": "program.stdio",
    "store": "runs.store",
    "testgen": "program.testgen",
    "thinking": "models.thinking",
    "workers": "runs.workers",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: Any) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.new}; the old path goes away in the next release",
            DeprecationWarning,
            stacklevel=3,
        )
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        """The module already ran under its new name."""


class _OldPaths(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        head, _, rest = fullname.partition(".")
        if head != "pat_graph" or not rest:
            return None
        for old, moved in MOVED.items():
            if rest == old or rest.startswith(old + "."):
                new = f"pat_graph.{moved}{rest[len(old) :]}"
                return importlib.util.spec_from_loader(fullname, _Alias(new))
        return None


def install() -> None:
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.insert(0, _OldPaths())  # before PathFinder, which would load a copy
