"""The recommender service: vectors, item table and FAISS index persisted in the data dir, kept in step with
the catalog (learnt tracks are encoded and added as they arrive), and the per-user state ranking needs.

One Recommender per Context (`recommender(ctx)`), shared by every user's view of it; opening it reads three
files and never loads the embedding model, which is built on the first text that needs encoding.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from echotune.tools.errors import NotFoundError
from echotune.tools.recommender.embed import Encoder, model_id
from echotune.tools.recommender.index import APPROX_FROM, VectorIndex
from echotune.tools.recommender.items import Items
from echotune.tools.recommender.vectors import WIDTH, Scaling, load_bundled, track_vectors

if TYPE_CHECKING:
    import numpy as np

    from echotune.tools.context import Context
    from echotune.tools.models import Track

log = logging.getLogger("echotune.recommend")

STATE_VERSION = 2
QUERY_CACHE = 256
"""Free-text queries whose vectors are kept (an agent often repeats a request within a conversation)."""
FOLDER = "recommend"
STATE, ITEMS, VECTORS, INDEX, LEARNT = "state.json", "items.npz", "vectors.f32.npy", "index.faiss", "learnt.npz"


def folder_of(ctx: Context) -> Path:
    return ctx.config.data_dir / FOLDER


@dataclass
class Recommender:
    """Vectors (one unit row per track), the item table and the index over them, all row-aligned."""

    folder: Path | None
    items: Items
    vectors: np.ndarray
    index: VectorIndex
    scaling: Scaling
    catalog_sha256: str | None
    encoder: Encoder

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._row_of: dict[str, int] | None = None
        self._by_artist: dict[str, list[int]] | None = None
        self._queries: dict[str, np.ndarray] = {}

    @property
    def size(self) -> int:
        return len(self.items)

    # -- lookups --------------------------------------------------------------------------------------------
    @property
    def row_of(self) -> dict[str, int]:
        if self._row_of is None:
            self._row_of = {str(t): i for i, t in enumerate(self.items.ids.tolist())}
        return self._row_of

    def artist_keys(self) -> list[str]:
        """Every artist key and normalised name the catalog credits (for fuzzy artist lookups)."""
        self.artist_rows("")
        return list(self._by_artist or {})

    def artist_rows(self, key: str) -> list[int]:
        """Rows of tracks crediting the artist with this key, Spotify id or normalised name."""
        if self._by_artist is None:
            by: dict[str, list[int]] = {}
            for i, joined in enumerate(self.items.artists):
                for part in set(str(joined).split("|")):
                    by.setdefault(part, []).append(i)
            self._by_artist = by
        return self._by_artist.get(key, [])

    # -- building and persistence ----------------------------------------------------------------------------
    @classmethod
    def from_tracks(
        cls,
        tracks: list[Track],
        *,
        encoder: Encoder | None = None,
        folder: Path | None = None,
        catalog_sha256: str | None = None,
        known: dict[str, np.ndarray] | None = None,
        scaling: Scaling | None = None,
        approx_from: int = APPROX_FROM,
        progress=None,
    ) -> Recommender:
        """Build from tracks: vectors from `known` (shipped or cached) where present, else encoded."""
        import numpy as np

        if not tracks:
            raise NotFoundError(
                "The catalog is empty: there is nothing to recommend from",
                hint="run `echotune doctor`, or import history or sync Spotify to learn tracks",
            )
        encoder = encoder or Encoder()
        scaling = scaling or Scaling.fit(tracks)
        known = known or {}
        vectors = np.zeros((len(tracks), WIDTH), dtype=np.float32)
        missing = []
        for i, t in enumerate(tracks):
            v = known.get(t.id)
            if v is None:
                missing.append(i)
            else:
                vectors[i] = v
        if missing:
            fresh = track_vectors([tracks[i] for i in missing], encoder, scaling, progress=progress)
            vectors[missing] = fresh
        rec = cls(
            folder=folder,
            items=Items.from_tracks(tracks),
            vectors=vectors,
            index=VectorIndex.build(vectors, approx_from=approx_from),
            scaling=scaling,
            catalog_sha256=catalog_sha256,
            encoder=encoder,
        )
        if missing:
            rec._cache_learnt([tracks[i].id for i in missing], vectors[missing])
        return rec

    @classmethod
    def open(cls, ctx: Context, encoder: Encoder | None = None) -> Recommender:
        """Load the persisted index from the data dir, or build it (first run, or the catalog was rebuilt);
        then add any tracks the catalog learnt since."""
        from echotune.tools.catalog import BUNDLED_KEY, ensure_catalog

        ensure_catalog(ctx)
        folder = folder_of(ctx)
        sha = ctx.store.meta.get(BUNDLED_KEY)
        encoder = encoder or Encoder()
        rec = cls.load(folder, encoder, sha)
        if rec is None:
            rec = cls.rebuild(ctx, folder, encoder, sha)
        rec.sync(ctx)
        return rec

    @classmethod
    def load(cls, folder: Path, encoder: Encoder, catalog_sha256: str | None) -> Recommender | None:
        import numpy as np

        try:
            state = json.loads((folder / STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if state.get("version") != STATE_VERSION or state.get("catalog_sha256") != catalog_sha256:
            return None
        try:
            items = Items.load(folder / ITEMS)
            # memory-mapped: a cold start touches only the rows a request needs (MMR, taste, reasons)
            vectors = np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)
            index = VectorIndex.load(folder / INDEX)
        except (OSError, ValueError, RuntimeError) as exc:
            log.warning("rebuilding the recommender index: %s", exc)
            return None
        if not (len(items) == len(vectors) == index.size) or vectors.shape[1] != WIDTH:
            log.warning("rebuilding the recommender index: its files disagree in size")
            return None
        return cls(
            folder=folder,
            items=items,
            vectors=vectors,
            index=index,
            scaling=Scaling(
                mean=np.array(state["feature_mean"], np.float32), std=np.array(state["feature_std"], np.float32)
            ),
            catalog_sha256=catalog_sha256,
            encoder=encoder,
        )

    @classmethod
    def rebuild(cls, ctx: Context, folder: Path, encoder: Encoder, catalog_sha256: str | None) -> Recommender:
        """Index every catalog track: shipped vectors for bundled ones, cached or fresh ones for the rest."""
        tracks = list(ctx.store.catalog.all())
        known: dict[str, np.ndarray] = {}
        scaling = None
        bundled, problems = load_bundled(catalog_sha256 or "")
        if bundled is not None:
            scaling = bundled.scaling
            known.update(zip(bundled.ids.tolist(), bundled.vectors, strict=True))
        elif tracks:
            log.warning("not using the shipped track vectors (%s): encoding the catalog", "; ".join(problems))
        known.update(_read_learnt(folder))
        rec = cls.from_tracks(
            tracks,
            encoder=encoder,
            folder=folder,
            catalog_sha256=catalog_sha256,
            known=known,
            scaling=scaling,
            progress=lambda done, total: ctx.report("Encoding tracks for recommendations", done, total),
        )
        rec.save()
        return rec

    def save(self) -> None:
        import numpy as np

        if self.folder is None:
            return
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.items.save(self.folder / ITEMS)
            tmp = self.folder / (VECTORS + ".tmp.npy")
            np.save(tmp, np.asarray(self.vectors, dtype=np.float32), allow_pickle=False)
            tmp.replace(self.folder / VECTORS)
            self.index.save(self.folder / INDEX)
            state = {
                "version": STATE_VERSION,
                "catalog_sha256": self.catalog_sha256,
                "model": model_id(),
                "count": self.size,
                "index": self.index.kind,
                "feature_mean": [float(x) for x in self.scaling.mean],
                "feature_std": [float(x) for x in self.scaling.std],
            }
            (self.folder / STATE).write_text(json.dumps(state, indent=1), encoding="utf-8")

    # -- learnt tracks ---------------------------------------------------------------------------------------
    def sync(self, ctx: Context) -> int:
        """Add catalog tracks the index lacks (learnt from history or Spotify); returns how many."""
        if ctx.store.catalog.count() == self.size:
            return 0
        with self._lock:
            fresh = [t for t in ctx.store.catalog.all() if t.id not in self.row_of]
            if fresh:
                self.add_tracks(fresh, progress=lambda d, n: ctx.report("Encoding new tracks", d, n))
            return len(fresh)

    def add_tracks(self, tracks: list[Track], progress=None) -> None:
        """Encode (or take from the cache) and append tracks to the vectors, item table and index, then save."""
        import numpy as np

        with self._lock:
            tracks = [t for t in tracks if t.id not in self.row_of]
            if not tracks:
                return
            cached = _read_learnt(self.folder) if self.folder else {}
            todo = [t for t in tracks if t.id not in cached]
            fresh = track_vectors(todo, self.encoder, self.scaling, progress=progress) if todo else None
            if fresh is not None:
                self._cache_learnt([t.id for t in todo], fresh)
                cached.update(zip([t.id for t in todo], fresh, strict=True))
            vectors = np.vstack([cached[t.id] for t in tracks]).astype(np.float32)
            start = self.size
            self.items = self.items.extend(Items.from_tracks(tracks))
            self.vectors = np.vstack([self.vectors, vectors])
            if self.index.kind == "flat" and self.size >= APPROX_FROM:
                self.index = VectorIndex.build(self.vectors, approx_from=APPROX_FROM)
            else:
                self.index.add(vectors)
            if self._row_of is not None:
                self._row_of.update({t.id: start + i for i, t in enumerate(tracks)})
            self._by_artist = None
            self.save()

    def _cache_learnt(self, ids: list[str], vectors: np.ndarray) -> None:
        """Keep vectors of non-bundled tracks on disk so a rebuild never encodes them twice."""
        import numpy as np

        if self.folder is None:
            return
        cached = _read_learnt(self.folder)
        cached.update(zip(ids, vectors, strict=True))
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / (LEARNT + ".tmp.npz")
        np.savez(tmp, ids=np.array(list(cached), dtype=str), vectors=np.vstack(list(cached.values())))
        tmp.replace(self.folder / LEARNT)

    # -- encoding queries ------------------------------------------------------------------------------------
    def text_query(self, text: str) -> np.ndarray:
        """A free-text request as a query vector: its embedding in the text part, nothing in the audio part."""
        import numpy as np

        from echotune.tools.recommender import text as tt

        key = " ".join(text.casefold().split())
        if key not in self._queries:
            e = self.encoder.encode([text])[0]
            q = np.concatenate([tt.TEXT_WEIGHT * e, np.zeros(WIDTH - len(e), dtype=np.float32)])
            if len(self._queries) >= QUERY_CACHE:
                self._queries.pop(next(iter(self._queries)))
            self._queries[key] = (q / np.linalg.norm(q)).astype(np.float32)
        return self._queries[key]


def _read_learnt(folder: Path | None) -> dict[str, np.ndarray]:
    import numpy as np

    if folder is None:
        return {}
    try:
        with np.load(folder / LEARNT, allow_pickle=False) as data:
            if data["vectors"].shape[1:] != (WIDTH,):
                return {}
            return dict(zip(data["ids"].tolist(), data["vectors"].astype(np.float32), strict=True))
    except (OSError, ValueError, KeyError):
        return {}


def recommender(ctx: Context) -> Recommender:
    """The Context's recommender, opened once and shared; kept in step with the catalog on every call."""
    rec = ctx.lazy("recommender", lambda: Recommender.open(ctx))
    rec.sync(ctx)
    return rec
