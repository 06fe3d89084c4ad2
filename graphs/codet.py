"""Studio entry point for the `codet` policy (see graphs/_studio.py for model configuration)."""

from graphs._studio import studio_graph

graph = studio_graph("codet")
