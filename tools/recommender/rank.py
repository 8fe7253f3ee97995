"""Hybrid ranking: candidates from the FAISS index (and from co-played tracks), a score blending content
similarity, the collaborative signal and a popularity prior by the listener's weights, filters, MMR
re-ranking with at most N tracks per artist, and a short reason for every result.

`blend` and `mmr` are plain functions over arrays: the offline evaluation uses the same ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np

    from echotune.tools.recommender.collab import CoPlay
    from echotune.tools.recommender.engine import Recommender
    from echotune.tools.recommender.profile import Profile

AnchorKind = Literal["seed", "played", "liked", "taste", "text", "mood", "popular"]

TARGET_SCALE = {"tempo": 120.0}
"""Mood targets are compared on a 0-1 scale; tempo differences are divided by this many BPM."""
TARGET_FEATURES = ("energy", "valence", "tempo", "danceability", "acousticness", "instrumentalness")


@dataclass
class Query:
    """What a request asks for, already resolved to rows and vectors."""

    kind: AnchorKind
    vector: np.ndarray | None = None
    anchors: list[int] = field(default_factory=list)
    """Rows the results should resemble (seeds, this week's plays, the listener's favourites): reasons name them."""
    exclude: set[int] = field(default_factory=set)
    """Rows never returned (the seeds themselves)."""
    text: str | None = None
    targets: dict[str, float] = field(default_factory=dict)
    taste: np.ndarray | None = None
    """Blended lightly into mood requests so they stay personal."""
    liked: set[int] = field(default_factory=set)
    """Anchors the listener liked (their reasons say so)."""


@dataclass
class Options:
    k: int = 10
    content: float = 0.6
    collaborative: float = 0.3
    popularity: float = 0.1
    diversity: float = 0.0
    max_per_artist: int = 2
    allow_explicit: bool = True
    exclude_heard: bool = False


@dataclass
class Ranked:
    row: int
    score: float
    content: float
    collaborative: float
    popularity: float
    reason: str = ""
    reason_row: int | None = None


def minmax(x: np.ndarray) -> np.ndarray:
    import numpy as np

    if x.size == 0:
        return x.astype(np.float32)
    lo, hi = float(x.min()), float(x.max())
    return ((x - lo) / (hi - lo)).astype(np.float32) if hi > lo else np.ones_like(x, dtype=np.float32)


def blend(
    content: np.ndarray, collab: np.ndarray, popularity: np.ndarray, weights: tuple[float, float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(score, content part, collaborative part, popularity part), each on 0-1, weighted by
    (content, collaborative, popularity) normalised to sum 1. Content is min-max scaled over the candidates,
    the collaborative signal divided by its maximum."""
    import numpy as np

    wc, wf, wp = weights
    if collab.size == 0 or float(collab.max()) <= 0:
        wf = 0.0
    total = wc + wf + wp
    if total <= 0:
        wc, total = 1.0, 1.0
    c = minmax(content)
    f = (collab / float(collab.max())).astype(np.float32) if wf > 0 else np.zeros_like(c)
    p = popularity.astype(np.float32)
    return (wc * c + wf * f + wp * p) / total, c, f, p


def mmr(
    relevance: np.ndarray,
    vectors: np.ndarray,
    k: int,
    *,
    diversity: float,
    groups: Sequence[str] | None = None,
    max_per_group: int | None = None,
) -> list[int]:
    """Maximal marginal relevance: greedily pick the item maximising
    (1 - diversity) * relevance - diversity * (highest similarity to an item already picked),
    never more than `max_per_group` items of one group (artist). Returns positions into `relevance`."""
    import numpy as np

    n = len(relevance)
    rel = minmax(np.asarray(relevance, dtype=np.float32))
    lam = 1.0 - diversity
    taken = np.zeros(n, dtype=bool)
    max_sim = np.zeros(n, dtype=np.float32)
    counts: Counter[str] = Counter()
    chosen: list[int] = []
    order = np.argsort(-rel, kind="stable")
    while len(chosen) < k:
        if diversity <= 0:
            pick = next((int(i) for i in order if not taken[i] and _fits(i, groups, counts, max_per_group)), None)
        else:
            value = lam * rel - (1 - lam) * max_sim
            value[taken] = -np.inf
            pick = None
            for i in np.argsort(-value, kind="stable"):
                if not np.isfinite(value[i]):
                    break
                if _fits(int(i), groups, counts, max_per_group):
                    pick = int(i)
                    break
        if pick is None:
            break
        taken[pick] = True
        chosen.append(pick)
        if groups is not None:
            counts[groups[pick]] += 1
        if diversity > 0:
            max_sim = np.maximum(max_sim, vectors @ vectors[pick])
    return chosen


def _fits(i: int, groups: Sequence[str] | None, counts: Counter[str], cap: int | None) -> bool:
    return groups is None or cap is None or not groups[i] or counts[groups[i]] < cap


def closeness(rec: Recommender, targets: dict[str, float]) -> np.ndarray:
    """1 - mean distance of each track's audio features to the targets (0-1; 0 for tracks without features)."""
    import numpy as np

    from echotune.tools.recommender.text import FEATURES

    dist = np.zeros(rec.size, dtype=np.float32)
    for name, value in targets.items():
        col = rec.items.features[:, FEATURES.index(name)]
        dist += np.minimum(np.abs(col - value) / TARGET_SCALE.get(name, 1.0), 1.0)
    out = 1.0 - dist / max(len(targets), 1)
    out[~rec.items.has_features] = 0.0
    return out


def rank(
    rec: Recommender,
    query: Query,
    options: Options,
    profile: Profile | None = None,
    coplay: CoPlay | None = None,
) -> list[Ranked]:
    """The top `options.k` rows for the query, best first, each with its score parts (reasons come later)."""
    import numpy as np

    n = rec.size
    blocked = set(query.exclude)
    if profile is not None:
        blocked |= profile.disliked
        if options.exclude_heard:
            blocked |= profile.heard
    pool = min(n, max(300, 30 * options.k) + len(blocked))

    # candidates and their content score
    content_of: dict[int, float] = {}
    if query.targets:
        close = closeness(rec, query.targets)
        top = np.argpartition(-close, min(pool, n) - 1)[:pool] if pool < n else np.arange(n)
        sims = rec.vectors[top] @ query.taste if query.taste is not None else np.zeros(len(top), np.float32)
        for r, c, s in zip(top.tolist(), close[top].tolist(), sims.tolist(), strict=True):
            content_of[r] = 0.75 * c + 0.25 * s if query.taste is not None else c
    elif query.vector is not None:
        scores, rows = rec.index.search(query.vector, pool)
        content_of = {int(r): float(s) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0}
    else:
        top = np.argsort(-rec.items.popularity, kind="stable")[:pool]
        content_of = {int(r): 0.0 for r in top}

    collab_all = None
    if coplay is not None:
        weights: dict[int, float] = {}
        for r in query.anchors if query.kind in ("seed", "played") else []:
            weights[r] = weights.get(r, 0.0) + 1.0
        if profile is not None:
            for r, w in profile.weights().items():
                if w > 0:
                    weights[r] = weights.get(r, 0.0) + 0.3 * min(w, 5.0)
            for r in profile.session:
                weights[r] = weights.get(r, 0.0) + 1.0
        collab_all = coplay.scores(weights)
        if collab_all.size and float(collab_all.max()) > 0:
            extra = np.argsort(-collab_all)[:200]
            extra = extra[collab_all[extra] > 0]
            missing = [int(r) for r in extra if int(r) not in content_of]
            if missing:
                if query.vector is not None:
                    sims = rec.vectors[missing] @ query.vector
                    content_of.update(zip(missing, sims.tolist(), strict=True))
                else:
                    content_of.update(dict.fromkeys(missing, min(content_of.values(), default=0.0)))

    rows = np.array([r for r in content_of if r not in blocked], dtype=np.int64)
    if rows.size and not options.allow_explicit:
        rows = rows[~rec.items.explicit[rows]]
    if rows.size == 0:
        return []
    content = np.array([content_of[int(r)] for r in rows], dtype=np.float32)
    collab = collab_all[rows] if collab_all is not None else np.zeros(len(rows), np.float32)
    score, c, f, p = blend(
        content, collab, rec.items.popularity[rows], (options.content, options.collaborative, options.popularity)
    )
    # MMR looks at the strongest few candidates only: diversity among the relevant, not among everything
    keep = np.argsort(-score, kind="stable")[: max(5 * options.k, 100)]
    picked = mmr(
        score[keep],
        rec.vectors[rows[keep]],
        options.k,
        diversity=options.diversity,
        groups=rec.items.artist[rows[keep]].tolist(),
        max_per_group=options.max_per_artist,
    )
    out = []
    for i in picked:
        j = keep[i]
        out.append(
            Ranked(
                row=int(rows[j]),
                score=round(float(score[j]), 4),
                content=round(float(c[j]), 4),
                collaborative=round(float(f[j]), 4),
                popularity=round(float(p[j]), 4),
            )
        )
    return out


def explain(rec: Recommender, query: Query, results: list[Ranked], options: Options, coplay: CoPlay | None) -> None:
    """Give every result its reason and, where one exists, the track the reason names (`reason_row`)."""
    import numpy as np

    from echotune.tools.recommender.embed import DIMS

    anchors = np.array(query.anchors[:200], dtype=np.int64)
    if anchors.size:
        a = np.asarray(rec.vectors[anchors], dtype=np.float32)
        a_text, a_audio = _rows_unit(a[:, :DIMS]), _rows_unit(a[:, DIMS:])
    for r in results:
        collab_part = options.collaborative * r.collaborative
        content_part = options.content * r.content
        if coplay is not None and r.collaborative > 0 and collab_part >= content_part:
            best = coplay.strongest(r.row, query.anchors[:200]) if query.anchors else None
            r.reason_row = best[0] if best else None
            r.reason = "played with {track}" if best else "popular with listeners like you"
            continue
        if query.kind in ("seed", "played", "liked", "taste") and anchors.size:
            v = np.asarray(rec.vectors[r.row], dtype=np.float32)
            text_sim = a_text @ _unit(v[:DIMS])
            audio_sim = a_audio @ _unit(v[DIMS:])
            best = int(np.argmax(text_sim + 0.5 * audio_sim))
            r.reason_row = int(anchors[best])
            if audio_sim[best] >= 0.85 and text_sim[best] < 0.55:
                r.reason = "same mood as {track}"
            elif r.reason_row in query.liked:
                r.reason = "because you liked {track}"
            else:
                r.reason = {
                    "seed": "similar to {track}",
                    "played": "because you played {track}",
                    "liked": "because you liked {track}",
                    "taste": "because you played {track}",
                }[query.kind]
        elif query.kind == "text":
            r.reason = f"matches “{query.text}”"
        elif query.kind == "mood":
            wanted = ", ".join(f"{k} {_fmt(k, v)}" for k, v in query.targets.items())
            have = ", ".join(f"{k} {_fmt(k, _feature(rec, r.row, k))}" for k in query.targets)
            r.reason = f"fits {wanted} (has {have})"
        else:
            r.reason = "popular in the catalog"


def _rows_unit(m: np.ndarray) -> np.ndarray:
    import numpy as np

    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms > 0, norms, 1.0)


def _unit(v: np.ndarray) -> np.ndarray:
    import numpy as np

    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _feature(rec: Recommender, row: int, name: str) -> float:
    from echotune.tools.recommender.text import FEATURES

    return float(rec.items.features[row, FEATURES.index(name)])


def _fmt(name: str, value: float) -> str:
    return f"{value:.0f} BPM" if name == "tempo" else f"{value:.2f}"
