"""`--budget KEY=VALUE` pairs read into typed `Budgets` knobs, and `--profile` as one of them."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, Literal, Union, get_args, get_origin

from pat_graph.errors import ConfigError


def _budgets(pairs: Sequence[str]) -> dict[str, Any]:
    """KEY=VALUE pairs, each value checked against the type of its `Budgets` field, so a knob
    added to the dataclass is covered without touching this code. Unknown keys are left for
    `budgets_for`, which names the known ones."""
    import dataclasses
    import typing

    from pat_graph.graph.budgets import Budgets

    hints = typing.get_type_hints(Budgets)
    defaults = {f.name: f.default for f in dataclasses.fields(Budgets)}
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--budget {pair!r}: write KEY=VALUE, e.g. --budget n_samples=3")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if key not in hints:
            out[key] = value
            continue
        ok, value = _typed(value, raw, hints[key])
        if not ok:
            example = json.dumps(defaults.get(key))
            raise ConfigError(
                f"--budget {key}={raw}: {key} takes {_describe(hints[key])}, "
                f"e.g. --budget {key}={example}"
            )
        out[key] = value
    return out


def _with_profile(budgets: dict[str, Any], profile: str | None) -> dict[str, Any]:
    """`--profile` as the `profile` knob, so it is recorded with the run's other knobs."""
    if profile and budgets.setdefault("profile", profile) != profile:
        raise ConfigError(f"--profile {profile} and --budget profile={budgets['profile']} disagree")
    return budgets


def _typed(value: Any, raw: str, hint: Any) -> tuple[bool, Any]:
    """(accepted, value converted to the field's type)."""
    origin = get_origin(hint)
    if origin is Literal:
        for choice in get_args(hint):
            if value == choice or raw == str(choice):
                return True, choice
        return False, value
    if origin is Union or type(hint).__name__ == "UnionType":
        for arm in get_args(hint):
            if arm is type(None):
                if value is None:
                    return True, None
                continue
            ok, converted = _typed(value, raw, arm)
            if ok:
                return True, converted
        return False, value
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:  # JSON reads NaN and Infinity: no knob means either
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return number and math.isfinite(value), float(value) if number else value
    if hint is str:
        return True, value if isinstance(value, str) else raw
    return True, value  # a type this check does not know: the dataclass validates it


def _describe(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(str(c) for c in get_args(hint))
    if origin is Union or type(hint).__name__ == "UnionType":
        return " or ".join(_describe(a) for a in get_args(hint))
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    return names.get(hint, "null" if hint is type(None) else getattr(hint, "__name__", str(hint)))
