"""The cost metric (PAT_SPEC.md section 6): tokens the server reported times per-model prices.

A cost is only ever a measurement: a request whose server reported no usage, or a model with no
configured price, has cost None ("unknown"), never $0, and summaries count such calls separately.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

ROLES = ("generator", "planner")


def cost_usd(
    input_tokens: int, output_tokens: int, input_price: float | None, output_price: float | None
) -> float | None:
    """Prices are USD per million tokens; None when a price is unknown."""
    if input_price is None or output_price is None:
        return None
    return (input_tokens * input_price + output_tokens * output_price) / 1_000_000


def ledger_entry(
    *,
    role: str,
    model: str,
    input_tokens: int,
    output_tokens: int,
    input_price: float | None,
    output_price: float | None,
    usage_reported: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """Without reported usage the token fields are 0 and the cost is None (unknown)."""
    cost = cost_usd(input_tokens, output_tokens, input_price, output_price)
    return {
        "role": role,
        "model": model,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cost_usd": cost if usage_reported else None,
        "usage_reported": usage_reported,
        **extra,
    }


def known_cost(entry: Mapping[str, Any]) -> float | None:
    value = entry.get("cost_usd")
    return None if value is None else float(value)


def total_cost(ledger: Iterable[Mapping[str, Any]]) -> float | None:
    """The exact total, or None as soon as one call's cost is unknown."""
    costs = [known_cost(e) for e in ledger]
    if any(c is None for c in costs):
        return None
    # fsum: the total must not depend on the order calls finished in (resume vs not).
    return math.fsum(c for c in costs if c is not None)


def request_count(ledger: Iterable[Mapping[str, Any]], role: str | None = None) -> int:
    """HTTP requests behind ledger entries: one entry can stand for several when a server
    ignored `n` and the client topped the samples up. Every call count uses this."""
    return sum(int(e.get("requests", 1)) for e in ledger if role is None or e["role"] == role)


def summarize(ledger: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Calls, tokens and cost per role, in the shape `report --json` uses.

    `cost_usd` sums the calls whose cost is known; `cost_unknown_calls` counts the others
    (no usage reported, or no price), and `cost_usd` is None when no call's cost is known.
    """
    calls = dict.fromkeys(ROLES, 0)
    tokens = {role: {"input": 0, "output": 0} for role in ROLES}
    known: list[float] = []
    unknown = unreported = 0
    for entry in ledger:
        role = entry["role"]
        requests = request_count([entry])
        calls[role] = calls.get(role, 0) + requests
        bucket = tokens.setdefault(role, {"input": 0, "output": 0})
        bucket["input"] += int(entry.get("input_tokens") or 0)
        bucket["output"] += int(entry.get("output_tokens") or 0)
        if entry.get("usage_reported") is False:
            unreported += requests
        cost = known_cost(entry)
        if cost is None:
            unknown += requests
        else:
            known.append(cost)
    total = math.fsum(known) if known or not unknown else None
    return {
        "llm_calls": calls,
        "tokens": tokens,
        "cost_usd": total,
        "cost_unknown_calls": unknown,
        "usage_unreported_calls": unreported,
    }
