"""The store contract: what every backend must do, run against SQLite and MongoDB with the same tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from echotune.tools.errors import ConflictError, NotFoundError
from echotune.tools.models import ArtistRef, AudioFeatures, CatalogEntry, Event, Feedback, Play, SettingsChange, Track

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def track(i: int, **kw) -> Track:
    return Track(id=f"{i:022d}", title=f"Song {i}", artists=[ArtistRef(id=None, name=f"Artist {i % 3}")], **kw)


def test_catalog_round_trip(store) -> None:
    features = AudioFeatures(
        acousticness=0.1,
        danceability=0.8,
        energy=0.7,
        instrumentalness=0.0,
        liveness=0.1,
        speechiness=0.05,
        valence=0.9,
        loudness=-5.0,
        tempo=120.0,
        key=5,
        mode=1,
        time_signature=4,
    )
    full = track(
        1,
        uri="spotify:track:" + "1" * 22,
        year=1999,
        genres=["soul", "funk"],
        popularity=70,
        explicit=True,
        duration_ms=200_000,
        features=features,
        album_id="a1",
    )
    assert store.catalog.upsert([full, track(2, source="learnt")]) == 2
    assert store.catalog.count() == 2
    assert store.catalog.get(full.id) == full
    assert store.catalog.get("missing") is None
    assert set(store.catalog.get_many([full.id, "missing"])) == {full.id}
    assert [t.id for t in store.catalog.all()] == [track(1).id, track(2).id]
    assert list(store.catalog.entries()) == [CatalogEntry.of(t) for t in store.catalog.all()]
    assert [(e.has_features, e.genres, e.artist_names) for e in store.catalog.entries()] == [
        (True, ("soul", "funk"), ("Artist 1",)),
        (False, (), ("Artist 2",)),
    ]
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
    second = store.settings.put(
        "u",
        {"market": "SE"},
        expected_version=1,
        at=T0 + timedelta(minutes=2),
        changes=[_change("u", 2, "market", "DE", "SE")],
    )
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
        store.events.record(
            Event(
                at=T0 + timedelta(seconds=i),
                user="u",
                kind="tool" if i < 2 else "llm",
                name=f"t{i}",
                duration_ms=float(i),
                tokens_in=i,
                data={"i": i},
            )
        )
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
        Play(
            user="u",
            played_at=T0 + timedelta(minutes=i),
            ms_played=1000 * i,
            title=f"Song {i}",
            artist="A",
            track_id=track(1).id if i == 1 else None,
            track_uri=None if i else "spotify:track:" + "a" * 22,
            extra={"platform": "ios"} if i == 2 else {},
        )
        for i in range(4)
    ]
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


def _row(user: str, minute: int, title: str, *, seq: int = 0, uri: str | None = None, exact: bool = True, **kw):
    from echotune.tools.models import PlayRow
    from echotune.tools.text import match_key

    at = round((T0 + timedelta(minutes=minute)).timestamp() * 1000)
    values = {
        "ms_played": 60_000,
        "track_id": None,
        "album": None,
        "kind": "music",
        "skipped": False,
        "source": "import",
        "extra": {},
    } | kw
    return PlayRow(
        user,
        at,
        seq,
        values["ms_played"],
        values["track_id"],
        uri,
        title,
        "Artist",
        values["album"],
        values["kind"],
        values["skipped"],
        values["source"],
        exact,
        values["extra"],
        uri or match_key(title, "Artist"),
        match_key(title, "Artist"),
    )


def test_plays_bulk_rows_with_tracks_replacements_and_import_records(store) -> None:
    from echotune.tools.models import ImportedFile

    learnt = track(7, source="learnt")
    seen: list[int] = []
    rows = [_row("u", i, f"Song {i % 3}", track_id=learnt.id if i == 0 else None) for i in range(7)]
    imported = ImportedFile("digest-1", "Streaming_History_Audio_2024.json", 7, T0)
    assert store.plays.revision("u") == 0
    assert store.plays.add_rows(rows, tracks=[learnt], remember=("u", imported), progress=seen.append) == 7
    assert store.catalog.get(learnt.id) == learnt and seen[-1] == 7
    assert store.plays.revision("u") == 1
    assert store.plays.imported_files("u", ["digest-1", "other"]) == {"digest-1": imported}
    assert store.plays.imported_files("v", ["digest-1"]) == {}
    assert store.plays.add_rows(rows) == 0 and store.plays.count("u") == 7, "identical rows are skipped"

    # a minute-precise play later replaced by its exact twin
    rough = _row("u", 100, "Song 9", exact=False)
    assert store.plays.add_rows([rough]) == 1
    exact = _row("u", 100, "Song 9", uri="spotify:track:" + "9" * 22)
    assert store.plays.add_rows([exact], replace=[("u", rough.played_at, 0, rough.track_key)]) == 1
    assert store.plays.count("u") == 8
    ids = store.plays.identities("u", T0 + timedelta(minutes=99), T0 + timedelta(minutes=101))
    assert [(i.track_key, i.exact) for i in ids] == [(exact.track_key, True)]
    assert store.plays.revision("u") >= 3


def test_plays_columnar_batch_same_as_rows(store) -> None:
    """add_batch (what the importer writes) stores what add_rows would, skips stored identities, replaces."""
    from echotune.tools.models import BatchItem, ImportedFile, PlayBatch
    from echotune.tools.text import match_key

    learnt = track(8, source="learnt")
    uri = f"spotify:track:{learnt.id}"
    items = [
        BatchItem(uri, "music", uri, "Known", "Artist", "LP", match_key("Known", "Artist"), learnt.id),
        BatchItem(match_key("Other", "Artist"), "podcast", None, "Other", "Artist", None, match_key("Other", "Artist")),
    ]
    extras = [{"platform": "android", "shuffle": True}, {}]
    plays = [
        (int(T0.timestamp() * 1000) + i * 60_000, i % 2, 0, 1000 * i, i == 3, True, i % 2 if i else -1)
        for i in range(5)
    ]
    rough = _row("u", 100, "Other", exact=False, kind="podcast")  # replaced by its exact twin below
    store.plays.add_rows([rough])
    seen: list[int] = []
    done = ImportedFile("digest-b", "f.json", 5, T0)
    batch = PlayBatch("u", "import", items, extras, plays + plays[:2])  # the same play twice is stored once
    replace = [("u", rough.played_at, 0, rough.track_key)]
    assert (
        store.plays.add_batch(batch, tracks=[learnt], remember=("u", done), replace=replace, progress=seen.append) == 5
    )
    assert store.catalog.get(learnt.id) == learnt and seen[-1] == 7
    assert store.plays.count("u") == 5 and store.plays.imported_files("u", ["digest-b"]) == {"digest-b": done}
    got = sorted(store.plays.list("u"), key=lambda p: p.played_at)
    assert [(p.track_id, p.kind, p.title, p.album, p.ms_played, p.skipped, p.extra) for p in got] == [
        (learnt.id, "music", "Known", "LP", 0, False, {}),
        (None, "podcast", "Other", None, 1000, False, {}),
        (learnt.id, "music", "Known", "LP", 2000, False, {"platform": "android", "shuffle": True}),
        (None, "podcast", "Other", None, 3000, True, {}),
        (learnt.id, "music", "Known", "LP", 4000, False, {"platform": "android", "shuffle": True}),
    ]
    before = store.plays.revision("u")
    assert store.plays.add_batch(PlayBatch("u", "import", items, extras, plays)) == 0
    assert store.plays.revision("u") > before


def test_plays_items_and_columns_agree(store) -> None:
    rows = [
        _row("u", 5, "B"),
        _row("u", 1, "A"),
        _row("u", 3, "B", skipped=True),
        _row("u", 3, "B", seq=1),
        _row("w", 2, "C"),
    ]
    store.plays.add_rows(rows)
    items = store.plays.items("u")
    cols = store.plays.columns("u")
    assert sorted(i.title for i in items) == ["A", "B"] and cols.items == items
    assert cols.played_at == sorted(cols.played_at) and len(cols) == 4
    assert [items[i].title for i in cols.item] == ["A", "B", "B", "B"]
    assert cols.skipped.count(True) == 1 and cols.ms_played == [60_000] * 4
    assert store.plays.users() == ["u", "w"]
    assert len(store.plays.columns("nobody")) == 0


def test_plays_delete_forgets_import_records_and_bumps_revision(store) -> None:
    from echotune.tools.models import ImportedFile

    store.plays.add_rows([_row("u", i, "X") for i in range(3)], remember=("u", ImportedFile("d", "f", 3, T0)))
    before = store.plays.revision("u")
    assert store.plays.delete("u", before=T0 + timedelta(minutes=1)) == 1
    assert store.plays.revision("u") > before and store.plays.imported_files("u", ["d"]) == {}
    assert store.plays.delete("u") == 2 and store.plays.count("u") == 0 and store.plays.users() == []


def test_catalog_existing(store) -> None:
    store.catalog.upsert([track(1), track(2)])
    assert store.catalog.existing([track(1).id, "nope", track(2).id, track(1).id]) == {track(1).id, track(2).id}


def test_events_in_batches(store) -> None:
    store.events.record_many(
        [Event(at=T0 + timedelta(seconds=i), user="u", kind="tool", name=f"b{i}") for i in range(3)]
    )
    store.events.record_many([])
    assert [e.name for e in store.events.list(kind="tool")] == ["b2", "b1", "b0"]


def test_tokens_are_found_by_hash_listed_and_revoked(store) -> None:
    from echotune.tools.models import ApiToken

    def token(id_: str, user: str, minute: int) -> ApiToken:
        return ApiToken(
            id=id_, user=user, scope="read", label="cli", rate_per_min=60, created_at=T0 + timedelta(minutes=minute)
        )

    store.tokens.add(token("t1", "alice", 1), "hash-1")
    store.tokens.add(token("t2", "bob", 2), "hash-2")
    assert store.tokens.by_hash("hash-1") == token("t1", "alice", 1)
    assert store.tokens.by_hash("nope") is None
    assert [t.id for t in store.tokens.list()] == ["t1", "t2"]
    assert [t.id for t in store.tokens.list(user="bob")] == ["t2"]
    store.tokens.touch("t1", T0 + timedelta(hours=1))
    assert store.tokens.by_hash("hash-1").last_used_at == T0 + timedelta(hours=1)
    assert store.tokens.revoke("t1", T0 + timedelta(hours=2)) is True
    assert store.tokens.revoke("t1", T0 + timedelta(hours=3)) is False, "already revoked"
    assert store.tokens.revoke("missing", T0) is False
    assert [t.id for t in store.tokens.list()] == ["t2"]
    revoked = store.tokens.list(include_revoked=True)[0]
    assert revoked.revoked and revoked.revoked_at == T0 + timedelta(hours=2)


def test_audit_log(store) -> None:
    from echotune.tools.models import AuditEntry

    for i, user in enumerate(["alice", "bob", "alice"]):
        store.audit.record(
            AuditEntry(
                at=T0 + timedelta(minutes=i),
                user=user,
                face="mcp",
                tool="player_play",
                effect="act",
                token_id="t1",
                scope="control",
                arguments={"i": i},
            )
        )
    assert [a.arguments["i"] for a in store.audit.list()] == [2, 1, 0]
    assert [a.arguments["i"] for a in store.audit.list(user="alice")] == [2, 0]
    assert [a.arguments["i"] for a in store.audit.list(since=T0 + timedelta(minutes=1), limit=1)] == [2]


def test_two_writers_loading_the_same_tracks_at_once(store) -> None:
    """Two servers warming up load the bundled catalog at the same time: both succeed, nothing is doubled."""
    tracks = [track(i) for i in range(300)]
    barrier, failures = threading.Barrier(2), []

    def load() -> None:
        barrier.wait()
        try:
            store.catalog.upsert(tracks)
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == [] and store.catalog.count() == 300


def test_ab_exposures_outcomes_counts_and_forgetting(store) -> None:
    from echotune.tools.recommender.records import Exposure

    def shown(user: str, variant: str, request: str, tracks: list[str], minute: int) -> list[Exposure]:
        return [
            Exposure(
                user=user,
                experiment="exp",
                variant=variant,
                request_id=request,
                track_id=t,
                position=i,
                at=T0 + timedelta(minutes=minute),
            )
            for i, t in enumerate(tracks)
        ]

    store.ab.expose(shown("ann", "hybrid", "r1", ["t1", "t2"], 0))
    store.ab.expose(shown("ann", "hybrid", "r2", ["t1"], 5))
    store.ab.expose(shown("bob", "content", "r3", ["t1", "t3"], 1))
    store.ab.expose([])
    latest = store.ab.latest_exposure("ann", "t1", since=T0)
    assert latest is not None and latest.request_id == "r2" and isinstance(latest.id, int)
    assert store.ab.latest_exposure("ann", "t1", since=T0 + timedelta(minutes=6)) is None
    assert store.ab.record_outcome(latest.id, "liked", T0 + timedelta(minutes=7)) is True
    assert store.ab.record_outcome(latest.id, "liked", T0 + timedelta(minutes=8)) is False, "recorded once"
    bob = store.ab.latest_exposure("bob", "t3", since=T0)
    assert store.ab.record_outcome(bob.id, "skipped", T0 + timedelta(minutes=2)) is True
    assert store.ab.exposed_users("exp") == [("ann", T0), ("bob", T0 + timedelta(minutes=1))]
    counts = {c.variant: c for c in store.ab.counts("exp")}
    assert (counts["hybrid"].users, counts["hybrid"].lists, counts["hybrid"].exposures) == (1, 2, 3)
    assert counts["hybrid"].outcomes["liked"] == 1 and counts["content"].outcomes["skipped"] == 1
    assert store.ab.counts("other") == []
    assert store.ab.delete_user("ann") == 3
    assert {c.variant for c in store.ab.counts("exp")} == {"content"} and store.ab.latest_exposure(
        "ann", "t1", since=T0
    ) is None


def test_ab_listeners_are_users_with_plays(store) -> None:
    store.plays.add_rows([_row("zed", 1, "A"), _row("amy", 2, "B")])
    assert store.ab.listeners() == ["amy", "zed"]


def test_feedback_with_an_event_id_is_stored_once(store) -> None:
    store.catalog.upsert([track(1)])
    event = Feedback(user="u", track_id=track(1).id, kind="like", at=T0, event_id="evt-1")
    assert store.feedback.add(event) is True
    assert store.feedback.add(event) is False, "the same event again is a no-op"
    assert store.feedback.add(event.model_copy(update={"event_id": None})) is True
    assert store.feedback.add(event.model_copy(update={"event_id": None})) is True, "plain feedback always adds"
    got = store.feedback.for_user("u")
    assert [f.event_id for f in got] == ["evt-1", None, None]
