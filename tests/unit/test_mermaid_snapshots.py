"""Each policy's graph, as Mermaid, matches its reviewed snapshot.

A changed edge shows up here as a diff. After an intended change, regenerate with
`UPDATE_SNAPSHOTS=1 pytest tests/unit/test_mermaid_snapshots.py` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pat_graph.graph.budgets import POLICIES
from pat_graph.graph.diagrams import mermaid

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("policy", POLICIES)
def test_mermaid_matches_snapshot(policy: str) -> None:
    path = SNAPSHOTS / f"{policy}.mmd"
    drawn = mermaid(policy)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(drawn, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}; run with UPDATE_SNAPSHOTS=1 once"
    assert drawn == path.read_text(encoding="utf-8")


def test_snapshots_show_where_planning_can_happen() -> None:
    """Read the reviewed snapshots themselves: only pat/pbt plan, and in PaT the sole way into
    `plan` is the conditional edge out of `verify` (planning only after a failed trial)."""
    edges = {}
    for policy in POLICIES:
        text = (SNAPSHOTS / f"{policy}.mmd").read_text(encoding="utf-8")
        edges[policy] = {ln.strip().rstrip(";") for ln in text.splitlines() if "->" in ln}
    into_plan = {e for e in edges["pat"] if e.endswith("> plan")}
    assert into_plan == {"verify -.-> plan"}
    assert "__start__ --> plan" in edges["pbt"]  # FunCoder divides first, at every node
    assert not any(e.endswith("> plan") for e in edges["pbt"] - {"__start__ --> plan"})
    for policy in ("standard", "best-of-n", "codet"):
        assert not any("plan" in e.split() for e in edges[policy])
        assert "verify --> finalize" in edges[policy]
