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


_EASE_CACHE: dict[tuple, tuple[Any, np.ndarray, np.ndarray]] = {}


def _ease_cached(data: Dataset, lam: float, min_users: int) -> tuple[np.ndarray, np.ndarray]:
    """EASE fits are shared between EASE and the hybrid while tuning (the inverse is the slow part)."""
    key = (id(data.X), lam, min_users)
    cached = _EASE_CACHE.get(key)
    if cached is None or cached[0] is not data.X:
        if len(_EASE_CACHE) > 8:
            _EASE_CACHE.clear()
        cached = _EASE_CACHE[key] = (data.X, *ease_weights(data.X, lam, min_users))
    return cached[1], cached[2]


_CONTENT_CACHE: dict[tuple, tuple[Any, Any, np.ndarray]] = {}


class ItemEmbeddings:
    """Unit MiniLM embeddings of item descriptions, cached per description on disk (encoding 15K descriptions
    takes a minute or more here), so tuning, refitting and re-runs encode each description once."""

    def __init__(self, cache_dir: Path | None = None, encoder: Any = None, progress=None):
        from echotune.tools.recommender.embed import Encoder

        self.progress = progress
        self.cache_dir = cache_dir
        self.encoder = encoder or Encoder()
        self.known: dict[str, np.ndarray] | None = None
        self.memory: dict[str, np.ndarray] = {}

    def _path(self) -> Path | None:
        from echotune.tools.recommender.embed import model_id

        if self.cache_dir is None:
            return None
        tag = hashlib.sha256(str(model_id()).encode()).hexdigest()[:12]
        return self.cache_dir / f"item-embeddings-{tag}.npz"

    def _load(self) -> dict[str, np.ndarray]:
        import numpy as np

        if self.known is None:
            self.known = {}
            path = self._path()
            if path is not None and path.exists():
                with np.load(path, allow_pickle=False) as data:
                    self.known = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
        return self.known

    def encode(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()
        if digest in self.memory:
            return self.memory[digest]
        known = self._load()
        todo = sorted({t for t in texts if t not in known})
        if todo:
            fresh = self.encoder.encode(todo, progress=self.progress)
            known.update(zip(todo, fresh, strict=True))
            path = self._path()
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(path.name + ".tmp.npz")
                np.savez(tmp, texts=np.array(list(known), dtype=str), vectors=np.vstack(list(known.values())))
                tmp.replace(path)
        from echotune.tools.recommender.embed import DIMS

        vectors = np.vstack([known[t] for t in texts]) if texts else np.zeros((0, DIMS), np.float32)
        self.memory[digest] = vectors.astype(np.float32)
        return self.memory[digest]


class EchoTune(Model):
    """EchoTune's hybrid. Its collaborative part is an item-item model fitted in EASE's closed form on the
    co-occurrence of items in listeners' histories *plus their content*: the Gram matrix gains the items' tag
    profiles (alpha T'T) and their centred MiniLM description embeddings (beta E'E), as if tags and embedding
    dimensions were extra listeners (the "side information as pseudo-users" of collective EASE). Its scores
    are then blended with MiniLM content neighbours and a popularity prior by (content, collaborative,
    popularity) weights through the product's own `blend`."""

    name = "EchoTune hybrid"

    def __init__(
        self,
        lam: float = 150.0,
        alpha: float = 0.3,
        beta: float = 10.0,
        content: float = 0.0,
        collaborative: float = 1.0,
        popularity: float = 0.0,
        neighbours: int = 10,
        embeddings: ItemEmbeddings | None = None,
        min_users: int = 2,
    ):
        self.lam, self.alpha, self.beta, self.min_users, self.neighbours = lam, alpha, beta, min_users, neighbours
        self.weights = (content, collaborative, popularity)
        self.embeddings = embeddings or ItemEmbeddings()

    def _texts(self, data: Dataset, items: Sequence[str]) -> list[str]:
        return [data.side.text(i) or "" for i in items]

    def fit(self, data: Dataset) -> None:
        import numpy as np

        counts = item_counts(data.X)
        self.pop = (np.log1p(counts) / max(float(np.log1p(counts).max()), 1e-9)).astype(np.float32)
        self.has_text = np.array([bool(data.side.text(i)) for i in data.items])
        self.E = self.embeddings.encode(self._texts(data, data.items))
        self.E[~self.has_text] = 0.0
        key = (id(data.X), self.lam, self.alpha, self.beta, self.min_users)
        cached = _EASE_CACHE.get(key)  # type: ignore[arg-type]
        if cached is None or cached[0] is not data.X:
            if len(_EASE_CACHE) > 8:
                _EASE_CACHE.clear()
            cached = _EASE_CACHE[key] = (data.X, *self._side_ease(data))  # type: ignore[index]
        self.keep, self.B = cached[1], cached[2]

    def _side_ease(self, data: Dataset) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np
        from scipy import sparse

        Xb = binary(data.X)
        keep = np.flatnonzero(item_counts(Xb) >= self.min_users)
        Xk = Xb[:, keep]
        G = (Xk.T @ Xk).toarray().astype(np.float64)
        if self.alpha > 0 and data.side.tags:
            tag_col: dict[str, int] = {}
            rows, cols, vals = [], [], []
            for c, j in enumerate(keep):
                for tag, n in data.side.tags.get(data.items[j], {}).items():
                    rows.append(tag_col.setdefault(tag, len(tag_col)))
                    cols.append(c)
                    vals.append(np.log1p(n))
            T = sparse.csr_matrix((vals, (rows, cols)), shape=(max(len(tag_col), 1), len(keep)))
            G += self.alpha * (T.T @ T).toarray()
        if self.beta > 0 and self.has_text[keep].any():
            Ek = self.E[keep].astype(np.float64)
            has = self.has_text[keep]
            Ek = Ek - Ek[has].mean(axis=0)
            Ek[~has] = 0.0
            norms = np.linalg.norm(Ek, axis=1, keepdims=True)
            Ek /= np.where(norms > 0, norms, 1.0)
            G += self.beta * (Ek @ Ek.T)
        G[np.diag_indices_from(G)] += self.lam
        P = np.linalg.inv(G)
        B = -P / np.diag(P)
        B[np.diag_indices_from(B)] = 0.0
        return keep, B.astype(np.float32)

    def content_scores(self, data: Dataset, cases: Sequence[Case]) -> np.ndarray:
        """Per case: each item's summed similarity to its nearest profile items (profile items outside
        --train included through their descriptions). Cached while tuning: only the blend weights change."""
        key = (id(data.X), self.neighbours, tuple(c.user for c in cases))
        cached = _CONTENT_CACHE.get(key)
        if cached is None or cached[0] is not data.X or cached[1] is not self.E:
            if len(_CONTENT_CACHE) > 16:
                _CONTENT_CACHE.clear()
            cached = _CONTENT_CACHE[key] = (data.X, self.E, self._content_scores(data, cases))
        return cached[2]

    def _content_scores(self, data: Dataset, cases: Sequence[Case]) -> np.ndarray:
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
        collab[:, self.keep] = log_weights(profiles)[:, self.keep] @ self.B
        content = self.content_scores(data, cases) if self.weights[0] > 0 else np.zeros_like(collab)
        out = np.empty_like(collab)
        for r in range(collab.shape[0]):
            out[r] = blend(content[r], np.maximum(collab[r], 0.0), self.pop, self.weights)[0]
        return out
