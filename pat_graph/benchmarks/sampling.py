"""How the PaT authors' task loaders take `task_samples` problems of a benchmark (MBPP's 200,
xCodeEval's 500): shuffle the keys with `random.Random()` seeded 42, keep the first N, and visit
them in the original order. Reproduced exactly, so the same ids come out."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

K = TypeVar("K")
SEED = 42


def seeded_sample(keys: Sequence[K], size: int, seed: int = SEED) -> list[K]:
    """The `size` keys a seeded shuffle puts first, in their order in `keys`."""
    shuffled = list(keys)
    rng = random.Random()
    rng.seed(seed)
    rng.shuffle(shuffled)
    chosen = set(shuffled[:size])
    return [k for k in keys if k in chosen]
