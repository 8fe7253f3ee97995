"""Importing Spotify downloads: both layouts, zip / folder / files, idempotence, overlapping layouts, every
malformed case, counts that add up, one transaction per file (killed, interrupted, disk full), privacy."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import orjson
import pytest

from echotune.tools.context import Context
from echotune.tools.errors import NotConfiguredError, NotFoundError, UpstreamError
from echotune.tools.history_import import ImportReport
from echotune.tools.registry import call_tool
from echotune.tools.spotify_export import ExportSpec, export_files, generate_plays
from tests.history.conftest import Export, write


def run_import(ctx: Context, *paths: Path | str) -> ImportReport:
    report = call_tool(ctx, "history_import", {"paths": [str(p) for p in paths]})
    assert isinstance(report, ImportReport)
    assert report.imported + report.duplicates + report.invalid == report.read, "counts must add up"
    for f in report.files:
        assert f.imported + f.duplicates + f.invalid == f.read, f
    return report


def by_name(report: ImportReport, fragment: str) -> list:
    return [f for f in report.files if fragment in f.file]


def is_music(p: dict) -> bool:
    return bool(p["master_metadata_track_name"])


def test_folder_round_trip_links_plays_and_learns_unknown_tracks(ctx: Context, export: Export) -> None:
    report = run_import(ctx, export.root)
    n = len(export.plays)
    account = sum(f.read for f in report.files if f.layout in ("account-music", "account-podcast"))
    podcasts = export.files[export.names("StreamingHistory_podcast")[0]]
    assert account == export.account_music() + len(orjson.loads(podcasts))
    assert report.imported == n and report.invalid == 0
    assert report.duplicates == account > 0, "the Account data repeats extended plays: counted once"
    assert ctx.store.plays.count("default") == n == report.stored_total
    assert report.videos_skipped == 5
    assert report.skips == sum(1 for p in export.plays if is_music(p) and (p["ms_played"] < 30_000 or p["skipped"]))
    statuses = {f.file.rsplit("/", 1)[-1]: f.status for f in report.files}
    assert statuses["ReadMeFirst_ExtendedStreamingHistory.pdf"] == "not-json"
    assert statuses["Userdata.json"] == statuses["Playlist1.json"] == "not-history"
    assert statuses["Streaming_History_Video_2023-2024.json"] == "skipped-video"

    stored = ctx.store.plays.list("default")
    assert len(stored) == n and all(p.track_id for p in stored if p.kind == "music")
    catalog_uri = next(p for p in stored if p.kind == "music" and p.track_uri and ctx.store.catalog.get(p.track_id))
    assert catalog_uri.track_id == catalog_uri.track_uri.rsplit(":", 1)[-1]
    learnt = [t for t in ctx.store.catalog.all() if t.source == "learnt"]
    assert learnt and report.learnt_tracks == len(learnt)
    assert any(t.id.startswith("local:") for t in learnt), "a local file (no uri) becomes a local: track"
    assert any(not t.title.isascii() for t in learnt), "unicode names survive"
    unicode_track = next(t for t in learnt if not t.title.isascii())
    hits = call_tool(ctx, "catalog_search", {"query": unicode_track.title, "limit": 50}).tracks
    assert unicode_track.id in [h.id for h in hits], "the search index sees learnt tracks at once"
    podcast = next(p for p in stored if p.kind == "podcast")
    assert podcast.track_id is None and podcast.track_uri.startswith("spotify:episode:")
    assert {p.kind for p in stored} == {"music", "podcast", "audiobook"}
    incognito = [p for p in stored if p.extra.get("incognito_mode")]
    assert len(incognito) == sum(p["incognito_mode"] for p in export.plays)
    assert "ip_addr" not in json.dumps([p.extra for p in stored]), "IP addresses are never stored"


def test_zip_as_downloaded_equals_the_folder(ctx: Context, export: Export, tmp_path: Path) -> None:
    archive = tmp_path / "my_spotify_data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in export.files.items():
            zf.writestr(name, data)
    report = run_import(ctx, archive)
    assert report.imported == len(export.plays) and report.invalid == 0
    assert all(f.file.startswith("my_spotify_data.zip/") for f in report.files)


def test_single_files_and_sniffing_renamed_files(ctx: Context, export: Export, tmp_path: Path) -> None:
    first = export.names("Streaming_History_Audio")[0]
    renamed = tmp_path / "my history.json"  # a name that says nothing: the content tells the layout
    shutil.copy(export.path(first), renamed)
    report = run_import(ctx, renamed)
    assert report.files[0].layout == "extended" and report.imported == 700


def test_importing_twice_adds_nothing(ctx: Context, export: Export) -> None:
    first = run_import(ctx, export.root)
    again = run_import(ctx, export.root)
    assert again.imported == 0 and again.duplicates == again.read == first.read and again.invalid == 0
    assert ctx.store.plays.count("default") == len(export.plays)
    assert all("already imported" in f.note for f in again.files if f.status == "imported")


def test_the_same_plays_in_a_differently_written_file_are_duplicates(ctx: Context, export: Export) -> None:
    """The shortcut for identical files aside, every play is recognised by user, time and track."""
    run_import(ctx, export.extended_dir)
    name = export.names("Streaming_History_Audio")[1]
    records = orjson.loads(export.files[name])
    records.reverse()
    export.path(name).write_bytes(orjson.dumps(records))  # same plays, other bytes
    again = run_import(ctx, export.path(name))
    assert again.imported == 0 and again.duplicates == len(records)
    assert ctx.store.plays.count("default") == len(export.plays)


def test_account_data_then_extended_upgrades_instead_of_doubling(ctx: Context, export: Export) -> None:
    account = run_import(ctx, export.account_dir)
    minute_plays = account.imported
    assert minute_plays == account.read > 0 and all(not p.exact for p in ctx.store.plays.list("default"))
    extended = run_import(ctx, export.extended_dir)
    assert extended.merged == minute_plays, "each minute-precise play is replaced by its exact copy"
    assert extended.imported == len(export.plays) - minute_plays
    assert ctx.store.plays.count("default") == len(export.plays)
    assert all(p.exact for p in ctx.store.plays.list("default"))
    again = run_import(ctx, export.account_dir)
    assert again.imported == 0 and again.duplicates == again.read


def test_extended_then_account_data_counts_nothing_twice(ctx: Context, export: Export) -> None:
    run_import(ctx, export.extended_dir)
    account = run_import(ctx, export.account_dir)
    assert account.imported == 0 and account.duplicates == account.read > 0
    assert ctx.store.plays.count("default") == len(export.plays)


def test_overlapping_account_exports_and_rounded_minutes(ctx: Context, export: Export, tmp_path: Path) -> None:
    """Two Account-data downloads covering overlapping months, one of them rounding instead of truncating."""
    from datetime import datetime, timedelta

    music = [r for n in export.names("StreamingHistory_music") for r in orjson.loads(export.files[n])]
    older, newer = music[: len(music) * 2 // 3], music[len(music) // 3 :]

    def rounded(r: dict) -> dict:
        at = datetime.strptime(r["endTime"], "%Y-%m-%d %H:%M")
        exact = next(p for p in export.plays if p["ts"].startswith(at.strftime("%Y-%m-%dT%H:%M")))
        ts = datetime.fromisoformat(exact["ts"])
        return {**r, "endTime": (ts + timedelta(seconds=30)).strftime("%Y-%m-%d %H:%M")}

    write(tmp_path / "a", {"StreamingHistory_music_0.json": orjson.dumps(older)})
    write(tmp_path / "b", {"StreamingHistory_music_0.json": orjson.dumps(newer)})
    first, second = run_import(ctx, tmp_path / "a"), run_import(ctx, tmp_path / "b")
    overlap = len(older) + len(newer) - len(music)
    assert first.imported == len(older) and second.duplicates == overlap
    assert ctx.store.plays.count("default") == len(music)
    write(tmp_path / "c", {"StreamingHistory_music_0.json": orjson.dumps([rounded(r) for r in music[:50]])})
    ext = run_import(ctx, export.extended_dir)
    assert ext.merged == len(music)
    rounded_import = run_import(ctx, tmp_path / "c")
    assert rounded_import.imported == 0, "a minute rounded up still matches the exact play"


def test_two_plays_of_one_track_in_one_minute_are_both_kept(ctx: Context, tmp_path: Path) -> None:
    entries = [
        {"endTime": "2024-03-01 10:15", "artistName": "Queen", "trackName": "Bohemian Rhapsody", "msPlayed": 4000},
        {"endTime": "2024-03-01 10:15", "artistName": "Queen", "trackName": "Bohemian Rhapsody", "msPlayed": 9000},
    ]
    write(tmp_path, {"StreamingHistory_music_0.json": orjson.dumps(entries)})
    assert run_import(ctx, tmp_path).imported == 2
    assert run_import(ctx, tmp_path / "StreamingHistory_music_0.json").imported == 0
    plays = ctx.store.plays.list("default")
    assert sorted(p.ms_played for p in plays) == [4000, 9000] and all(p.skipped for p in plays)
    assert plays[0].track_id and ctx.store.catalog.get(plays[0].track_id).source == "bundled", "linked by name"


def test_the_older_extended_layout(ctx: Context, tmp_path: Path) -> None:
    spec = ExportSpec(records=600, seed=5, old_layout=True, account_data=False, per_file=250, artists=100)
    files = export_files(spec, generate_plays(spec))
    assert any(n.startswith("MyData/endsong_") for n in files)
    record = orjson.loads(files["MyData/endsong_0.json"])[0]
    assert {"username", "ip_addr_decrypted", "user_agent_decrypted"} <= set(record) and "ip_addr" not in record
    write(tmp_path, files)
    report = run_import(ctx, tmp_path)
    assert report.imported == 600 and report.invalid == 0


def test_every_malformed_case_gets_a_line_and_loses_nothing_valid(ctx: Context, export: Export) -> None:
    d = export.extended_dir
    names = export.names("Streaming_History_Audio")
    # 1. truncated in the middle of a record
    cut = export.files[names[0]]
    (d / names[0].rsplit("/", 1)[-1]).write_bytes(cut[: len(cut) * 2 // 3])
    complete_before_cut = len(orjson.loads(cut[: cut.rfind(b"},", 0, len(cut) * 2 // 3) + 1] + b"]"))
    # 2. a record without ts, one with negative ms_played, one that names nothing, one that is not an object
    records = orjson.loads(export.files[names[1]])
    del records[3]["ts"]
    records[5]["ms_played"] = -40
    for key in ("master_metadata_track_name", "spotify_track_uri", "episode_name", "spotify_episode_uri",
                "audiobook_title", "audiobook_uri", "audiobook_chapter_uri", "audiobook_chapter_title"):  # fmt: skip
        records[7][key] = None
    records[9] = "not a play"
    (d / names[1].rsplit("/", 1)[-1]).write_bytes(orjson.dumps(records))
    # 3. a UTF-8 byte order mark
    (d / names[2].rsplit("/", 1)[-1]).write_bytes(b"\xef\xbb\xbf" + export.files[names[2]])
    # 4. an empty array, a non-JSON file, the same file twice under two names
    (d / "Streaming_History_Audio_2025_9.json").write_bytes(b"[]")
    (d / "notes.txt").write_text("my notes", encoding="utf-8")
    shutil.copy(d / names[3].rsplit("/", 1)[-1], d / "Streaming_History_Audio_2024_3 (1).json")

    report = run_import(ctx, d)
    truncated = by_name(report, names[0].rsplit("/", 1)[-1])[0]
    assert truncated.status == "salvaged" and truncated.read == truncated.imported == complete_before_cut
    assert "download the file again" in truncated.note
    damaged = by_name(report, names[1].rsplit("/", 1)[-1])[0]
    assert (damaged.read, damaged.invalid, damaged.imported) == (700, 4, 696)
    reasons = {p.index: p.reason for p in report.problems if p.file.endswith(names[1].rsplit("/", 1)[-1])}
    assert reasons == {
        3: "no ts (when the play ended)",
        5: "negative ms_played (-40)",
        7: "names no track, episode or audiobook",
        9: "not an object (str)",
    }
    bom = by_name(report, names[2].rsplit("/", 1)[-1])[0]
    assert bom.status == "imported" and bom.imported == 700
    assert by_name(report, "2025_9")[0].status == "empty"
    assert by_name(report, "notes.txt")[0].status == "not-json"
    twins = sorted(by_name(report, "Audio_2024_3"), key=lambda f: f.imported)
    assert [(f.imported, f.duplicates) for f in twins] == [(0, 300), (300, 0)]
    assert twins[0].note == f"same content as {twins[1].file}"
    valid = len(export.plays) - (len(export.plays[:700]) - complete_before_cut) - 4
    assert ctx.store.plays.count("default") == valid == report.imported


def test_a_json_file_that_is_no_list_and_a_broken_history_file(ctx: Context, tmp_path: Path) -> None:
    write(tmp_path, {"StreamingHistory_music_0.json": b'{"not": "a list"}', "endsong_0.json": b"\x00\x01garbage"})
    report = run_import(ctx, tmp_path)
    assert {f.status for f in report.files} == {"not-json"} and report.read == 0
    assert len(report.problems) == 2 and all("could not read the file" in p.reason for p in report.problems)


def test_missing_paths_are_refused_before_anything_is_read(ctx: Context, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="No such file or folder"):
        run_import(ctx, tmp_path / "nope.zip")


def test_privacy_setting_refuses_the_import_and_says_how_to_change_it(ctx: Context, export: Export) -> None:
    call_tool(ctx, "settings_update", {"key": "privacy.store_history", "value": False})
    with pytest.raises(NotConfiguredError) as err:
        run_import(ctx, export.root)
    assert "privacy.store_history" in err.value.message
    assert err.value.hint == "to allow it, run `echotune settings set privacy.store_history true`, then import again"
    assert ctx.store.plays.count("default") == 0


def test_ctrl_c_in_the_middle_of_a_file_leaves_nothing_of_it(ctx: Context, export: Export) -> None:
    seen: list[str] = []

    def progress(task: str, done: int, total: int) -> None:
        if task not in seen:
            seen.append(task)
        if len(seen) == 2 and done > 0:
            raise KeyboardInterrupt

    ctx.progress = progress
    with pytest.raises(KeyboardInterrupt):
        run_import(ctx, export.extended_dir)
    assert ctx.store.plays.count("default") == 700, "the first file is stored, nothing of the second"
    ctx.progress = None
    report = run_import(ctx, export.extended_dir)
    assert report.imported == len(export.plays) - 700 and report.duplicates == 700


def test_a_full_disk_stops_the_import_without_half_a_file(ctx: Context, export: Export) -> None:
    conn = ctx.store.conn()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 3}")  # SQLite's own "database or disk is full"
    with pytest.raises(UpstreamError, match="Nothing of this file was stored") as err:
        run_import(ctx, export.extended_dir)
    assert "free some disk space" in err.value.hint
    assert ctx.store.plays.count("default") == 0
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert run_import(ctx, export.extended_dir).imported == len(export.plays)


KILLER = """
import os, signal, sys
from echotune.tools.context import Context
from echotune.tools.registry import call_tool
seen = []
def progress(task, done, total):
    if task not in seen:
        seen.append(task)
    if len(seen) == 2 and done > 0:  # inside the second file's transaction
        os.kill(os.getpid(), signal.SIGKILL)
ctx = Context.from_config(progress=progress)
call_tool(ctx, "history_import", {"paths": [sys.argv[1]]})
"""


def test_an_import_killed_midway_keeps_whole_files_only(ctx: Context, export: Export) -> None:
    done = subprocess.run([sys.executable, "-c", KILLER, str(export.extended_dir)], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert ctx.store.plays.count("default") == 700
    report = run_import(ctx, export.extended_dir)
    assert report.imported == len(export.plays) - 700 and report.duplicates == 700
    assert ctx.store.plays.count("default") == len(export.plays)


def test_progress_is_reported_per_file(ctx: Context, export: Export) -> None:
    events: list[tuple[str, int, int]] = []
    ctx.progress = lambda task, done, total: events.append((task, done, total))
    run_import(ctx, export.extended_dir)
    tasks = {t for t, _, _ in events}
    assert len(tasks) == 4 and all(t.startswith("Importing Streaming_History_Audio_") for t in tasks)
    for task in tasks:
        mine = [(d, t) for name, d, t in events if name == task]
        assert mine[0][0] == 0 and mine[-1][0] == mine[-1][1] > 0


def test_cli_json_summary_and_progress_on_stderr(
    capsys: pytest.CaptureFixture[str], ctx: Context, export: Export
) -> None:
    from echotune.cli import main

    code = main(["history", "import", str(export.root), "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    assert {"read", "imported", "duplicates", "invalid"} <= set(data)
    assert data["imported"] + data["duplicates"] + data["invalid"] == data["read"]
    assert data["imported"] == len(export.plays)
    per_file = [f for f in data["files"] if f["layout"] == "extended"]
    assert len(per_file) == 4 and all({"read", "imported", "duplicates", "invalid"} <= set(f) for f in per_file)
    assert "Importing Streaming_History_Audio_" in err


def test_cli_import_in_a_terminal_draws_progress_bars(ctx: Context, export: Export, tmp_path: Path) -> None:
    """A real pseudo-terminal: the bar is drawn on stderr while the table of results goes to stdout."""
    import pexpect

    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    exe = str(Path(sys.executable).parent / "echotune")
    child = pexpect.spawn(exe, ["history", "import", str(export.extended_dir)], env=env, encoding="utf-8", timeout=120)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "Importing Streaming_History_Audio_" in child.before and "━" in child.before
    assert "imported" in child.before and str(len(export.plays)) in child.before.replace(",", "")


def test_a_worker_process_prepares_files_with_the_same_outcome(ctx: Context, export: Export) -> None:
    """Big downloads are parsed in a forked worker while this process writes: the result must not differ."""
    from echotune.tools.history_import import import_history

    report = import_history(ctx, [export.root], worker=True)
    assert (report.read, report.imported, report.invalid) == (
        len(export.plays) + sum(f.read for f in report.files if f.layout and f.layout.startswith("account")),
        len(export.plays),
        0,
    )
    stored = ctx.store.plays.list("default")
    assert len(stored) == len(export.plays) and all(p.track_id for p in stored if p.kind == "music")
    assert {p.extra.get("platform") for p in stored} >= {"windows"}, "contexts survive the trip"


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"ts": 1700000000, "ms_played": 1000, "master_metadata_track_name": "A"}, "ts is not a time (1700000000)"),
        ({"ts": "yesterday", "ms_played": 1000, "master_metadata_track_name": "A"}, "ts is not a time ('yesterday')"),
        ({"ts": "2024-01-01T10:00:00Z", "master_metadata_track_name": "A"}, "no ms_played"),
        ({"ts": "2024-01-01T10:00:00Z", "ms_played": "12", "master_metadata_track_name": "A"},
         "ms_played is not a number ('12')"),
        ({"ts": "2024-01-01T10:00:00Z", "ms_played": True, "master_metadata_track_name": "A"},
         "ms_played is not a number (True)"),
    ],
)  # fmt: skip
def test_each_field_problem_is_named(ctx: Context, tmp_path: Path, entry: dict, reason: str) -> None:
    good = {"ts": "2024-01-01T09:00:00Z", "ms_played": 200_000, "master_metadata_track_name": "Halo",
            "master_metadata_album_artist_name": "Beyoncé", "spotify_track_uri": None}  # fmt: skip
    write(tmp_path, {"Streaming_History_Audio_2024_0.json": orjson.dumps([good, entry])})
    report = run_import(ctx, tmp_path)
    assert (report.imported, report.invalid) == (1, 1)
    assert [(p.index, p.reason) for p in report.problems] == [(1, reason)]
