"""The node's answer: the best program found (best effort), with how well it verified."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pat_graph.graph.nodes.deps import Deps, as_node


def is_verified(passed: int, total: int) -> bool:
    """Verified: at least one in-loop test ran, and every one passed. A program chosen with no
    test at all (CodeT's statement stub when no test could be written, a trial on a problem with
    no examples) passed nothing: it is "untested", never "verified" (issue 22)."""
    return total > 0 and passed == total


def recorded_verified(result: Mapping[str, Any] | None) -> bool:
    """`verified` of a stored result (`Result.to_dict()`), judged by the rule above: results
    recorded before it called a zero-test pick verified."""
    if not result or not result.get("verified"):
        return False
    total = result.get("tests_total", result.get("total"))
    return total is None or int(total) > 0  # None: recorded before test counts were kept


def recorded_untested(result: Mapping[str, Any] | None) -> bool:
    """A stored result whose program was chosen without any in-loop test running."""
    if not result or not result.get("code"):
        return False
    total = result.get("tests_total", result.get("total"))
    return total is not None and int(total) == 0


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
