"""Track vectors and the FAISS index, on the real MiniLM model and real FAISS: shipped vectors are checked
against the catalog and model they came from, the index persists and round-trips, learnt tracks are encoded
on arrival and added without a rebuild, and the approximate index agrees with exact search."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from echotune.tools.catalog import bundled_manifest
from echotune.tools.catalog_build import DATA_DIR
from echotune.tools.context import Context
from echotune.tools.errors import NotFoundError
from echotune.tools.models import ArtistRef, AudioFeatures, Track
from echotune.tools.recommender import text as tt
from echotune.tools.recommender.engine import LEARNT, Recommender, folder_of, recommender
from echotune.tools.recommender.index import VectorIndex
from echotune.tools.recommender.vectors import VECTORS_MANIFEST, WIDTH, load_bundled, track_vectors

HEY_JUDE = "1eT2CjXwFXNx6oY5ydvzKU"
TEEN_SPIRIT = "1f3yAtsJtY87CTmM8RLnxf"


def _learnt(i: int, title: str, artist: str, genres: list[str], energy: float) -> Track:
    return Track(
        id=f"local:test-{i}",
        title=title,
        artists=[ArtistRef(name=artist)],
        year=1994,
        genres=genres,
        popularity=40,
        features=AudioFeatures(
            acousticness=0.01,
            danceability=0.3,
            energy=energy,
            instrumentalness=0.0,
            liveness=0.1,
            speechiness=0.05,
            valence=0.3,
            loudness=-5.0,
            tempo=120.0,
            key=1,
            mode=1,
            time_signature=4,
        ),
        source="learnt",
    )


def test_track_text_has_words_for_era_mood_and_activity() -> None:
    t = _learnt(0, "Fast Song", "The Testers", ["grunge", "alternative rock"], energy=0.9)
    text = tt.track_text(t)
    assert text.startswith("Fast Song by The Testers.")
    for word in ("grunge", "1990s", "nineties", "energetic", "sad", "workout, running"):
        assert word in text


def test_shipped_vectors_are_tied_to_this_catalog_and_model() -> None:
    bundled, problems = load_bundled(bundled_manifest()["sha256"])
    assert problems == [] and bundled is not None
    assert bundled.vectors.shape == (20405, WIDTH) and bundled.vectors.dtype == np.float16
    _, stale = load_bundled("0" * 64)
    assert stale == ["they were built from another catalog build"]


def test_shipped_vectors_equal_a_fresh_encoding(rctx: Context) -> None:
    """Re-encode a few bundled tracks with the installed model: the shipped (float16) vectors match."""
    from echotune.tools.recommender.embed import Encoder

    bundled, _ = load_bundled(bundled_manifest()["sha256"])
    rows = [0, 777, 20404]
    tracks = rctx.store.catalog.get_many([str(bundled.ids[r]) for r in rows])
    fresh = track_vectors([tracks[str(bundled.ids[r])] for r in rows], Encoder(), bundled.scaling)
    cos = (fresh * bundled.vectors[rows].astype(np.float32)).sum(axis=1)
    assert (cos > 0.999).all(), cos


def test_damaged_shipped_vectors_are_refused(tmp_path: Path) -> None:
    for name in ("vectors.f16.npy", "vectors.ids.npy", VECTORS_MANIFEST):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    with (tmp_path / "vectors.f16.npy").open("r+b") as fh:
        fh.seek(-4, 2)
        fh.write(b"\x00\x01\x02\x03")
    bundled, problems = load_bundled(bundled_manifest()["sha256"], tmp_path)
    assert bundled is None and "does not match the checksum" in problems[0]
    manifest = json.loads((tmp_path / VECTORS_MANIFEST).read_text())
    manifest["model"]["version"] = "0.0.0-other"
    (tmp_path / VECTORS_MANIFEST).write_text(json.dumps(manifest))
    assert "from model" in load_bundled(bundled_manifest()["sha256"], tmp_path)[1][0]


def test_small_catalog_persistence_round_trip(rctx: Context, tmp_path: Path) -> None:
    """Built with the real model over a small catalog, saved, loaded: the same neighbours come back."""
    from echotune.tools.recommender.embed import Encoder

    tracks = [t for _, t in zip(range(120), rctx.store.catalog.all(), strict=False)]
    rec = Recommender.from_tracks(tracks, encoder=Encoder(), folder=tmp_path / "rec", catalog_sha256="x")
    rec.save()
    again = Recommender.load(tmp_path / "rec", Encoder(), "x")
    assert again is not None and again.size == 120 and again.index.kind == "flat"
    q = rec.vectors[5]
    assert rec.index.search(q, 10)[1].tolist() == again.index.search(q, 10)[1].tolist()
    assert again.index.search(q, 1)[1][0][0] == 5
    assert Recommender.load(tmp_path / "rec", Encoder(), "another catalog") is None


def test_empty_catalog_is_a_clear_error() -> None:
    with pytest.raises(NotFoundError, match="catalog is empty"):
        Recommender.from_tracks([])


def test_learnt_tracks_are_encoded_on_arrival_and_added_without_rebuild(rctx: Context) -> None:
    rec = recommender(rctx)
    index_before, size = rec.index, rec.size
    first_rows = rec.vectors[:3].copy()
    new = [
        _learnt(1, "Grunge Anthem", "Seattle Testers", ["grunge", "alternative rock"], 0.9),
        _learnt(2, "Quiet Lullaby", "Sleepy Testers", ["lullaby", "ambient"], 0.1),
    ]
    rctx.store.catalog.upsert(new)
    rec = recommender(rctx)  # syncs with the catalog on every call
    assert rec.size == size + 2 and rec.index is index_before and rec.index.size == size + 2
    assert np.array_equal(rec.vectors[:3], first_rows)
    row = rec.row_of["local:test-1"]
    assert rec.index.search(rec.vectors[row], 1)[1][0][0] == row
    assert (folder_of(rctx) / LEARNT).exists()
    # a fresh Context reads the grown index from disk
    other = Context.from_config(rctx.config, clock=rctx.clock)
    try:
        reopened = recommender(other)
        assert reopened.size == size + 2 and reopened.row_of["local:test-2"] == size + 1
    finally:
        other.close()


def test_growing_past_the_threshold_switches_to_the_approximate_index(
    rctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    import echotune.tools.recommender.engine as engine

    rec = recommender(rctx)
    assert rec.index.kind == "flat"
    monkeypatch.setattr(engine, "APPROX_FROM", rec.size + 1)
    rctx.store.catalog.upsert([_learnt(3, "Another Anthem", "Seattle Testers", ["grunge"], 0.8)])
    rec = recommender(rctx)
    assert rec.index.kind == "ivf" and rec.index.size == rec.size
    row = rec.row_of["local:test-3"]
    assert rec.index.search(rec.vectors[row], 1)[1][0][0] == row
    reopened = Recommender.load(folder_of(rctx), rec.encoder, rec.catalog_sha256)
    assert reopened is not None and reopened.index.kind == "ivf" and reopened.size == rec.size


def test_approximate_index_agrees_with_exact_and_persists(rctx: Context, tmp_path: Path) -> None:
    rec = recommender(rctx)
    vectors = rec.vectors[:8000]
    exact = VectorIndex.build(vectors)
    approx = VectorIndex.build(vectors, approx_from=1000, nprobe=48)
    assert (exact.kind, approx.kind) == ("flat", "ivf")
    queries = rec.vectors[8000:8100]
    truth = exact.search(queries, 10)[1]
    got = approx.search(queries, 10)[1]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, got, strict=True)])
    assert recall >= 0.95, recall
    approx.save(tmp_path / "ivf.faiss")
    loaded = VectorIndex.load(tmp_path / "ivf.faiss")
    assert loaded.kind == "ivf" and loaded.search(queries, 10)[1].tolist() == got.tolist()
    approx.add(rec.vectors[9000:9010])  # incremental add to a trained IVF index
    assert approx.size == 8010 and approx.search(rec.vectors[9005], 1)[1][0][0] == 8005


def test_cold_start_serves_seed_requests_without_the_model(rctx: Context) -> None:
    """A new process opens the persisted index and answers a seed request without importing the model."""
    recommender(rctx)
    code = (
        "import sys, json\n"
        "from echotune.tools.context import Context\n"
        "from echotune.tools.registry import call_tool\n"
        "ctx = Context.from_config()\n"
        f"out = call_tool(ctx, 'recommend_tracks', {{'seed_tracks': ['{HEY_JUDE}'], 'limit': 5}})\n"
        "print(json.dumps({'n': len(out.tracks), 'model': 'sentence_transformers' in sys.modules,"
        " 'torch': 'torch' in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"n": 5, "model": False, "torch": False}
