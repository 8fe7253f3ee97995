"""The collaborative signal: tracks played in the same listening sessions, item to item.

Plays are cut into sessions (a gap of SESSION_GAP ends one); two tracks that share sessions are neighbours,
weighted by cosine over sessions. A user's score for a track sums its neighbour weights to the tracks they
played, recent ones counting more. Built from the user's own plays, plus other users' when their privacy
setting `listeners_like_you` allows; rebuilt when the plays change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from echotune.tools.models import Play

SESSION_GAP = timedelta(minutes=30)
MAX_SESSION = 50


def sessions(plays: Sequence[Play], rows: Mapping[str, int]) -> list[list[int]]:
    """Distinct item rows per listening session, oldest session first; plays without a known track are skipped."""
    ordered = sorted((p for p in plays if p.track_id in rows), key=lambda p: p.played_at)
    out: list[list[int]] = []
    current: list[int] = []
    last = None
    for p in ordered:
        if last is not None and p.played_at - last > SESSION_GAP:
            if current:
                out.append(current)
            current = []
        row = rows[p.track_id]  # type: ignore[index]
        if row not in current and len(current) < MAX_SESSION:
            current.append(row)
        last = p.played_at
    if current:
        out.append(current)
    return out


@dataclass
class CoPlay:
    """Item-item cosine over sessions, kept as each item's neighbour rows and weights. Plain numpy:
    importing scipy.sparse costs half a second, more than a cold start's whole budget for the first request."""

    neighbours: dict[int, tuple[np.ndarray, np.ndarray]]
    n_items: int
    sessions: int

    @property
    def nnz(self) -> int:
        return sum(len(rows) for rows, _ in self.neighbours.values())

    @classmethod
    def fit(cls, all_sessions: Iterable[list[int]], n_items: int) -> CoPlay:
        import numpy as np

        firsts, seconds, members = [], [], []
        count = 0
        for s in all_sessions:
            if len(s) < 2:
                continue
            items = np.asarray(s, dtype=np.int64)
            members.append(items)
            a, b = np.meshgrid(items, items, indexing="ij")
            off = a != b
            firsts.append(a[off])
            seconds.append(b[off])
            count += 1
        if not count:
            return cls(neighbours={}, n_items=n_items, sessions=0)
        per_item = np.bincount(np.concatenate(members), minlength=n_items).astype(np.float64)
        keys, together = np.unique(np.concatenate(firsts) * n_items + np.concatenate(seconds), return_counts=True)
        a, b = keys // n_items, keys % n_items
        sim = (together / np.sqrt(per_item[a] * per_item[b])).astype(np.float32)
        bounds = np.flatnonzero(np.diff(a)) + 1  # keys are sorted, so each item's neighbours are contiguous
        neighbours = {
            int(rows_a[0]): (rows_b, sims)
            for rows_a, rows_b, sims in zip(
                np.split(a, bounds), np.split(b, bounds), np.split(sim, bounds), strict=True
            )
        }
        return cls(neighbours=neighbours, n_items=n_items, sessions=count)

    def scores(self, weights: Mapping[int, float]) -> np.ndarray:
        """Sum of neighbour similarities to the weighted rows, as a dense vector over all items."""
        import numpy as np

        out = np.zeros(self.n_items, dtype=np.float32)
        for row, w in weights.items():
            found = self.neighbours.get(row)
            if found is not None:
                out[found[0]] += w * found[1]  # a row's neighbours are distinct: no repeated index
        return out

    def strongest(self, row: int, among: Iterable[int]) -> tuple[int, float] | None:
        """The row among `among` most often played together with `row`, with its similarity."""
        found = self.neighbours.get(row)
        if found is None:
            return None
        sims = dict(zip(found[0].tolist(), found[1].tolist(), strict=True))
        return max(((r, sims[r]) for r in among if r in sims), key=lambda x: x[1], default=None)
