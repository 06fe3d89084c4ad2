"""The package's shape: folders in layers, no import circles, no import back up a layer, no
module over 600 lines (issue 18).

The walk reads every `import` in the source, function-level and TYPE_CHECKING ones included: a
lazy import is still a dependency, and a circle through one breaks the day it becomes eager.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pat_graph"
MAX_LINES = 600

# Lower layers never import higher ones; a layer may use any layer below it. The public facades
# (`pat_graph/__init__.py`, `pat_graph/testing.py`) sit on top and nothing inside imports them.
LAYERS: dict[str, int] = {
    "pat_graph.errors": 0,
    "pat_graph.problem": 0,
    "pat_graph.version": 0,
    "pat_graph.files": 0,
    "pat_graph.processes": 0,
    "pat_graph.sandbox": 1,
    "pat_graph.program": 2,
    "pat_graph.models": 2,
    "pat_graph.graph": 3,
    "pat_graph.benchmarks": 4,
    "pat_graph.runs": 5,
    "pat_graph.reporting": 6,
    "pat_graph.cli": 7,
    "pat_graph.testing": 8,
    "pat_graph": 8,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `name` imports (a submodule when the name is one)."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here[: len(here) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import pat_graph.x.y` without a module y
                target = target.rpartition(".")[0]
            if target.startswith("pat_graph") and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def layer(name: str) -> int:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return LAYERS[prefix]
    raise AssertionError(f"{name} is in no layer: add its folder to LAYERS")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_walk_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """The checker itself can fail: a function-level import and a circle are found."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    found = import_graph()
    assert "pat_graph.graph.solve" in found["pat_graph"]  # the facade's TYPE_CHECKING import
    # cli/main.py imports its commands inside functions
    assert "pat_graph.cli.run" in found["pat_graph.cli.main"]


def test_no_import_circles() -> None:
    assert cycles(import_graph()) == []


def test_no_import_runs_back_up_a_layer() -> None:
    upward = [
        f"{src} (layer {layer(src)}) imports {dst} (layer {layer(dst)})"
        for src, targets in import_graph().items()
        for dst in sorted(targets)
        if dst != "pat_graph" and layer(dst) > layer(src)
    ]
    assert upward == []


def test_nothing_inside_imports_the_public_facades() -> None:
    users = [
        src
        for src, targets in import_graph().items()
        if src not in ("pat_graph", "pat_graph.testing")
        and targets & {"pat_graph", "pat_graph.testing"}
    ]
    assert users == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_module_size(name: str) -> None:
    lines = len(modules()[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by what each part owns"


def test_every_folder_says_what_lives_there() -> None:
    for init in sorted(PACKAGE.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init.relative_to(PACKAGE.parent)} needs a one-line docstring"
