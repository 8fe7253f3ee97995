"""The recommenders `echotune eval recommender` compares, behind one small contract (offline_eval.Model):
popularity, item-kNN (cosine), ALS and BPR from the `implicit` library, EASE (Steck, 2019), and EchoTune's
hybrid, which blends the same three signals as the product with the product's `blend` function:

- collaborative: item-item weights from co-occurrence, fitted in EASE's closed form (a ridge regression of
  each item on the others over the listeners' histories);
- content: all-MiniLM-L6-v2 embeddings of each item's description (name and its most given tags), scored as
  the summed similarity of a candidate to its nearest neighbours among the listener's items (profile items
  unknown to the training data still count: their names and tags embed all the same);
- a popularity prior.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from echotune.tools.errors import NotConfiguredError
from echotune.tools.recommender.offline_eval import Case, Dataset, Model

if TYPE_CHECKING:
    import numpy as np
    from scipy import sparse


def _implicit() -> Any:
    try:
        import implicit
    except ImportError as exc:
        raise NotConfiguredError(
            "The ALS, BPR and item-kNN baselines need the `implicit` package", hint="pip install implicit"
        ) from exc
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, "blas")  # implicit warns (and is slower) with multi-threaded BLAS
    return implicit


def implicit_warning() -> type[Warning]:
    from implicit.utils import ParameterWarning

    return ParameterWarning


def binary(X: sparse.csr_matrix) -> sparse.csr_matrix:
    import numpy as np

    B = X.copy().astype(np.float32)
    B.data[:] = 1.0
    return B


def log_weights(X: sparse.csr_matrix) -> sparse.csr_matrix:
    import numpy as np

    L = X.copy().astype(np.float32)
    L.data = np.log1p(L.data).astype(np.float32)
    return L


def item_counts(X: sparse.csr_matrix) -> np.ndarray:
    import numpy as np

    return np.asarray((X > 0).sum(axis=0)).ravel().astype(np.float32)


class Popularity(Model):
    """Items by how many training listeners have them."""

    name = "popularity"

    def __init__(self, **_: Any) -> None:
        self.counts: np.ndarray | None = None

    def fit(self, data: Dataset) -> None:
        self.counts = item_counts(data.X)

    def scores(self, data: Dataset, profiles: sparse.csr_matrix, cases: Sequence[Case]) -> np.ndarray:
        import numpy as np

        return np.tile(self.counts, (profiles.shape[0], 1))


class ItemKNN(Model):
    """implicit's CosineRecommender: item-item cosine over listeners, K neighbours kept per item."""

    name = "item-kNN (cosine)"

    def __init__(self, K: int = 100, weighting: str = "log") -> None:
        self.K, self.weighting = K, weighting

    def _w(self, X: sparse.csr_matrix) -> sparse.csr_matrix:
        return log_weights(X) if self.weighting == "log" else binary(X)

    def fit(self, data: Dataset) -> None:
        from implicit.nearest_neighbours import CosineRecommender

        _implicit()
        self.model = CosineRecommender(K=self.K, num_threads=1)
        with warnings.catch_warnings():  # implicit's own normalisation hands its fit a COO matrix, and warns
            warnings.simplefilter("ignore", category=implicit_warning())
            self.model.fit(self._w(data.X), show_progress=False)

    def scores(self, data: Dataset, profiles: sparse.csr_matrix, cases: Sequence[Case]) -> np.ndarray:
        import numpy as np

        return np.asarray((self._w(profiles) @ self.model.similarity).todense())


class ALS(Model):
    """implicit's AlternatingLeastSquares on log play counts; test users folded in by recalculate_user."""

    name = "ALS (implicit)"

    def __init__(self, factors: int = 64, regularization: float = 0.05, alpha: float = 2.0, iterations: int = 15):
        self.params = {"factors": factors, "regularization": regularization, "alpha": alpha, "iterations": iterations}

    def fit(self, data: Dataset) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        _implicit()
        self.model = AlternatingLeastSquares(**self.params, random_state=7, num_threads=2)
        self.model.fit(log_weights(data.X), show_progress=False)

    def scores(self, data: Dataset, profiles: sparse.csr_matrix, cases: Sequence[Case]) -> np.ndarray:
        import numpy as np

        users = self.model.recalculate_user(np.arange(profiles.shape[0]), log_weights(profiles))
        return np.asarray(users) @ np.asarray(self.model.item_factors).T


class BPR(Model):
    """implicit's BayesianPersonalizedRanking; a test user's factors are the ridge fit of their profile on the
    item factors (BPR has no fold-in of its own)."""

    name = "BPR (implicit)"

    def __init__(
        self, factors: int = 64, learning_rate: float = 0.05, regularization: float = 0.01, iterations: int = 100
    ):
        self.params = {
            "factors": factors,
            "learning_rate": learning_rate,
            "regularization": regularization,
            "iterations": iterations,
        }

    def fit(self, data: Dataset) -> None:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        _implicit()
        self.model = BayesianPersonalizedRanking(**self.params, random_state=7, num_threads=2)
        self.model.fit(binary(data.X), show_progress=False)

    def scores(self, data: Dataset, profiles: sparse.csr_matrix, cases: Sequence[Case]) -> np.ndarray:
        import numpy as np

        V = np.asarray(self.model.item_factors)  # last column: item bias (user factor fixed at 1)
        F, bias = V[:, :-1], V[:, -1]
        P = binary(profiles)
        out = np.empty((P.shape[0], V.shape[0]), dtype=np.float32)
        reg = 0.1 * np.eye(F.shape[1], dtype=np.float32)
        for r in range(P.shape[0]):
            idx = P.indices[P.indptr[r] : P.indptr[r + 1]]
            if idx.size == 0:
                out[r] = bias
                continue
            A = F[idx]
            u = np.linalg.solve(A.T @ A + reg, A.T @ (1.0 - bias[idx]))
            out[r] = F @ u + bias
        return out


def ease_weights(X: sparse.csr_matrix, lam: float, min_users: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """EASE's item-item matrix B over the items with at least `min_users` listeners: (kept item indices, B)."""
    import numpy as np

    Xb = binary(X)
    keep = np.flatnonzero(item_counts(Xb) >= min_users)
    Xk = Xb[:, keep]
    G = (Xk.T @ Xk).toarray().astype(np.float64)
    G[np.diag_indices_from(G)] += lam
    P = np.linalg.inv(G)
    B = -P / np.diag(P)
    B[np.diag_indices_from(B)] = 0.0
    return keep, B.astype(np.float32)


class EASE(Model):
    """Embarrassingly Shallow Autoencoder (Steck, 2019) on binary interactions; items with a single training
    listener are left out of the closed form (they cannot be recommended, and the inverse stays small)."""

    name = "EASE"

    def __init__(self, lam: float = 200.0, min_users: int = 2):
        self.lam, self.min_users = lam, min_users

    def fit(self, data: Dataset) -> None:
        self.keep, self.B = _ease_cached(data, self.lam, self.min_users)

    def scores(self, data: Dataset, profiles: sparse.csr_matrix, cases: Sequence[Case]) -> np.ndarray:
        import numpy as np

        out = np.full((profiles.shape[0], len(data.items)), -np.inf, dtype=np.float32)
        out[:, self.keep] = binary(profiles)[:, self.keep] @ self.B
        return out


_EASE_CACHE: dict[tuple[int, float, int], tuple[np.ndarray, np.ndarray]] = {}


def _ease_cached(data: Dataset, lam: float, min_users: int) -> tuple[np.ndarray, np.ndarray]:
    """EASE fits are shared between EASE and the hybrid while tuning (the inverse is the slow part)."""
    key = (id(data.X), lam, min_users)
    if key not in _EASE_CACHE:
        if len(_EASE_CACHE) > 8:
            _EASE_CACHE.clear()
        _EASE_CACHE[key] = ease_weights(data.X, lam, min_users)
    return _EASE_CACHE[key]


class ItemEmbeddings:
    """Unit MiniLM embeddings of item descriptions, cached on disk by the texts' hash (encoding 15K
    descriptions takes about a minute here)."""

    def __init__(self, cache_dir: Path | None = None, encoder: Any = None):
        from echotune.tools.recommender.embed import Encoder

        self.cache_dir = cache_dir
        self.encoder = encoder or Encoder()
        self.memory: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str], progress=None) -> np.ndarray:
        import numpy as np

        from echotune.tools.recommender.embed import model_id

        digest = hashlib.sha256(("\n".join(texts) + str(model_id())).encode()).hexdigest()[:24]
        if digest in self.memory:
            return self.memory[digest]
        path = self.cache_dir / f"item-embeddings-{digest}.npy" if self.cache_dir else None
        if path is not None and path.exists():
            vectors = np.load(path, allow_pickle=False)
        else:
            vectors = self.encoder.encode(texts, progress=progress)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, vectors, allow_pickle=False)
        self.memory[digest] = vectors
        return vectors


class EchoTune(Model):
    """EchoTune's hybrid: EASE-fitted co-occurrence + MiniLM content neighbours + popularity, blended by
    (content, collaborative, popularity) weights exactly as the product's ranking does."""

    name = "EchoTune hybrid"

    def __init__(
        self,
        lam: float = 200.0,
        content: float = 0.2,
        collaborative: float = 1.0,
        popularity: float = 0.0,
        neighbours: int = 50,
        embeddings: ItemEmbeddings | None = None,
        min_users: int = 2,
    ):
        self.lam, self.min_users, self.neighbours = lam, min_users, neighbours
        self.weights = (content, collaborative, popularity)
        self.embeddings = embeddings or ItemEmbeddings()

    def _texts(self, data: Dataset, items: Sequence[str]) -> list[str]:
        return [data.side.text(i) or "" for i in items]

    def fit(self, data: Dataset) -> None:
        import numpy as np

        self.keep, self.B = _ease_cached(data, self.lam, self.min_users)
        counts = item_counts(data.X)
        self.pop = (np.log1p(counts) / max(float(np.log1p(counts).max()), 1e-9)).astype(np.float32)
        self.E = self.embeddings.encode(self._texts(data, data.items))
        self.has_text = np.array([bool(data.side.text(i)) for i in data.items])
        self.E[~self.has_text] = 0.0

    def content_scores(self, data: Dataset, cases: Sequence[Case]) -> np.ndarray:
        """Per case: each item's summed similarity to its nearest profile items (profile items outside
        --train included through their descriptions)."""
        import numpy as np

        out = np.zeros((len(cases), len(data.items)), dtype=np.float32)
        if not self.has_text.any():
            return out
        outside = sorted({i for c in cases for i in c.profile if i not in data.col and data.side.text(i)})
        extra = self.embeddings.encode(self._texts(data, outside)) if outside else None
        extra_row = {item: r for r, item in enumerate(outside)}
        for r, case in enumerate(cases):
            vecs, weights = [], []
            for item, w in case.profile.items():
                j = data.col.get(item)
                if j is not None and self.has_text[j]:
                    vecs.append(self.E[j])
                elif item in extra_row and extra is not None:
                    vecs.append(extra[extra_row[item]])
                else:
                    continue
                weights.append(np.log1p(w))
            if not vecs:
                continue
            sims = np.vstack(vecs) @ self.E.T  # profile items x all items
            if self.neighbours and sims.shape[0] > self.neighbours:
                sims = -np.partition(-sims, self.neighbours - 1, axis=0)[: self.neighbours]
            out[r] = np.clip(sims, 0.0, None).sum(axis=0) / len(vecs)
        return out

    def scores(self, data: Dataset, profiles: sparse.csr_matrix, cases: Sequence[Case]) -> np.ndarray:
        import numpy as np

        from echotune.tools.recommender.rank import blend

        collab = np.zeros((profiles.shape[0], len(data.items)), dtype=np.float32)
        collab[:, self.keep] = binary(profiles)[:, self.keep] @ self.B
        content = self.content_scores(data, cases) if self.weights[0] > 0 else np.zeros_like(collab)
        out = np.empty_like(collab)
        for r in range(collab.shape[0]):
            out[r] = blend(content[r], np.maximum(collab[r], 0.0), self.pop, self.weights)[0]
        return out
