"""The package version, in a module of its own so the CLI's `--version` can read it without
importing the public facade (`pat_graph/__init__.py`); keep it equal to pyproject.toml's."""

__version__ = "0.1.0"
