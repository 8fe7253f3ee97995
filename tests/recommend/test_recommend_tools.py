"""recommend_tracks and recommend_feedback on the bundled catalog, the real index and the real model: inputs,
filters, reasons on every result, the collaborative signal from sessions, and feedback that changes the very
next ranking."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest

from echotune.cli import main
from echotune.tools.context import Context
from echotune.tools.derived import forget
from echotune.tools.errors import InvalidInputError, NotFoundError
from echotune.tools.recommender.engine import recommender
from echotune.tools.registry import call_tool
from echotune.tools.settings import update_setting

from .conftest import add_plays

HEY_JUDE = "1eT2CjXwFXNx6oY5ydvzKU"
TEEN_SPIRIT = "1f3yAtsJtY87CTmM8RLnxf"
COME_AS_YOU_ARE = "0MKGH8UMfCnq5w7nG06oM5"
HALO = "4JehYebiI9JE8sR8MisGVb"
ENTER_SANDMAN = "5sICkBXVmaCQk5aISGR3x1"
LOSE_YOURSELF = "7MJQ9Nfxzh8LPZ9e9u68Fq"


def rec_ids(ctx: Context, **args) -> list[str]:
    return [t.id for t in call_tool(ctx, "recommend_tracks", args).tracks]


def test_seed_tracks_give_similar_tracks_with_reasons(rctx: Context) -> None:
    out = call_tool(rctx, "recommend_tracks", {"seed_tracks": [f"spotify:track:{TEEN_SPIRIT}"], "limit": 10})
    assert len(out.tracks) == 10 and TEEN_SPIRIT not in [t.id for t in out.tracks]
    assert all(t.reason for t in out.tracks)
    assert any("Smells Like Teen Spirit" in t.reason for t in out.tracks)
    genres = Counter(g for t in out.tracks for g in t.genres)
    assert genres["grunge"] + genres["alternative rock"] + genres["permanent wave"] >= 5, genres


def test_seed_artist_by_name(rctx: Context) -> None:
    out = call_tool(rctx, "recommend_tracks", {"seed_artists": ["metalica"], "limit": 8})
    assert out.tracks and all("Metallica" not in t.artists for t in out.tracks)
    assert sum(any("metal" in g for g in t.genres) for t in out.tracks) >= 6, [t.genres for t in out.tracks]


def test_free_text_uses_the_model(rctx: Context) -> None:
    out = call_tool(rctx, "recommend_tracks", {"text": "calm acoustic jazz for a rainy sunday", "limit": 10})
    assert all(t.reason.startswith("matches “calm acoustic jazz") for t in out.tracks)
    assert sum(any("jazz" in g for g in t.genres) for t in out.tracks) >= 3, [t.genres for t in out.tracks]
    assert recommender(rctx).encoder.loaded


def test_activity_and_mood_targets(rctx: Context) -> None:
    out = call_tool(rctx, "recommend_tracks", {"activity": "running", "limit": 10})
    rec = recommender(rctx)
    energy = [rec.items.features[rec.row_of[t.id], 1] for t in out.tracks]
    assert min(energy) >= 0.7 and all(t.reason.startswith("fits energy 0.85") for t in out.tracks)
    calm = call_tool(rctx, "recommend_tracks", {"energy": 0.1, "acousticness": 0.9, "limit": 5})
    assert all(rec.items.features[rec.row_of[t.id], 1] <= 0.3 for t in calm.tracks)


def test_this_week_uses_recent_plays(rctx: Context, clock) -> None:
    add_plays(rctx, [HEY_JUDE], start=clock.now - timedelta(days=30))  # not this week
    add_plays(rctx, [TEEN_SPIRIT, COME_AS_YOU_ARE], start=clock.now - timedelta(days=2))
    out = call_tool(rctx, "recommend_tracks", {"this_week": True, "limit": 10})
    assert "2 track(s) you played this week" in out.based_on
    ids = [t.id for t in out.tracks]
    assert TEEN_SPIRIT not in ids and COME_AS_YOU_ARE not in ids
    assert any(t.reason.startswith("because you played") and "Nirvana" in t.reason for t in out.tracks)


def test_this_week_without_plays_is_a_clear_error(rctx: Context) -> None:
    with pytest.raises(NotFoundError, match="played nothing"):
        call_tool(rctx, "recommend_tracks", {"this_week": True})


def test_filters_explicit_max_per_artist_and_heard(rctx: Context, clock) -> None:
    update_setting(rctx, "recommendation.max_per_artist", 1)
    out = call_tool(rctx, "recommend_tracks", {"seed_tracks": [LOSE_YOURSELF], "limit": 15})
    artists = Counter(t.artists.split(", ")[0] for t in out.tracks)
    assert max(artists.values()) == 1 and any(t.explicit for t in out.tracks)
    update_setting(rctx, "content.allow_explicit", False)
    clean = call_tool(rctx, "recommend_tracks", {"seed_tracks": [LOSE_YOURSELF], "limit": 15})
    assert clean.tracks and not any(t.explicit for t in clean.tracks)
    first = [t.id for t in clean.tracks[:3]]
    add_plays(rctx, first, start=clock.now - timedelta(days=1))
    again = rec_ids(rctx, seed_tracks=[LOSE_YOURSELF], limit=15, exclude_heard=True)
    assert not set(first) & set(again)
    assert set(first) <= set(rec_ids(rctx, seed_tracks=[LOSE_YOURSELF], limit=15, exclude_heard=False))


def test_cold_start_without_history_is_popularity(rctx: Context) -> None:
    out = call_tool(rctx, "recommend_tracks", {"limit": 5})
    assert "popularity" in out.based_on and all(t.reason == "popular in the catalog" for t in out.tracks)


def test_taste_from_history_and_feedback_changes_the_next_ranking(rctx: Context, clock) -> None:
    update_setting(rctx, "recommendation.variant", "hybrid")
    add_plays(rctx, [TEEN_SPIRIT, COME_AS_YOU_ARE, ENTER_SANDMAN], start=clock.now - timedelta(days=3))
    before = call_tool(rctx, "recommend_tracks", {"limit": 10})
    assert "history" in before.based_on and all(t.reason for t in before.tracks)
    rec = recommender(rctx)
    halo_like = rec.vectors[rec.row_of[HALO]]

    def pull(ids: list[str]) -> float:
        return float(np.mean([rec.vectors[rec.row_of[i]] @ halo_like for i in ids]))

    for _ in range(3):
        call_tool(rctx, "recommend_feedback", {"track": HALO, "kind": "like"})
    after = call_tool(rctx, "recommend_tracks", {"limit": 10})
    assert [t.id for t in after.tracks] != [t.id for t in before.tracks]
    assert pull([t.id for t in after.tracks]) > pull([t.id for t in before.tracks]) + 0.02
    assert any("because you liked Halo" in t.reason for t in after.tracks)

    victim = after.tracks[0].id
    call_tool(rctx, "recommend_feedback", {"track": victim, "kind": "dislike"})
    assert victim not in rec_ids(rctx, limit=10)
    assert victim not in rec_ids(rctx, seed_tracks=[HALO], limit=30)


def test_feedback_from_another_process_is_seen(rctx: Context) -> None:
    """Feedback stored through another Context (another process) reaches this one's cached profile."""
    rec_ids(rctx, seed_tracks=[HEY_JUDE], limit=5)
    other = Context.from_config(rctx.config, clock=rctx.clock)
    try:
        target = rec_ids(other, seed_tracks=[HEY_JUDE], limit=5)[0]
        call_tool(other, "recommend_feedback", {"track": target, "kind": "dislike"})
    finally:
        other.close()
    assert target not in rec_ids(rctx, seed_tracks=[HEY_JUDE], limit=5)


def test_sessions_give_a_collaborative_signal(rctx: Context, clock) -> None:
    """Tracks played together in sessions come up together, with a played-with reason."""
    update_setting(rctx, "recommendation.variant", "hybrid")
    update_setting(rctx, "recommendation.collaborative", 1.0)
    update_setting(rctx, "recommendation.content", 0.2)
    start = clock.now - timedelta(days=20)
    for day in range(6):  # Hey Jude and Halo, again and again, in the same sessions
        add_plays(rctx, [HEY_JUDE, HALO], start=start + timedelta(days=day))
    out = call_tool(rctx, "recommend_tracks", {"seed_tracks": [HEY_JUDE], "limit": 5})
    top = out.tracks[0]
    assert top.id == HALO and top.parts.collaborative == 1.0
    assert top.reason == "played with Hey Jude — The Beatles (2006)"


def test_bad_input_is_refused_clearly(rctx: Context) -> None:
    with pytest.raises(NotFoundError, match="No track 0000000000000000000000"):
        call_tool(rctx, "recommend_tracks", {"seed_tracks": ["0000000000000000000000"]})
    with pytest.raises(InvalidInputError, match="not a Spotify track id"):
        call_tool(rctx, "recommend_tracks", {"seed_tracks": ["nope"]})
    with pytest.raises(NotFoundError, match="No artist"):
        call_tool(rctx, "recommend_tracks", {"seed_artists": ["Zzyzx Qwerty Nobody"]})
    for k in (0, 51):
        with pytest.raises(InvalidInputError, match="limit: Input should be"):
            call_tool(rctx, "recommend_tracks", {"limit": k})
    with pytest.raises(InvalidInputError, match="tempo"):
        call_tool(rctx, "recommend_tracks", {"tempo": 900})
    with pytest.raises(NotFoundError):
        call_tool(rctx, "recommend_feedback", {"track": "0000000000000000000000", "kind": "like"})
    with pytest.raises(InvalidInputError, match="kind"):
        call_tool(rctx, "recommend_feedback", {"track": HEY_JUDE, "kind": "love"})
    assert rctx.store.feedback.for_user(rctx.user) == []


def test_cli_recommend_and_errors(capsys, rctx: Context) -> None:
    code = main(["recommend", "tracks", "--seed-tracks", HEY_JUDE, "--limit", "3", "--json"])
    out, _ = capsys.readouterr()
    data = json.loads(out)
    assert code == 0 and len(data["tracks"]) == 3 and data["variant"] in ("content", "hybrid", "hybrid_mmr")
    code = main(["recommend", "tracks", "--seed-tracks", "0000000000000000000000"])
    out, err = capsys.readouterr()
    assert code == 3 and "No track" in err and "Traceback" not in err
    code = main(["recommend", "tracks", "--limit", "0"])
    _, err = capsys.readouterr()
    assert code == 2 and "limit:" in err


def test_taste_is_cached_on_disk_and_reused(rctx: Context, clock) -> None:
    add_plays(rctx, [TEEN_SPIRIT, COME_AS_YOU_ARE], start=clock.now - timedelta(days=1))
    first = rec_ids(rctx, limit=10)
    rec = recommender(rctx)
    saved = list((rec.folder / "taste").glob("*.json"))
    assert len(saved) == 1 and "Nirvana" not in saved[0].read_text()  # rows and weights, no names
    other = Context.from_config(rctx.config, clock=rctx.clock)  # a new process reads it back
    try:
        assert rec_ids(other, limit=10) == first
    finally:
        other.close()
    # proof that the file is what a new process uses: point it at Halo and the taste follows
    data = json.loads(saved[0].read_text())
    halo = rec.row_of[HALO]
    saved[0].write_text(json.dumps({**data, "played": {str(halo): 5.0}, "recent": [halo], "heard": [halo]}))
    other = Context.from_config(rctx.config, clock=rctx.clock)
    try:
        out = call_tool(other, "recommend_tracks", {"limit": 10})
        assert any("because you played Halo" in t.reason for t in out.tracks)
    finally:
        other.close()
    add_plays(rctx, [HALO], start=clock.now - timedelta(hours=5))  # new plays: rebuilt, not reused
    assert rec_ids(rctx, limit=10) != first


def test_forget_drops_profile_and_exposures(rctx: Context, clock) -> None:
    add_plays(rctx, [TEEN_SPIRIT], start=clock.now - timedelta(days=1))
    rec_ids(rctx, limit=5)
    taste = recommender(rctx).folder / "taste"
    assert rctx.store.ab.exposed_users("recommend-v1") and list(taste.glob("*.json"))
    assert "recommend.forget_recommendations" in forget(rctx, rctx.user)
    assert rctx.store.ab.exposed_users("recommend-v1") == []
    assert rctx.user not in rctx.lazy("recommend.profiles", dict)
    assert list(taste.glob("*.json")) == []
