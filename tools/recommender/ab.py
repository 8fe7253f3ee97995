"""A/B variants of the recommender: named strategies, a deterministic assignment per user, and the statistics
`analytics ab` reports (rates with Wilson 95% confidence intervals).

A user is assigned by a hash of (experiment, user), so the same user always sees the same variant on every
machine and every run, unless their settings name one (`recommendation.variant`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Literal

EXPERIMENT = "recommend-v1"
Variant = Literal["content", "hybrid", "hybrid_mmr"]
VARIANTS: tuple[Variant, ...] = ("content", "hybrid", "hybrid_mmr")


@dataclass(frozen=True)
class Strategy:
    """How a variant ranks: which signals it blends and whether it re-ranks for diversity."""

    name: Variant
    description: str
    collaborative: bool
    popularity: bool
    mmr: bool


STRATEGIES: dict[str, Strategy] = {
    "content": Strategy("content", "content similarity only", collaborative=False, popularity=False, mmr=False),
    "hybrid": Strategy(
        "hybrid", "content + collaborative + popularity", collaborative=True, popularity=True, mmr=False
    ),
    "hybrid_mmr": Strategy(
        "hybrid_mmr", "hybrid, re-ranked for diversity (MMR)", collaborative=True, popularity=True, mmr=True
    ),
}


def assign(user: str, experiment: str = EXPERIMENT, variants: tuple[str, ...] = VARIANTS) -> str:
    """The variant a user sees: a stable hash of experiment and user, spread evenly over the variants."""
    digest = hashlib.sha256(f"{experiment}\x00{user}".encode()).digest()
    return variants[int.from_bytes(digest[:8], "big") % len(variants)]


def wilson(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score 95% interval of a proportion (well-behaved for small counts and rates near 0 or 1)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
