"""The cost metric (PAT_SPEC.md section 6): tokens the server reported times per-model prices."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ROLES = ("generator", "planner")


def cost_usd(
    input_tokens: int, output_tokens: int, input_price: float, output_price: float
) -> float:
    """Prices are USD per million tokens."""
    return (input_tokens * input_price + output_tokens * output_price) / 1_000_000


def ledger_entry(
    *,
    role: str,
    model: str,
    input_tokens: int,
    output_tokens: int,
    input_price: float,
    output_price: float,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "role": role,
        "model": model,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cost_usd": cost_usd(input_tokens, output_tokens, input_price, output_price),
        **extra,
    }


def request_count(ledger: Iterable[Mapping[str, Any]], role: str | None = None) -> int:
    """HTTP requests behind ledger entries: one entry can stand for several when a server
    ignored `n` and the client topped the samples up. Every call count uses this."""
    return sum(int(e.get("requests", 1)) for e in ledger if role is None or e["role"] == role)


def summarize(ledger: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Calls, tokens and cost per role, in the shape `report --json` uses."""
    calls = dict.fromkeys(ROLES, 0)
    tokens = {role: {"input": 0, "output": 0} for role in ROLES}
    total = 0.0
    for entry in ledger:
        role = entry["role"]
        calls[role] = calls.get(role, 0) + request_count([entry])
        bucket = tokens.setdefault(role, {"input": 0, "output": 0})
        bucket["input"] += int(entry["input_tokens"])
        bucket["output"] += int(entry["output_tokens"])
        total += float(entry["cost_usd"])
    return {"llm_calls": calls, "tokens": tokens, "cost_usd": total}
