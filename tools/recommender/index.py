"""The FAISS index over track vectors, persisted in the data dir.

Exact inner-product search (IndexFlatIP) while the catalog is small; above APPROX_FROM vectors an inverted-file
index (IVF, flat lists) whose build stays within minutes on two cores even at a million tracks (HNSW builds at
about 650 vectors/s here). Rows are positions in the recommender's item table; learnt tracks are appended with
`add`, without a rebuild. Searches run on one OpenMP thread: single queries are faster that way.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

APPROX_FROM = 100_000
"""Exact search over 100K x 393 floats takes 13-15 ms a query here (p50), over 200K 24-44 ms: past 100K
the IVF index is used (benchmarks/recommend_1m.py measures both; IVF at 1M: 6-8 ms, recall@10 0.99)."""
NPROBE = 32
TRAIN_SAMPLE = 40
"""k-means is trained on this many vectors per list (FAISS wants at least 39)."""


def _faiss() -> Any:
    import faiss

    faiss.omp_set_num_threads(1)
    return faiss


def nlist_for(n: int) -> int:
    """Inverted lists for n vectors: about sqrt(n), a power of two, at least 64 (1M -> 1024: k-means and
    assignment stay within a minute or two on two cores, a probe scans about 1,000 vectors per list)."""
    return max(64, 2 ** round(math.log2(math.sqrt(max(n, 1)))))


class VectorIndex:
    """Inner-product search over unit vectors; `kind` is "flat" (exact) or "ivf" (approximate)."""

    def __init__(self, index: Any, kind: str):
        self.index = index
        self.kind = kind

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def dims(self) -> int:
        return int(self.index.d)

    @classmethod
    def build(
        cls, vectors: np.ndarray, *, approx_from: int = APPROX_FROM, nprobe: int = NPROBE, threads: int = 2
    ) -> VectorIndex:
        """Exact below `approx_from` vectors, IVF above (k-means trained on a sample, using `threads`)."""
        import numpy as np

        faiss = _faiss()
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        n, d = x.shape
        if n < approx_from:
            index = faiss.IndexFlatIP(d)
            index.add(x)
            return cls(index, "flat")
        nlist = nlist_for(n)
        quantizer = faiss.IndexFlatIP(d)
        index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = x[np.sort(rng.choice(n, size=min(n, nlist * TRAIN_SAMPLE), replace=False))]
        faiss.omp_set_num_threads(threads)
        try:
            index.train(sample)
            for start in range(0, n, 100_000):
                index.add(x[start : start + 100_000])
        finally:
            faiss.omp_set_num_threads(1)
        index.nprobe = nprobe
        return cls(index, "ivf")

    def add(self, vectors: np.ndarray) -> None:
        """Append vectors; their rows continue after the current ones."""
        import numpy as np

        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k best rows for each query; rows are -1 where fewer exist."""
        import numpy as np

        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        return self.index.search(q, min(k, max(self.size, 1)))

    def save(self, path: Path) -> None:
        faiss = _faiss()
        tmp = path.with_suffix(".tmp")
        faiss.write_index(self.index, str(tmp))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        faiss = _faiss()
        index = faiss.read_index(str(path))
        kind = "ivf" if isinstance(index, faiss.IndexIVF) else "flat"
        if kind == "ivf" and index.nprobe == 1:
            index.nprobe = NPROBE
        return cls(index, kind)
