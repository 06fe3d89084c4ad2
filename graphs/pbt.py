"""Studio entry point for the `pbt` policy, FunCoder (alias `funcoder`; see graphs/_studio.py
for model configuration). FunCoder's divide uses the planner slot (default: the generator)."""

from graphs._studio import studio_graph

graph = studio_graph("pbt")
