"""Track vectors: the bundled catalog's, precomputed and shipped as package data, and learnt tracks', computed
on arrival and cached in the data dir.

Encoding the 20,405 bundled tracks takes about a minute on two cores, so `make vectors` does it once and ships
float16 vectors with a manifest tying them to the catalog build (its sha256), the model and the text recipe.
At load the manifest is checked; stale or damaged vectors are refused and the tracks are encoded instead.
Run: `python -m echotune.tools.recommender.vectors` (or `make vectors`).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from echotune.tools.catalog_build import DATA_DIR
from echotune.tools.recommender import text as tt
from echotune.tools.recommender.embed import DIMS, Encoder, model_id

if TYPE_CHECKING:
    import numpy as np

    from echotune.tools.models import Track

VECTORS_FILE = "vectors.f16.npy"
IDS_FILE = "vectors.ids.npy"
VECTORS_MANIFEST = "vectors.manifest.json"
WIDTH = DIMS + len(tt.FEATURES)


@dataclass
class Scaling:
    """The catalog's audio-feature mean and spread: learnt tracks are scaled the same way."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, tracks: Sequence[Track]) -> Scaling:
        values, present = tt.raw_features(tracks)
        rows = values[present]
        return cls(mean=rows.mean(axis=0), std=rows.std(axis=0))

    @classmethod
    def from_manifest(cls, manifest: dict) -> Scaling:
        import numpy as np

        return cls(
            mean=np.array(manifest["feature_mean"], dtype=np.float32),
            std=np.array(manifest["feature_std"], dtype=np.float32),
        )


def track_vectors(tracks: Sequence[Track], encoder: Encoder, scaling: Scaling, progress=None) -> np.ndarray:
    """Unit vectors (len(tracks) x WIDTH) joining each track's text embedding and scaled audio features."""
    texts = [tt.track_text(t) for t in tracks]
    values, present = tt.raw_features(tracks)
    return tt.join(
        encoder.encode(texts, progress=progress), tt.scale_features(values, present, scaling.mean, scaling.std)
    )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Bundled:
    """The shipped vectors of the bundled catalog, after their manifest was checked."""

    ids: np.ndarray
    vectors: np.ndarray
    scaling: Scaling
    manifest: dict


def bundled_problems(manifest: dict, catalog_sha256: str) -> list[str]:
    """Why the shipped vectors cannot be used with this catalog and model (empty when they can)."""
    problems = []
    if manifest.get("catalog_sha256") != catalog_sha256:
        problems.append("they were built from another catalog build")
    if manifest.get("recipe") != tt.TEXT_RECIPE:
        problems.append(f"they use text recipe {manifest.get('recipe')}, this code uses {tt.TEXT_RECIPE}")
    if manifest.get("width") != WIDTH:
        problems.append(f"they have {manifest.get('width')} dimensions, this code uses {WIDTH}")
    installed = model_id()
    shipped = manifest.get("model", {})
    if installed["version"] != "absent" and (shipped.get("name"), shipped.get("version")) != (
        installed["name"],
        installed["version"],
    ):
        problems.append(f"they come from model {shipped}, the installed one is {installed}")
    return problems


def load_bundled(catalog_sha256: str, data_dir: Path = DATA_DIR) -> tuple[Bundled | None, list[str]]:
    """The shipped vectors, or None and the reasons they were refused."""
    import numpy as np

    try:
        manifest = json.loads((data_dir / VECTORS_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, [f"no readable manifest ({exc})"]
    problems = bundled_problems(manifest, catalog_sha256)
    if problems:
        return None, problems
    path = data_dir / VECTORS_FILE
    try:
        if sha256_file(path) != manifest.get("vectors_sha256"):
            return None, [f"{path.name} does not match the checksum in its manifest"]
        vectors = np.load(path, allow_pickle=False)
        ids = np.load(data_dir / IDS_FILE, allow_pickle=False)
    except (OSError, ValueError) as exc:
        return None, [f"cannot read them ({exc})"]
    if vectors.shape != (manifest["count"], WIDTH) or ids.shape != (manifest["count"],):
        return None, [f"their shape {vectors.shape} does not match the manifest's count {manifest['count']}"]
    return Bundled(ids=ids, vectors=vectors, scaling=Scaling.from_manifest(manifest), manifest=manifest), []


def build(out_dir: Path = DATA_DIR) -> dict:
    """Encode the bundled catalog and write vectors, ids and manifest to `out_dir` (tools/data)."""
    import gzip

    import numpy as np
    import orjson

    from echotune.tools.catalog import bundled_manifest
    from echotune.tools.catalog_build import CATALOG_FILE
    from echotune.tools.models import Track

    with gzip.open(DATA_DIR / CATALOG_FILE, "rb") as fh:
        tracks = sorted((Track.model_validate(orjson.loads(line)) for line in fh), key=lambda t: t.id)
    scaling = Scaling.fit(tracks)

    def progress(done: int, total: int) -> None:
        print(f"\rencoding {done}/{total}", end="", file=sys.stderr, flush=True)

    vectors = track_vectors(tracks, Encoder(), scaling, progress=progress).astype(np.float16)
    print(file=sys.stderr)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / VECTORS_FILE, vectors, allow_pickle=False)
    np.save(out_dir / IDS_FILE, np.array([t.id for t in tracks]), allow_pickle=False)
    manifest = {
        "what": "MiniLM text embedding of each bundled track's description joined with its scaled audio features",
        "catalog_sha256": bundled_manifest()["sha256"],
        "model": model_id(),
        "recipe": tt.TEXT_RECIPE,
        "features": list(tt.FEATURES),
        "feature_mean": [round(float(x), 6) for x in scaling.mean],
        "feature_std": [round(float(x), 6) for x in scaling.std],
        "count": len(tracks),
        "width": WIDTH,
        "dtype": "float16",
        "vectors_sha256": sha256_file(out_dir / VECTORS_FILE),
    }
    (out_dir / VECTORS_MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    built = build()
    print(f"wrote {built['count']} vectors of {built['width']} dimensions to {DATA_DIR}")
