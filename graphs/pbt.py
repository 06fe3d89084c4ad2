"""Studio entry point for the `pbt` policy (see graphs/_studio.py for model configuration)."""

from graphs._studio import studio_graph

graph = studio_graph("pbt")
