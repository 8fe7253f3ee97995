"""The bundled catalog: the reproducible build (malformed rows reported, never dropped silently), first-run
loading, fuzzy search (typos, accents, case) with filters, get and stats."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from echotune.tools import catalog_build
from echotune.tools.catalog import bundled_manifest, ensure_bundled
from echotune.tools.context import Context
from echotune.tools.errors import InvalidInputError, NotFoundError
from echotune.tools.registry import call_tool

MUSICOSET = Path(__file__).resolve().parents[2] / "shared" / "data" / "musicoset"
needs_musicoset = pytest.mark.skipif(not MUSICOSET.is_dir(), reason=f"MusicOSet not found at {MUSICOSET}")


def _titles(ctx: Context, **args) -> list[tuple[str, str]]:
    return [(h.title, h.artists) for h in call_tool(ctx, "catalog_search", args).tracks]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hey jue", ("Hey Jude", "The Beatles")),
        ("HEY JUDE", ("Hey Jude", "The Beatles")),
        ("beyonce halo", ("Halo", "Beyoncé")),
        ("bohemian rapsody", ("Bohemian Rhapsody", "Queen")),
        ("smels like ten spirit", ("Smells Like Teen Spirit", "Nirvana")),
        ("dont stop me now", ("Don't Stop Me Now - Remastered", "Queen")),
        ("rihana umbrela", ("Umbrella", "JAY Z, Rihanna")),
    ],
)
def test_search_tolerates_typos_case_and_accents(ctx: Context, query: str, expected: tuple[str, str]) -> None:
    assert _titles(ctx, query=query, limit=3)[0] == expected


def test_artist_query_without_accent_finds_accented_artist(ctx: Context) -> None:
    hits = _titles(ctx, query="beyonce", limit=10)
    assert len(hits) == 10 and all("Beyoncé" in artists for _, artists in hits)


def test_filters_narrow_results(ctx: Context) -> None:
    hits = call_tool(ctx, "catalog_search", {"artist": "beyonce", "year_from": 2016, "year_to": 2016, "limit": 50})
    assert hits.tracks and all(h.year == 2016 and "Beyoncé" in h.artists for h in hits.tracks)
    soul = call_tool(ctx, "catalog_search", {"query": "love", "genre": "soul", "limit": 20}).tracks
    assert soul and all(any("soul" in g for g in ctx.store.catalog.get(h.id).genres) for h in soul)


def test_nonsense_finds_nothing(ctx: Context) -> None:
    assert _titles(ctx, query="zzzzqqqxxxjj") == []


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"query": "x", "limit": 0},
        {"query": "x", "limit": 51},
        {"query": "x", "year_from": 2010, "year_to": 2000},
        {"query": "x" * 201},
        {"query": "x", "bogus": 1},
    ],
)
def test_bad_search_arguments_are_clear_errors(ctx: Context, args: dict) -> None:
    with pytest.raises(InvalidInputError, match="catalog_search"):
        call_tool(ctx, "catalog_search", args)


def test_get_by_id_uri_and_link(ctx: Context) -> None:
    for ref in (
        "3e9HZxeyfWwjeyPAMmWSSQ",
        "spotify:track:3e9HZxeyfWwjeyPAMmWSSQ",
        "https://open.spotify.com/track/3e9HZxeyfWwjeyPAMmWSSQ?si=abc",
    ):
        track = call_tool(ctx, "catalog_get", {"track": ref}).track
        assert (track.title, track.year, track.features is not None) == ("thank u, next", 2019, True)


def test_get_unknown_and_malformed_ids(ctx: Context) -> None:
    with pytest.raises(NotFoundError, match="catalog search"):
        call_tool(ctx, "catalog_get", {"track": "0" * 22})
    with pytest.raises(InvalidInputError, match="not a Spotify track id"):
        call_tool(ctx, "catalog_get", {"track": "hey jude"})
    with pytest.raises(InvalidInputError, match="album, not a track"):
        call_tool(ctx, "catalog_get", {"track": "spotify:album:2fYhqwDWXjbpjaIJPEfKFw"})


def test_stats_describe_the_bundled_catalog(ctx: Context) -> None:
    stats = call_tool(ctx, "catalog_stats", {"top": 3})
    assert stats.tracks == 20405 == stats.by_source["bundled"] == stats.with_audio_features
    assert (stats.year_min, stats.year_max) == (1900, 2019)
    assert [g.genre for g in stats.top_genres] == ["album rock", "adult standards", "dance pop"]
    assert sum(stats.by_decade.values()) == stats.tracks


def test_first_run_loads_once(empty_ctx: Context) -> None:
    seen: list[tuple[int, int]] = []
    empty_ctx.progress = lambda task, done, total: seen.append((done, total))
    assert ensure_bundled(empty_ctx) == 20405
    assert seen[0] == (0, 20405) and seen[-1] == (20405, 20405)
    assert ensure_bundled(empty_ctx) == 0, "a second run loads nothing"
    assert empty_ctx.store.catalog.count() == 20405


def test_shipped_catalog_matches_its_manifest() -> None:
    import gzip
    import hashlib

    manifest = bundled_manifest()
    data = (catalog_build.DATA_DIR / catalog_build.CATALOG_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == manifest["sha256"]
    assert sum(1 for _ in gzip.decompress(data).splitlines()) == manifest["tracks"] == 20405
    assert len(data) < 15 * 1024 * 1024


@needs_musicoset
def test_build_is_reproducible(tmp_path: Path) -> None:
    tracks, report = catalog_build.build(MUSICOSET)
    manifest = catalog_build.write(tracks, report, tmp_path)
    assert manifest["sha256"] == bundled_manifest()["sha256"]
    assert report.rows_read[catalog_build.SONGS] == 20405 and manifest["malformed_count"] == 0
    assert len(report.warnings) == 3  # three songs credit artists missing from the artists table


@needs_musicoset
def test_malformed_source_rows_are_counted_and_reported(tmp_path: Path) -> None:
    src = tmp_path / "musicoset"
    src.mkdir()
    for name in (catalog_build.ARTISTS, catalog_build.TRACKS, catalog_build.FEATURES, catalog_build.SONGS):
        lines = (MUSICOSET / name).read_text(encoding="utf-8").splitlines()[:201]
        (src / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (src / catalog_build.SONGS).open("a", encoding="utf-8") as fh:
        fh.write("notanid\tBad Id\tx\t{'66CXWjxzNUsdJxJ2JdwvnR': 'Ariana Grande'}\t50\tFalse\tSolo\n")
        fh.write("0000000000000000000001\tBroken Artists\tx\t{not a dict\t50\tFalse\tSolo\n")
        fh.write("0000000000000000000002\tToo Few Columns\n")
        fh.write(
            "0000000000000000000003\tNo Features\tx\t{'66CXWjxzNUsdJxJ2JdwvnR': 'Ariana Grande'}\tN/A\tTrue\tSolo\n"
        )
    with (src / catalog_build.FEATURES).open("a", encoding="utf-8") as fh:
        fh.write("0000000000000000000004\t1\t1\t1\t4\tlots\t0.5\t0.5\t0\t0.1\t-5\t0.1\t0.5\t120\n")

    tracks, report = catalog_build.build(src)
    reasons = sorted((m["file"], m["reason"].split(" ")[0]) for m in report.malformed)
    assert len(report.malformed) == 5, report.malformed
    assert ("musicoset_metadata_songs.csv", "song_id") in reasons
    assert ("musicoset_metadata_songs.csv", "artists") in reasons
    assert ("musicoset_metadata_songs.csv", "expected") in reasons
    assert ("musicoset_metadata_songs.csv", "popularity") in reasons
    assert ("musicoset_songfeatures_acoustic_features.csv", "audio") in reasons
    assert all(m["line"] > 200 for m in report.malformed)
    kept = {t.id: t for t in tracks}
    assert len(tracks) == 201, "200 good rows plus the one kept without popularity"
    assert kept["0000000000000000000003"].popularity is None and kept["0000000000000000000003"].features is None
    manifest = catalog_build.write(tracks, report, tmp_path / "out")
    assert json.loads((tmp_path / "out" / catalog_build.MANIFEST_FILE).read_text())["malformed_count"] == 5
    assert manifest["rows_read"][catalog_build.SONGS] == 204


def test_build_cli_reports_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert catalog_build.main([str(tmp_path)]) == 3
    assert "lacks" in capsys.readouterr().err


@needs_musicoset
def test_build_cli_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "src"
    shutil.copytree(MUSICOSET, src)
    assert catalog_build.main([str(src), str(tmp_path / "out")]) == 0
    assert "wrote 20405 tracks; 0 malformed rows, 3 warnings" in capsys.readouterr().out
