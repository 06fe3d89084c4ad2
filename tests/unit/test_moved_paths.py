"""The flat layout's module paths still import for one release, with a warning (issue 18)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from pat_graph._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_gives_the_new_module_with_a_warning(old: str) -> None:
    code = (
        "import importlib, warnings\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        f"try:\n    importlib.import_module('pat_graph.{old}')\n"
        "except DeprecationWarning as w:\n    print(w)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"pat_graph.{MOVED[old]}" in out.stdout
    with pytest.warns(DeprecationWarning):
        module = importlib.import_module(f"pat_graph.{old}")
    assert module is importlib.import_module(f"pat_graph.{MOVED[old]}")


def test_old_submodule_paths_and_public_functions_survive(monkeypatch: pytest.MonkeyPatch) -> None:
    import pat_graph

    for old in ("pat_graph.nodes", "pat_graph.nodes.deps", "pat_graph.solve"):
        monkeypatch.delitem(sys.modules, old, raising=False)  # as in a fresh process

    with pytest.warns(DeprecationWarning):
        from pat_graph.nodes.deps import Deps
    from pat_graph.graph.nodes.deps import Deps as new

    assert Deps is new
    with pytest.warns(DeprecationWarning):
        from pat_graph.solve import Result  # the old module, shadowed by the function
    assert Result.__module__ == "pat_graph.graph.solve"
    assert callable(pat_graph.solve) and not isinstance(pat_graph.solve, type(pat_graph))
    assert callable(pat_graph.judge) and not isinstance(pat_graph.judge, type(pat_graph))


def test_old_models_module_names_resolve_in_the_package() -> None:
    from pat_graph.models.config import ModelSpec

    with pytest.warns(DeprecationWarning, match="models.config.ModelSpec"):
        from pat_graph.models import ModelSpec as old
    assert old is ModelSpec
    with pytest.raises(ImportError):
        from pat_graph.models import no_such_name  # noqa: F401


def test_unknown_module_is_still_an_import_error() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("pat_graph.no_such_module")
