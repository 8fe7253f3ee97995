"""The store contract: what every backend must do, run against SQLite and MongoDB with the same tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from echotune.tools.errors import ConflictError, NotFoundError
from echotune.tools.models import ArtistRef, AudioFeatures, Event, Feedback, Play, SettingsChange, Track

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def track(i: int, **kw) -> Track:
    return Track(id=f"{i:022d}", title=f"Song {i}", artists=[ArtistRef(id=None, name=f"Artist {i % 3}")], **kw)


def test_catalog_round_trip(store) -> None:
    features = AudioFeatures(acousticness=0.1, danceability=0.8, energy=0.7, instrumentalness=0.0, liveness=0.1,
                             speechiness=0.05, valence=0.9, loudness=-5.0, tempo=120.0, key=5, mode=1,
                             time_signature=4)  # fmt: skip
    full = track(1, uri="spotify:track:" + "1" * 22, year=1999, genres=["soul", "funk"], popularity=70,
                 explicit=True, duration_ms=200_000, features=features, album_id="a1")  # fmt: skip
    assert store.catalog.upsert([full, track(2, source="learnt")]) == 2
    assert store.catalog.count() == 2
    assert store.catalog.get(full.id) == full
    assert store.catalog.get("missing") is None
    assert set(store.catalog.get_many([full.id, "missing"])) == {full.id}
    assert [t.id for t in store.catalog.all()] == [track(1).id, track(2).id]
    store.catalog.upsert([track(1, year=2001)])
    assert store.catalog.get(full.id).year == 2001 and store.catalog.count() == 2


def test_catalog_match_keys(store) -> None:
    store.catalog.upsert([track(1), track(2)])
    assert store.catalog.by_match_keys(["song 2|artist 2", "nope|nope"]) == {"song 2|artist 2": track(2).id}


def _change(user: str, version: int, key: str, old, new) -> SettingsChange:
    return SettingsChange(user=user, version=version, at=T0 + timedelta(minutes=version), key=key, old=old, new=new)


def test_settings_compare_and_set(store) -> None:
    assert store.settings.get("u") is None
    first = store.settings.put(
        "u", {"market": "DE"}, expected_version=0, at=T0, changes=[_change("u", 1, "market", "US", "DE")]
    )
    assert first.version == 1
    with pytest.raises(ConflictError) as info:
        store.settings.put("u", {"market": "FR"}, expected_version=0, at=T0, changes=[])
    assert info.value.details["current"]["version"] == 1
    second = store.settings.put("u", {"market": "SE"}, expected_version=1, at=T0 + timedelta(minutes=2),
                                changes=[_change("u", 2, "market", "DE", "SE")])  # fmt: skip
    assert second.version == 2
    with pytest.raises(ConflictError):
        store.settings.put(
            "u", {"market": "NO"}, expected_version=1, at=T0, changes=[_change("u", 2, "market", "DE", "NO")]
        )
    got = store.settings.get("u")
    assert (got.version, got.doc, got.updated_at) == (2, {"market": "SE"}, T0 + timedelta(minutes=2))
    assert [(c.version, c.new) for c in store.settings.history("u")] == [(2, "SE"), (1, "DE")]
    assert store.settings.history("u", limit=1)[0].version == 2
    assert store.settings.get("other") is None and store.settings.history("other") == []


def test_settings_racing_writers_exactly_one_wins(store) -> None:
    store.settings.put("u", {"n": 0}, expected_version=0, at=T0, changes=[])
    barrier, outcomes = threading.Barrier(6), []

    def writer(i: int) -> None:
        barrier.wait()
        try:
            store.settings.put("u", {"n": i}, expected_version=1, at=T0, changes=[_change("u", 2, "n", 0, i)])
            outcomes.append(("won", i))
        except ConflictError:
            outcomes.append(("conflict", i))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [i for kind, i in outcomes if kind == "won"]
    assert len(outcomes) == 6 and len(winners) == 1
    assert store.settings.get("u").doc == {"n": winners[0]}
    assert [c.new for c in store.settings.history("u")] == [winners[0]], "losers log nothing"


def test_events(store) -> None:
    for i in range(3):
        store.events.record(Event(at=T0 + timedelta(seconds=i), user="u", kind="tool" if i < 2 else "llm",
                                  name=f"t{i}", duration_ms=float(i), tokens_in=i, data={"i": i}))  # fmt: skip
    assert [e.name for e in store.events.list()] == ["t2", "t1", "t0"]
    assert [e.name for e in store.events.list(kind="tool")] == ["t1", "t0"]
    assert [e.name for e in store.events.list(since=T0 + timedelta(seconds=1))] == ["t2", "t1"]
    assert store.events.list(limit=1)[0].data == {"i": 2}
    assert store.events.list()[0].at == T0 + timedelta(seconds=2)


def test_feedback(store) -> None:
    store.catalog.upsert([track(1)])
    store.feedback.add(Feedback(user="u", track_id=track(1).id, kind="like", at=T0))
    store.feedback.add(Feedback(user="u", track_id=track(1).id, kind="skip", at=T0 + timedelta(hours=1)))
    with pytest.raises(NotFoundError):
        store.feedback.add(Feedback(user="u", track_id="unknown", kind="like", at=T0))
    assert [f.kind for f in store.feedback.for_user("u")] == ["like", "skip"]
    assert [f.kind for f in store.feedback.for_user("u", since=T0 + timedelta(minutes=1))] == ["skip"]
    assert store.feedback.for_user("v") == []


def test_plays_idempotent_windows_and_delete(store) -> None:
    store.catalog.upsert([track(1)])
    plays = [
        Play(user="u", played_at=T0 + timedelta(minutes=i), ms_played=1000 * i, title=f"Song {i}", artist="A",
             track_id=track(1).id if i == 1 else None, track_uri=None if i else "spotify:track:" + "a" * 22,
             extra={"platform": "ios"} if i == 2 else {})
        for i in range(4)
    ]  # fmt: skip
    assert store.plays.add(plays) == (4, 0)
    assert store.plays.add([*plays[1:], plays[0].model_copy(update={"user": "v"})]) == (1, 3)
    assert store.plays.add([]) == (0, 0)
    assert (store.plays.count("u"), store.plays.count("v")) == (4, 1)
    listed = store.plays.list("u")
    assert [p.title for p in listed] == ["Song 3", "Song 2", "Song 1", "Song 0"]
    assert listed[1].extra == {"platform": "ios"} and listed[2].track_id == track(1).id
    assert listed[0].played_at == T0 + timedelta(minutes=3)
    window = store.plays.list("u", since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
    assert [p.title for p in window] == ["Song 2", "Song 1"]
    assert [p.title for p in store.plays.list("u", limit=1)] == ["Song 3"]
    assert store.plays.delete("u", before=T0 + timedelta(minutes=2)) == 2
    assert store.plays.count("u") == 2 and store.plays.delete("u") == 2 and store.plays.count("v") == 1


def test_meta(store) -> None:
    assert store.meta.get("k") is None
    store.meta.set("k", "1")
    store.meta.set("k", "2")
    assert store.meta.get("k") == "2"
