"""The export generator writes what Spotify ships: the exact field names of both layouts, files split the way
Spotify splits them, and a listener that looks real (long tail, rhythm, skips, podcasts, incognito, unicode)."""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from echotune.tools.spotify_export import (
    ACCOUNT_MUSIC_FIELDS,
    ACCOUNT_PODCAST_FIELDS,
    EXTENDED_FIELDS,
    ExportSpec,
    export_files,
    generate_export,
    generate_plays,
)
from tests.history.conftest import SPEC, Export


def test_extended_entries_have_exactly_spotifys_fields(generated: Export) -> None:
    for name in generated.names("Streaming_History_Audio"):
        for entry in orjson.loads(generated.files[name]):
            assert tuple(entry) == EXTENDED_FIELDS
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["ts"])


def test_account_entries_have_exactly_spotifys_fields(generated: Export) -> None:
    music = [e for n in generated.names("StreamingHistory_music") for e in orjson.loads(generated.files[n])]
    podcasts = orjson.loads(generated.files[generated.names("StreamingHistory_podcast")[0]])
    assert music and podcasts
    assert all(tuple(e) == ACCOUNT_MUSIC_FIELDS for e in music)
    assert all(tuple(e) == ACCOUNT_PODCAST_FIELDS for e in podcasts)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", e["endTime"]) for e in music), "rounded to the minute"


def test_files_are_split_and_named_like_spotifys(generated: Export) -> None:
    audio = sorted(generated.names("Streaming_History_Audio"), key=lambda n: int(n.rsplit("_", 1)[1][:-5]))
    sizes = [len(orjson.loads(generated.files[n])) for n in audio]
    assert sizes == [700, 700, 700, 300]
    assert [n.rsplit("/", 1)[-1] for n in audio] == [
        "Streaming_History_Audio_2023_0.json",
        "Streaming_History_Audio_2023_1.json",
        "Streaming_History_Audio_2023-2024_2.json",
        "Streaming_History_Audio_2024_3.json",
    ]
    assert generated.names("Streaming_History_Video") and generated.names("ReadMeFirst")
    assert all(len(orjson.loads(generated.files[n])) <= 400 for n in generated.names("StreamingHistory_music"))


def test_a_realistic_listener(generated: Export) -> None:
    plays = generated.plays
    music = [p for p in plays if p["master_metadata_track_name"]]
    per_track = Counter(p["spotify_track_uri"] or p["master_metadata_track_name"] for p in music)
    counts = sorted(per_track.values(), reverse=True)
    assert counts[0] > 5 * counts[len(counts) // 2], "a long tail: favourites far above the median track"
    assert sum(1 for c in counts if c == 1) > len(counts) / 5, "and many tracks heard once"
    berlin = ZoneInfo(SPEC.timezone)
    hours = Counter(datetime.fromisoformat(p["ts"]).astimezone(berlin).hour for p in plays)
    assert hours[20] > 4 * hours[4], "evenings, not the small hours"
    assert 0.1 < sum(p["skipped"] for p in music) / len(music) < 0.25
    assert all(p["ms_played"] < 30_000 for p in music if p["skipped"])
    assert sum(1 for p in plays if p["episode_name"]) > 50 and sum(1 for p in plays if p["audiobook_title"]) > 5
    assert 0 < sum(p["incognito_mode"] for p in plays) < len(plays) / 20
    assert any(not (p["master_metadata_track_name"] or "").isascii() for p in music)
    assert any(p["spotify_track_uri"] is None for p in music), "local files have no uri"
    ts = [p["ts"] for p in plays]
    assert ts == sorted(ts)


def test_incognito_plays_are_absent_from_account_data(generated: Export) -> None:
    incognito = {(p["ts"][:16].replace("T", " "), p["master_metadata_track_name"]) for p in generated.plays
                 if p["incognito_mode"] and p["master_metadata_track_name"]}  # fmt: skip
    music = [e for n in generated.names("StreamingHistory_music") for e in orjson.loads(generated.files[n])]
    assert incognito and not incognito & {(e["endTime"], e["trackName"]) for e in music}


def test_deterministic_for_a_seed_and_zipped_as_downloaded(tmp_path: Path) -> None:
    spec = ExportSpec(records=300, seed=3, artists=50)
    assert generate_plays(spec) == generate_plays(spec)
    made = generate_export(tmp_path, spec, as_zip=True)
    assert made.root.name == "my_spotify_data.zip" and made.extended_records == 300
    with zipfile.ZipFile(made.root) as zf:
        assert set(zf.namelist()) == set(export_files(spec, generate_plays(spec)))
