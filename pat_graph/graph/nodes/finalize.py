"""The node's answer: the best program found (best effort), with how well it verified."""

from __future__ import annotations

from typing import Any

from pat_graph.graph.nodes.deps import Deps, as_node
from pat_graph.graph.verdict import is_verified, recorded_untested, recorded_verified

__all__ = ["final_answer", "is_verified", "recorded_untested", "recorded_verified"]


def final_answer(state: dict[str, Any]) -> dict[str, Any]:
    """The answer a state stands for: its best program and how well it verified. Shared by the
    finalize node and by a run stopped at its spending cap (`research.capped_state`), so the two
    never disagree on what an answer holds."""
    best = state.get("best")
    if best is None:
        final: dict[str, Any] = {
            "code": "",
            "verified": False,
            "passed": 0,
            "total": len(state.get("tests") or []),
        }
    else:
        final = {
            "code": best["code"],
            "verified": is_verified(best["passed"], best["total"]),
            "passed": best["passed"],
            "total": best["total"],
            "origin": best.get("origin", "trial"),
        }
    final["rounds"] = state.get("round", 0)
    final["unimplemented"] = list((best or {}).get("unimplemented") or [])
    return final


def finalize_node(defaults: Deps):
    async def finalize(state: dict[str, Any], deps: Deps) -> dict[str, Any]:
        return {"final": final_answer(state), "status": "done"}

    return as_node(defaults, finalize)
