"""Routers: pure and total. They read the `status` a node wrote and never raise, because a router
that raises breaks LangGraph's resume. Unknown statuses go to `finalize`, which always exists."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.types import Send


def route_after_verify(state: dict[str, Any]) -> Literal["plan", "finalize"]:
    """Planning happens only here, and only after verification failed."""
    return "plan" if state.get("status") == "failed" else "finalize"


def route_after_tests(state: dict[str, Any]) -> Literal["generate", "verify"]:
    """Paper profile: a trial whose test writing produced no test at all is run again (bounded
    by the `trial_attempts` knob in build_tests, which writes `retrial`)."""
    return "generate" if state.get("status") == "retrial" else "verify"


def route_after_plan(state: dict[str, Any]) -> list[Send] | Literal["compose", "finalize"]:
    """Fan out one `implement_helper` per new stub; straight to `compose` when there is none."""
    plan = state.get("plan")
    if state.get("status") != "planned" or not isinstance(plan, dict):
        return "finalize"
    stubs = [s for s in plan.get("stubs") or [] if isinstance(s, dict) and s.get("name")]
    if not stubs:
        return "compose"
    parent = state.get("problem") or {}
    depth = int(state.get("depth") or 0) + 1
    # The planner's body goes along: under helper_context="code" a helper sees its ancestors' code.
    plan_code = str(plan.get("code") or "")
    return [
        Send(
            "implement_helper",
            {"helper": s, "parent": parent, "depth": depth, "plan_code": plan_code},
        )
        for s in stubs
    ]


# FunCoder / CodeT ----------------------------------------------------------------------------


def route_after_divide(state: dict[str, Any]) -> list[Send] | Literal["generate", "finalize"]:
    """FunCoder: every new helper is written first (one `implement_helper` each, one level
    deeper), then the node is conquered; a node without new helpers is conquered at once. A divide
    that failed, or a node past the depth limit, is finished unwritten."""
    if state.get("status") != "divided":
        return "finalize"
    routed = route_after_plan({**state, "status": "planned"})
    return "generate" if routed == "compose" else routed
