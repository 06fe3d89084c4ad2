"""Routers are pure and total: every status (known or not) has a route, nothing raises."""

from __future__ import annotations

import copy

import pytest
from langgraph.types import Send

from pat_graph.graph.routing import route_after_plan, route_after_verify

VERIFY_TABLE = [
    ({"status": "passed"}, "finalize"),
    ({"status": "failed"}, "plan"),
    ({"status": "plateau"}, "finalize"),
    ({"status": "exhausted"}, "finalize"),
    ({"status": "final"}, "finalize"),
    ({"status": "planned"}, "finalize"),
    ({"status": "nonsense"}, "finalize"),
    ({"status": None}, "finalize"),
    ({}, "finalize"),
]

STUB = {"name": "square", "header": "def square(x):\n    ...", "docstring": ""}
PLAN_TABLE = [
    ({"status": "planned", "plan": {"code": "x", "stubs": []}}, "compose"),
    ({"status": "plan_failed", "plan": None}, "finalize"),
    ({"status": "planned", "plan": None}, "finalize"),
    ({"status": "planned", "plan": "garbage"}, "finalize"),
    ({"status": "planned", "plan": {"code": "x", "stubs": ["garbage", {}]}}, "compose"),
    ({}, "finalize"),
]


@pytest.mark.parametrize(("state", "expected"), VERIFY_TABLE)
def test_route_after_verify_table(state, expected):
    before = copy.deepcopy(state)
    assert route_after_verify(state) == expected
    assert route_after_verify(state) == expected
    assert state == before


@pytest.mark.parametrize(("state", "expected"), PLAN_TABLE)
def test_route_after_plan_table(state, expected):
    before = copy.deepcopy(state)
    assert route_after_plan(state) == expected
    assert state == before


def test_route_after_plan_fans_out_one_send_per_stub_one_level_deeper():
    state = {
        "status": "planned",
        "depth": 1,
        "problem": {"task_id": "t"},
        "plan": {"code": "x", "stubs": [STUB, {**STUB, "name": "cube"}]},
    }
    sends = route_after_plan(state)
    assert all(isinstance(s, Send) and s.node == "implement_helper" for s in sends)
    assert [s.arg["helper"]["name"] for s in sends] == ["square", "cube"]
    assert {s.arg["depth"] for s in sends} == {2}
