"""The local player's repositories (migration 0006 on SQLite, documents on MongoDB): the same contract on both."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from echotune.tools.errors import ConflictError
from echotune.tools.models import ArtistRef, LocalPlaylist, Track

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
IDS = [f"{i:022d}" for i in range(6)]


@pytest.fixture
def tracks(store) -> list[str]:
    store.catalog.upsert([Track(id=i, title=f"Song {i}", artists=[ArtistRef(name="A")]) for i in IDS])
    return IDS


def test_player_state_compare_and_set(store) -> None:
    assert store.player_state.get("u") is None
    assert store.player_state.put("u", {"status": "playing", "queue": ["a"]}, expected_version=0, at=T0) == 1
    with pytest.raises(ConflictError):
        store.player_state.put("u", {"status": "paused"}, expected_version=0, at=T0)
    assert store.player_state.put("u", {"status": "paused", "queue": []}, expected_version=1, at=T0) == 2
    with pytest.raises(ConflictError):
        store.player_state.put("u", {"status": "stopped"}, expected_version=1, at=T0)
    assert store.player_state.get("u") == (2, {"status": "paused", "queue": []})
    assert store.player_state.get("v") is None


def test_player_state_races_have_one_winner(store) -> None:
    store.player_state.put("u", {"n": 0}, expected_version=0, at=T0)
    results: list[str] = []

    def write(n: int) -> None:
        try:
            store.player_state.put("u", {"n": n}, expected_version=1, at=T0)
            results.append("won")
        except ConflictError:
            results.append("lost")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(1, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["lost"] * 4 + ["won"]
    assert store.player_state.get("u")[0] == 2


def _playlist(id_: str, user: str = "u", minutes: int = 0) -> LocalPlaylist:
    at = T0 + timedelta(minutes=minutes)
    return LocalPlaylist(id=id_, user=user, name=f"List {id_[-1]}", created_at=at, updated_at=at)


def test_local_playlists(store, tracks: list[str]) -> None:
    store.local_playlists.create(_playlist("p" * 21 + "1"))
    store.local_playlists.create(_playlist("p" * 21 + "2", minutes=1))
    store.local_playlists.create(_playlist("p" * 21 + "3", user="other"))
    pid = "p" * 21 + "1"
    assert store.local_playlists.get("other", pid) is None, "a playlist belongs to its user"

    assert store.local_playlists.add_items(pid, tracks[:3], position=None, at=T0) == 3
    store.local_playlists.add_items(pid, [tracks[4], tracks[4]], position=1, at=T0 + timedelta(hours=1))
    items, total = store.local_playlists.items(pid, limit=10)
    assert [e.track_id for e in items] == [tracks[0], tracks[4], tracks[4], tracks[1], tracks[2]] and total == 5
    assert [e.position for e in items] == [0, 1, 2, 3, 4]
    page, _ = store.local_playlists.items(pid, limit=2, offset=3)
    assert [(e.position, e.track_id) for e in page] == [(3, tracks[1]), (4, tracks[2])]

    assert store.local_playlists.remove_items(pid, [tracks[4], tracks[5]], at=T0 + timedelta(hours=2)) == 2
    got = store.local_playlists.get("u", pid)
    assert got.tracks == 3 and got.updated_at == T0 + timedelta(hours=2)

    mine, total = store.local_playlists.list("u", limit=10)
    assert [p.id for p in mine] == [pid, "p" * 21 + "2"] and total == 2 and mine[0].tracks == 3
    second, total = store.local_playlists.list("u", limit=1, offset=1)
    assert [p.id for p in second] == ["p" * 21 + "2"] and total == 2


def test_library(store, tracks: list[str]) -> None:
    assert store.library.save("u", tracks[:2], T0) == 2
    assert store.library.save("u", [tracks[1], tracks[2], tracks[2]], T0 + timedelta(minutes=1)) == 1
    saved, total = store.library.list("u", limit=10)
    assert [s.track_id for s in saved] == [tracks[2], tracks[1], tracks[0]], "newest first, then last saved first"
    assert total == 3 and saved[0].saved_at == T0 + timedelta(minutes=1)
    assert store.library.remove("u", [tracks[0], tracks[5]]) == 1
    assert store.library.list("u", limit=10)[1] == 2
    assert store.library.list("other", limit=10) == ([], 0)
