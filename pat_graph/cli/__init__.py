"""The `pat-graph` command line: a thin layer of parsing and messages over the library."""

from pat_graph.cli.main import main

__all__ = ["main"]
