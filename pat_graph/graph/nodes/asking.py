"""Asking a model again until its answer can be used: the loop every node that parses one reply
(tests, inputs, a plan, a division) runs, kept in one place so each node states only what it
asks and how it reads the answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from langchain_core.messages import BaseMessage

from pat_graph.graph.nodes.deps import Deps
from pat_graph.models.calls import sample
from pat_graph.models.roles import RoleModel

T = TypeVar("T")


async def ask_until_usable(
    model: RoleModel,
    messages: Sequence[BaseMessage],
    parse: Callable[[str], T],
    *,
    tries: int,
    temperature: float,
    role: str,
    purpose: str,
    depth: int,
) -> tuple[T | None, list[dict[str, Any]]]:
    """Up to `tries` requests of one completion each; each reply (empty text when a request
    returned none) goes through `parse`, and asking stops at the first usable result: one that
    is truthy (a non-empty list, a parsed plan; None or [] mean "ask again"). Returns the last
    parse (None when `tries` is 0) and the ledger entries of every request made."""
    ledger: list[dict[str, Any]] = []
    result: T | None = None
    for _ in range(tries):
        texts, entries = await sample(
            model,
            messages,
            n=1,
            temperature=temperature,
            role=role,
            purpose=purpose,
            depth=depth,
        )
        ledger += entries
        result = parse(texts[0] if texts else "")
        if result:
            break
    return result, ledger


async def ask_for_tests(
    deps: Deps,
    messages: Sequence[BaseMessage],
    parse: Callable[[str], list[str]],
    *,
    purpose: str,
    depth: int,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Tests (or inputs) from the generator under the test budget: `test_retries` tries at
    `test_temperature`, as build_tests, CodeT and FunCoder's consensus all ask; [] when no reply
    gave any."""
    tests, ledger = await ask_until_usable(
        deps.generator,
        messages,
        parse,
        tries=deps.budgets.test_retries,
        temperature=deps.budgets.test_temperature,
        role="generator",
        purpose=purpose,
        depth=depth,
    )
    return tests or [], ledger
