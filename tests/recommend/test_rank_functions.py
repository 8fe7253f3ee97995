"""The ranking's plain functions: blend weights the three signals as the settings say, MMR trades relevance
for variety as `diversity` grows, and never exceeds the per-artist cap."""

from __future__ import annotations

import numpy as np

from echotune.tools.recommender.rank import blend, mmr


def test_blend_weights_and_scales() -> None:
    content = np.array([0.2, 0.6, 1.0], np.float32)
    collab = np.array([4.0, 0.0, 2.0], np.float32)
    pop = np.array([0.5, 1.0, 0.0], np.float32)
    score, c, f, p = blend(content, collab, pop, (0.5, 0.5, 0.0))
    assert np.allclose(p, pop)
    assert np.allclose(c, [0.0, 0.5, 1.0]) and np.allclose(f, [1.0, 0.0, 0.5])
    assert np.allclose(score, [0.5, 0.25, 0.75])
    # no collaborative signal at all: its weight goes unused rather than dragging every score down
    score, *_ = blend(content, np.zeros(3, np.float32), pop, (0.5, 0.5, 0.0))
    assert np.allclose(score, [0.0, 0.5, 1.0])


def test_mmr_diversity_and_artist_cap() -> None:
    # items 0 and 1 are near-duplicates; item 2 is different and a little less relevant
    vectors = np.array([[1, 0, 0], [0.995, 0.0998, 0], [0, 1, 0], [0, 0, 1]], np.float32)
    relevance = np.array([1.0, 0.95, 0.8, 0.1], np.float32)
    assert mmr(relevance, vectors, 2, diversity=0.0) == [0, 1]
    assert mmr(relevance, vectors, 2, diversity=0.5) == [0, 2]
    groups = ["a", "a", "a", "b"]
    assert mmr(relevance, vectors, 3, diversity=0.0, groups=groups, max_per_group=1) == [0, 3]
    assert mmr(relevance, vectors, 3, diversity=0.0, groups=groups, max_per_group=2) == [0, 1, 3]
