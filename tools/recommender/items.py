"""The item table: what the recommender knows about each indexed track without reading the catalog store.

Row i of the table is row i of the vectors and of the FAISS index. It holds just what ranking and filtering
need (id, artist keys, popularity, explicit, year, raw audio features), saved beside the index so a cold start
needs neither the model nor a full catalog read (parsing 20K tracks from the store takes over a second).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from echotune.tools.recommender import text as tt
from echotune.tools.text import normalize

if TYPE_CHECKING:
    import numpy as np

    from echotune.tools.models import Track


def artist_key(name: str, artist_id: str | None) -> str:
    return artist_id or f"name:{normalize(name)}"


@dataclass
class Items:
    ids: np.ndarray
    artist: np.ndarray
    """Key of the first credited artist (Spotify id, else name:<normalised name>): max-per-artist uses it."""
    artists: list[str]
    """Every credited artist's key and normalised name, '|'-joined: artist seeds match on it. A list, saved as
    JSON: as a fixed-width numpy string array it would take 47 MB for 20K tracks (one track credits 12)."""
    popularity: np.ndarray
    explicit: np.ndarray
    year: np.ndarray
    features: np.ndarray
    has_features: np.ndarray

    @classmethod
    def from_tracks(cls, tracks: Sequence[Track]) -> Items:
        import numpy as np

        values, present = tt.raw_features(tracks)
        return cls(
            ids=np.array([t.id for t in tracks], dtype=str),
            artist=np.array(
                [artist_key(t.artists[0].name, t.artists[0].id) if t.artists else "" for t in tracks], dtype=str
            ),
            artists=[
                "|".join([artist_key(a.name, a.id) for a in t.artists] + [normalize(a.name) for a in t.artists])
                for t in tracks
            ],
            popularity=np.array([(t.popularity or 0) / 100 for t in tracks], dtype=np.float32),
            explicit=np.array([t.explicit for t in tracks], dtype=bool),
            year=np.array([t.year or 0 for t in tracks], dtype=np.int32),
            features=values,
            has_features=present,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def extend(self, other: Items) -> Items:
        import numpy as np

        return Items(**{f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)})

    def save(self, path: Path) -> None:
        import numpy as np

        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, **{f.name: getattr(self, f.name) for f in fields(self)})
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Items:
        import numpy as np

        with np.load(path, allow_pickle=False) as data:
            return cls(**{f.name: data[f.name] for f in fields(cls)})


_ARRAYS = [f for f in fields(Items) if f.name != "artists"]
