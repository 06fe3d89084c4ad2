"""The solver graph: state, routers, nodes, policies, prompts, `solve`, diagrams."""
