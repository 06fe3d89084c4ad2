"""The model layer: chat models and their config, every request's ledger entry and cost."""

from typing import Any


def __getattr__(name: str) -> Any:
    """`pat_graph.models` was the config module before the package layout (issue 18): its names
    (`ModelSpec`, `make_chat_model`, ...) still resolve here for one release, with a warning."""
    import importlib
    import warnings

    config = importlib.import_module("pat_graph.models.config")
    if name.startswith("__") or not hasattr(config, name):
        raise AttributeError(f"module 'pat_graph.models' has no attribute {name!r}")
    warnings.warn(
        f"pat_graph.models.{name} moved to pat_graph.models.config.{name}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(config, name)
