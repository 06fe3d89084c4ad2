"""docs/usage.md lists every budget with its default; this keeps the table true to the code."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from pat_graph.graph.budgets import Budgets

DOC = Path(__file__).resolve().parents[2] / "docs" / "usage.md"
ROW = re.compile(r"^\s*\| `(\w+)` \| ([^ |]+)")


def test_budget_table_matches_the_defaults():
    rows = {m.group(1): m.group(2) for m in map(ROW.match, DOC.read_text().splitlines()) if m}
    defaults = {f.name: getattr(Budgets(), f.name) for f in fields(Budgets)}
    assert set(defaults) <= set(rows), f"undocumented budgets: {set(defaults) - set(rows)}"
    for name, value in defaults.items():
        assert rows[name] == str(value).lower(), f"{name}: docs say {rows[name]}, code {value}"
