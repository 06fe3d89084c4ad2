"""A chat model as a role (generator, planner) uses it: the client, its price key, its prices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel


@dataclass(frozen=True)
class RoleModel:
    """A chat model as one role uses it: the client, the name prices are keyed by, and prices."""

    chat: BaseChatModel
    name: str
    input_price: float | None = None  # USD per 1M input tokens; None: unknown, so is the cost
    output_price: float | None = None  # USD per 1M output tokens
    no_think: bool = False  # "/no_think" starts the system prompt (see pat_graph.models.thinking)
    cached_input_price: float | None = None  # USD per 1M cached input tokens; None: input price


def model_name(chat: BaseChatModel) -> str:
    for attr in ("model_name", "model", "name"):
        value = getattr(chat, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(chat).__name__


def as_role_model(
    model: BaseChatModel | RoleModel, prices: Mapping[str, tuple[float, float]] | None = None
) -> RoleModel:
    if isinstance(model, RoleModel):
        return model
    if not isinstance(model, BaseChatModel):
        raise TypeError(
            f"expected a LangChain chat model or RoleModel, got {type(model).__name__}; "
            "pass e.g. langchain_openai.ChatOpenAI(base_url=..., model=...)"
        )
    name = model_name(model)
    price_in, price_out = (prices or {}).get(name, (None, None))
    return RoleModel(model, name, price_in, price_out)


def endpoint(chat: Any) -> str:
    """The server address of a chat model, for error messages ("?" when it has none)."""
    for attr in ("openai_api_base", "base_url"):
        value = getattr(chat, attr, None)
        if isinstance(value, str) and value:
            return value
    return "?"
