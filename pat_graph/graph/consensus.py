"""Pure scoring for the two sampling baselines: FunCoder's functional consensus and CodeT.

Both pick one program out of several by running every candidate on the same tests. Nothing here
calls a model or the sandbox: the nodes hand over the outcomes, so the rules can be tested with
hand-made outcomes (tests/unit/test_consensus.py) and read in one place.

FunCoder (as its released code scores it, `runner_score_functional_similarity`):
- per test column, every candidate whose call returned earns one point per *other* candidate that
  returned the identical output (k candidates agreeing earn k - 1 each);
- every call that did not return (raised, crashed, timed out) costs CRASH_PENALTY;
- a candidate that fails any unit test (the root's statement examples) loses UNIT_TEST_PENALTY,
  once per candidate, not once per failed unit test (the code stops at the first failure).
CodeT (as FunCoder's codebase runs it, `runner_score_codet`): one point per passed assert test.
Both take the argmax; ties are broken at random with a seeded generator, as the released code
does with `random.choice` (pat-graph seeds it so a run is reproducible).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

CRASH_PENALTY = 100.0
UNIT_TEST_PENALTY = 10000.0


@dataclass(frozen=True)
class Outcome:
    """One candidate on one test: did the call return, and with what (plain JSON data)."""

    ok: bool
    value: Any = None
    unit: bool = False  # a unit test (statement example): failing it is nearly fatal

    @classmethod
    def of(cls, outcome: Any, unit: bool = False) -> Outcome:
        """From a sandbox `CallOutcome` (or anything with `status`/`value`)."""
        return cls(
            getattr(outcome, "status", "error") == "ok", getattr(outcome, "value", None), unit
        )


SameOutput = Callable[[Outcome, Outcome], bool]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True, default=repr)


def same_output(a: Outcome, b: Outcome) -> bool:
    """Both returned, with identical serialised values (the released code compares json.dumps)."""
    return a.ok and b.ok and _canonical(a.value) == _canonical(b.value)


def consensus_scores(
    outcomes: Sequence[Sequence[Outcome]], same: SameOutput = same_output
) -> list[float]:
    """FunCoder's functional-consensus score of each candidate; `outcomes[i][j]` is candidate i
    on test j. Rows may be ragged: a missing outcome counts as a crash, as in the released code."""
    n = len(outcomes)
    columns = max((len(row) for row in outcomes), default=0)
    scores = [0.0] * n
    for j in range(columns):
        column = [row[j] if j < len(row) else None for row in outcomes]
        for i, mine in enumerate(column):
            if mine is None or not mine.ok:
                scores[i] -= CRASH_PENALTY
                continue
            scores[i] += sum(
                1.0
                for k, other in enumerate(column)
                if k != i and other is not None and same(mine, other)
            )
    for i, row in enumerate(outcomes):
        if any(o.unit and not o.ok for o in row):
            scores[i] -= UNIT_TEST_PENALTY
    return scores


def codet_scores(passed: Sequence[Sequence[bool]]) -> list[float]:
    """CodeT as FunCoder runs it: how many of the generated assert tests each candidate passes."""
    return [float(sum(1 for p in row if p)) for row in passed]


def tie_break_rng(seed: int, *keys: object) -> random.Random:
    """A generator that depends only on the run's seed and where it is used (problem, node), so a
    problem's answer does not depend on which other problems ran before it."""
    return random.Random(":".join([str(seed), *(str(k) for k in keys)]))


def pick(scores: Sequence[float], rng: random.Random) -> int:
    """The argmax; ties broken uniformly at random by `rng`. -1 for no candidates."""
    if not scores:
        return -1
    top = max(scores)
    return rng.choice([i for i, s in enumerate(scores) if s == top])
