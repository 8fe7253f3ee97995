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
    from scipy import sparse

    from echotune.tools.models import Play

SESSION_GAP = timedelta(minutes=30)
MAX_SESSION = 100


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
    """Item-item cosine over sessions (sparse, n_items x n_items, zero diagonal)."""

    sim: sparse.csr_matrix
    sessions: int

    @classmethod
    def fit(cls, all_sessions: Iterable[list[int]], n_items: int) -> CoPlay:
        import numpy as np
        from scipy import sparse

        indptr, indices = [0], []
        count = 0
        for s in all_sessions:
            if len(s) < 2:
                continue
            indices.extend(s)
            indptr.append(len(indices))
            count += 1
        x = sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), np.array(indices, dtype=np.int64), np.array(indptr)),
            shape=(count, n_items),
        )
        co = (x.T @ x).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        norms = np.sqrt(np.asarray(x.sum(axis=0)).ravel())
        norms[norms == 0] = 1.0
        inv = sparse.diags(1.0 / norms)
        return cls(sim=(inv @ co @ inv).tocsr().astype(np.float32), sessions=count)

    def scores(self, weights: Mapping[int, float]) -> np.ndarray:
        """Sum of neighbour similarities to the weighted rows, as a dense vector over all items."""
        import numpy as np

        n = self.sim.shape[0]
        if not weights or self.sim.nnz == 0:
            return np.zeros(n, dtype=np.float32)
        rows = np.fromiter(weights.keys(), dtype=np.int64)
        w = np.fromiter(weights.values(), dtype=np.float32)
        keep = rows < n
        return np.asarray(self.sim[rows[keep]].T @ w[keep]).ravel().astype(np.float32)

    def strongest(self, row: int, among: Iterable[int]) -> tuple[int, float] | None:
        """The row among `among` most often played together with `row`, with its similarity."""
        if row >= self.sim.shape[0]:
            return None
        vec = self.sim.getrow(row)
        sims = dict(zip(vec.indices.tolist(), vec.data.tolist(), strict=True))
        best = max(((r, sims[r]) for r in among if r in sims), key=lambda x: x[1], default=None)
        return best
