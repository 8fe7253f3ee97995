"""Personal insights on histories whose right answers are known: genre entropy, taste by month, the journey,
listeners like you (opt-in on both sides), terminal charts, and a report that needs no network."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from echotune.tools.context import Context
from echotune.tools.errors import NotFoundError
from echotune.tools.models import ArtistRef, AudioFeatures, Play, Track
from echotune.tools.registry import call_tool
from tests.history.conftest import Export


def features(energy: float, valence: float, dance: float) -> AudioFeatures:
    return AudioFeatures(
        acousticness=0.1, danceability=dance, energy=energy, instrumentalness=0, liveness=0.1, speechiness=0.05,
        valence=valence, loudness=-6, tempo=120, key=1, mode=1, time_signature=4,
    )  # fmt: skip


JAZZ = Track(id="local:jazz", title="Blue Night", artists=[ArtistRef(name="Trio")], genres=["jazz"],
             features=features(0.2, 0.4, 0.3), source="learnt")  # fmt: skip
ROCK = Track(id="local:rock", title="Loud Day", artists=[ArtistRef(name="Band")], genres=["rock"],
             features=features(0.8, 0.6, 0.5), source="learnt")  # fmt: skip


def add(ctx: Context, user: str, track: Track, at: datetime, n: int = 1) -> None:
    ctx.store.plays.add(
        [
            Play(user=user, played_at=at + timedelta(minutes=5 * i), ms_played=200_000, title=track.title,
                 artist=track.artists[0].name, track_id=track.id)
            for i in range(n)
        ]
    )  # fmt: skip


@pytest.fixture
def two_genres(ctx: Context) -> Context:
    """January: 4 jazz plays; February: 2 jazz and 2 rock."""
    ctx.store.catalog.upsert([JAZZ, ROCK])
    add(ctx, "default", JAZZ, datetime(2024, 1, 10, 20, tzinfo=UTC), 4)
    add(ctx, "default", JAZZ, datetime(2024, 2, 10, 20, tzinfo=UTC), 2)
    add(ctx, "default", ROCK, datetime(2024, 2, 11, 20, tzinfo=UTC), 2)
    return ctx


def test_summary_follows_new_plays(two_genres: Context) -> None:
    """The summary is kept per history generation: a new play, or a new period, is never answered from it."""
    before = call_tool(two_genres, "insights_summary", {"timezone": "UTC"})
    assert call_tool(two_genres, "insights_summary", {"timezone": "UTC"}) == before
    assert call_tool(two_genres, "insights_summary", {"timezone": "UTC", "period": "2024-01"}).totals.plays == 4
    add(two_genres, "default", ROCK, datetime(2024, 3, 1, 20, tzinfo=UTC), 3)
    after = call_tool(two_genres, "insights_summary", {"timezone": "UTC"})
    assert (before.totals.plays, after.totals.plays) == (8, 11)
    assert after.diversity.top_genre_share != before.diversity.top_genre_share
    assert [m.month for m in after.taste] == ["2024-01", "2024-02", "2024-03"]


def test_diversity_is_the_entropy_of_the_genre_mix(two_genres: Context) -> None:
    s = call_tool(two_genres, "insights_summary", {"timezone": "UTC"})
    d = s.diversity
    p = [6 / 8, 2 / 8]
    import math

    h = -sum(x * math.log2(x) for x in p)
    assert d.genre_entropy_bits == round(h, 3) and d.genre_evenness == round(h, 3)
    assert (d.top_genre, d.top_genre_share) == ("jazz", 0.75)
    feb = call_tool(two_genres, "insights_summary", {"timezone": "UTC", "period": "2024-02"}).diversity
    assert (feb.genre_entropy_bits, feb.genre_evenness, feb.effective_genres) == (1.0, 1.0, 2.0)


def test_taste_evolution_by_month(two_genres: Context) -> None:
    taste = call_tool(two_genres, "insights_summary", {"timezone": "UTC"}).taste
    assert [m.month for m in taste] == ["2024-01", "2024-02"]
    jan, feb = taste
    assert jan.genre_shares == {"jazz": 1.0, "rock": 0.0} and feb.genre_shares == {"jazz": 0.5, "rock": 0.5}
    assert (jan.energy, jan.valence, jan.danceability) == (0.2, 0.4, 0.3)
    assert (feb.energy, feb.valence, feb.danceability) == (0.5, 0.5, 0.4)


def test_discovery_rate_and_journey(two_genres: Context) -> None:
    s = call_tool(two_genres, "insights_summary", {"timezone": "UTC", "period": "2024-02"})
    assert (s.discovery.new_tracks, s.discovery.rate) == (1, 0.5), "rock was new in February, jazz was not"
    journey = call_tool(two_genres, "insights_summary", {"timezone": "UTC"}).journey
    what = [e.what for e in journey]
    assert what[0] == "first play" and journey[0].detail == "Blue Night — Trio"
    assert "biggest day" in what and "longest session" in what and "2024" in what
    year = next(e for e in journey if e.what == "2024")
    assert "favourite artist Trio" in year.detail and "8 plays" in year.detail


def test_listeners_like_you_needs_both_sides_to_opt_in(two_genres: Context) -> None:
    ctx = two_genres
    off = call_tool(ctx, "insights_summary", {"timezone": "UTC"}).listeners_like_you
    assert not off.enabled and "privacy.listeners_like_you true" in off.note
    add(ctx, "alice", JAZZ, datetime(2024, 3, 1, tzinfo=UTC), 5)
    add(ctx, "bob", ROCK, datetime(2024, 3, 1, tzinfo=UTC), 5)
    call_tool(ctx, "settings_update", {"key": "privacy.listeners_like_you", "value": True})
    assert call_tool(ctx, "insights_summary", {}).listeners_like_you.neighbours == [], "nobody else opted in"
    call_tool(ctx.for_user("alice"), "settings_update", {"key": "privacy.listeners_like_you", "value": True})
    call_tool(ctx.for_user("bob"), "settings_update", {"key": "privacy.listeners_like_you", "value": True})
    on = call_tool(ctx, "insights_summary", {}).listeners_like_you
    assert [n.listener for n in on.neighbours] == ["listener 1", "listener 2"]
    assert on.neighbours[0].shared_artists == ["Trio"] and on.neighbours[0].similarity > on.neighbours[1].similarity
    assert "alice" not in str(on.model_dump()) and "bob" not in str(on.model_dump()), "other listeners stay anonymous"
    call_tool(ctx.for_user("bob"), "settings_update", {"key": "privacy.listeners_like_you", "value": False})
    assert len(call_tool(ctx, "insights_summary", {}).listeners_like_you.neighbours) == 1


def test_summary_draws_terminal_charts(ctx: Context, export: Export) -> None:
    call_tool(ctx, "history_import", {"paths": [str(export.extended_dir)]})
    summary = call_tool(ctx, "insights_summary", {"timezone": "Europe/Berlin"})
    console = Console(record=True, width=120, color_system=None)
    console.print(summary)
    text = console.export_text()
    for expected in ("Listening clock", "Top artists", "Top tracks", "genre entropy", "New tracks per month",
                     "Taste by month", "energy", "Music journey", "first play", "Listeners like you"):  # fmt: skip
        assert expected in text, expected
    assert "█" in text and "▒" in text and any(c in text for c in "▁▂▃▄▅▆▇"), "bars, heat map, sparklines"


def test_report_is_self_contained(ctx: Context, export: Export, tmp_path: Path) -> None:
    call_tool(ctx, "history_import", {"paths": [str(export.extended_dir)]})
    out = tmp_path / "report.html"
    result = call_tool(ctx, "insights_report", {"out": str(out), "timezone": "Europe/Berlin"})
    page = out.read_text(encoding="utf-8")
    assert result.bytes == out.stat().st_size and result.charts[:2] == ["clock", "top-artists"]
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|<img[^>]+src=\"?https?:", page), "nothing to fetch"
    assert "Plotly.newPlot" in page and len(page) > 3_000_000, "plotly.js is inside the file"
    for chart in result.charts:
        assert f'id="{chart}"' in page


def test_insights_without_history(ctx: Context) -> None:
    with pytest.raises(NotFoundError, match="No listening history yet"):
        call_tool(ctx, "insights_summary", {})
