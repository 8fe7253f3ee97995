"""Recommender fixtures: a Context whose data dir already holds the recommender's index (built once per session
from the shipped vectors of the bundled catalog), plays inserted directly, and the HetRec data when present."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from echotune.tools.config import load_config
from echotune.tools.context import Context
from echotune.tools.models import Play

HETREC = Path(
    os.environ.get("HETREC_DIR") or Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "lastfm-hetrec2011"
)


@pytest.fixture(scope="session")
def recommend_template(catalog_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the bundled catalog loaded and the recommender index built (from the shipped vectors)."""
    from echotune.tools.recommender.engine import Recommender

    data = tmp_path_factory.mktemp("recommend-template")
    shutil.copy(catalog_db, data / "echotune.sqlite3")
    ctx = Context.from_config(load_config({"data_dir": data}, config_file=data / "absent.toml", environ={}))
    rec = Recommender.open(ctx)
    assert rec.size == 20405
    ctx.close()
    return data


@pytest.fixture
def rctx(isolated_env: Path, recommend_template: Path, clock) -> Iterator[Context]:
    """A Context over a fresh copy of the catalog store and recommender index, with a frozen clock."""
    shutil.copytree(recommend_template, isolated_env, dirs_exist_ok=True)
    context = Context.from_config(clock=clock)
    yield context
    context.close()


def play(ctx: Context, track_id: str, at: datetime, *, skipped: bool = False, user: str | None = None) -> Play:
    t = ctx.store.catalog.get(track_id)
    assert t is not None
    return Play(
        user=user or ctx.user,
        played_at=at,
        ms_played=1000 if skipped else 200_000,
        track_id=t.id,
        track_uri=t.uri,
        title=t.title,
        artist=t.artists[0].name,
        skipped=skipped,
        source="test",
    )


def add_plays(ctx: Context, track_ids: list[str], *, start: datetime, gap_minutes: float = 4, user: str | None = None):
    """Plays of the tracks in order, `gap_minutes` apart, from `start`."""
    plays = [play(ctx, t, start + timedelta(minutes=gap_minutes * i), user=user) for i, t in enumerate(track_ids)]
    ctx.store.plays.add(plays)
    return plays


def find(ctx: Context, query: str, artist: str | None = None) -> str:
    """The id of the best catalog match (a real track of the bundled catalog)."""
    hits = ctx.catalog.search(query, artist=artist, limit=1)
    assert hits, query
    return hits[0][0].id
