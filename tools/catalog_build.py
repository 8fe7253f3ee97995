"""Build the bundled demo catalog from the MusicOSet dataset (Silva, Oliveira & Moro, 2019).

Reproducible: the same source files give byte-identical output (rows sorted by id, gzip without a timestamp).
Malformed source rows are counted and reported with file, line and reason in the manifest, never dropped
silently. Run: `python -m echotune.tools.catalog_build ../shared/data/musicoset` (or `make catalog`).
"""

from __future__ import annotations

import ast
import csv
import gzip
import hashlib
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from echotune.tools.models import SPOTIFY_ID, ArtistRef, AudioFeatures, Track

DATA_DIR = Path(__file__).parent / "data"
CATALOG_FILE = "catalog.jsonl.gz"
MANIFEST_FILE = "catalog.manifest.json"

SONGS = "musicoset_metadata_songs.csv"
ARTISTS = "musicoset_metadata_artists.csv"
TRACKS = "musicoset_metadata_tracks.csv"
FEATURES = "musicoset_songfeatures_acoustic_features.csv"
FEATURE_FIELDS = [f for f in AudioFeatures.model_fields]


@dataclass
class BuildReport:
    """What the build read, wrote and could not use."""

    rows_read: dict[str, int] = field(default_factory=dict)
    tracks_written: int = 0
    malformed: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def bad(self, file: str, line: int, reason: str) -> None:
        self.malformed.append({"file": file, "line": line, "reason": reason})

    def warn(self, file: str, line: int, reason: str) -> None:
        self.warnings.append({"file": file, "line": line, "reason": reason})


def _rows(path: Path, report: BuildReport) -> Iterator[tuple[int, dict[str, str]]]:
    """Tab-separated rows as dicts, with their 1-based line numbers; rows of the wrong width are reported."""
    name = path.name
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        count = 0
        for row in reader:
            count += 1
            line = reader.line_num
            if len(row) != len(header):
                report.bad(name, line, f"expected {len(header)} tab-separated columns, found {len(row)}")
                continue
            yield line, dict(zip(header, row, strict=True))
        report.rows_read[name] = count


def _literal(text: str, kind: type) -> Any:
    value = ast.literal_eval(text)
    if not isinstance(value, kind):
        raise ValueError(f"expected a {kind.__name__} literal")
    return value


def build(source: Path, report: BuildReport | None = None) -> tuple[list[Track], BuildReport]:
    """Read the four MusicOSet tables and join them into catalog tracks."""
    report = report or BuildReport()
    artists: dict[str, dict[str, Any]] = {}
    for line, r in _rows(source / ARTISTS, report):
        try:
            genres = _literal(r["genres"], list)
        except (ValueError, SyntaxError) as exc:
            report.bad(ARTISTS, line, f"genres is not a list literal ({exc})")
            continue
        main = r["main_genre"].strip()
        ordered = ([main] if main and main != "-" else []) + [g for g in genres if g != main]
        artists[r["artist_id"]] = {"name": r["name"], "genres": ordered}

    releases: dict[str, dict[str, Any]] = {}
    for line, r in _rows(source / TRACKS, report):
        year = r["release_date"][:4]
        if not (year.isdigit() and 1800 <= int(year) <= 2100):
            report.bad(TRACKS, line, f"release_date {r['release_date']!r} has no year")
            year = ""
        releases[r["song_id"]] = {"album_id": r["album_id"] or None, "year": int(year) if year else None}

    features: dict[str, tuple[AudioFeatures, int]] = {}
    for line, r in _rows(source / FEATURES, report):
        try:
            values = {k: float(r[k]) for k in FEATURE_FIELDS}
            for k in ("key", "mode", "time_signature"):
                values[k] = int(values[k])
            features[r["song_id"]] = (AudioFeatures(**values), int(float(r["duration_ms"])))
        except (ValueError, ValidationError) as exc:
            report.bad(FEATURES, line, f"audio features unreadable: {str(exc).splitlines()[0]}")

    tracks: dict[str, Track] = {}
    for line, r in _rows(source / SONGS, report):
        song_id = r["song_id"]
        if not SPOTIFY_ID.match(song_id):
            report.bad(SONGS, line, f"song_id {song_id!r} is not a Spotify id")
            continue
        if song_id in tracks:
            report.bad(SONGS, line, f"duplicate song_id {song_id}")
            continue
        try:
            credited = _literal(r["artists"], dict)
        except (ValueError, SyntaxError) as exc:
            report.bad(SONGS, line, f"artists is not a dict literal ({exc})")
            continue
        if not r["song_name"].strip() or not credited:
            report.bad(SONGS, line, "song has no title or no artist")
            continue
        genres: list[str] = []
        for artist_id in credited:
            if artist_id not in artists:
                report.warn(SONGS, line, f"artist {artist_id} is not in {ARTISTS}: its genres are unknown")
                continue
            genres.extend(g for g in artists[artist_id]["genres"] if g not in genres)
        release = releases.get(song_id)
        if release is None:
            report.warn(SONGS, line, f"song {song_id} has no row in {TRACKS}: no year or album")
        feats = features.get(song_id)
        if feats is None:
            report.warn(SONGS, line, f"song {song_id} has no audio features")
        try:
            popularity = int(r["popularity"])
        except ValueError:
            report.bad(SONGS, line, f"popularity {r['popularity']!r} is not a number; kept without it")
            popularity = None
        tracks[song_id] = Track(
            id=song_id,
            uri=f"spotify:track:{song_id}",
            title=r["song_name"].strip(),
            artists=[ArtistRef(id=k, name=v) for k, v in credited.items()],
            album_id=(release or {}).get("album_id"),
            year=(release or {}).get("year"),
            genres=genres,
            popularity=popularity if popularity is None or 0 <= popularity <= 100 else None,
            explicit=r["explicit"].strip() == "True",
            duration_ms=feats[1] if feats else None,
            features=feats[0] if feats else None,
            source="bundled",
        )
    ordered = [tracks[k] for k in sorted(tracks)]
    report.tracks_written = len(ordered)
    return ordered, report


def write(tracks: list[Track], report: BuildReport, out_dir: Path = DATA_DIR) -> dict[str, Any]:
    """Write the gzip'd JSON lines and the manifest (counts, malformed rows, checksum)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        for t in tracks:
            gz.write(t.model_dump_json(exclude_defaults=True).encode() + b"\n")
    data = buf.getvalue()
    (out_dir / CATALOG_FILE).write_bytes(data)
    manifest = {
        "source": "MusicOSet (Silva, Oliveira & Moro, 2019)",
        "sha256": hashlib.sha256(data).hexdigest(),
        "tracks": report.tracks_written,
        "rows_read": report.rows_read,
        "malformed_count": len(report.malformed),
        "malformed": report.malformed,
        "warnings": report.warnings,
    }
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if not args:
        print("usage: python -m echotune.tools.catalog_build MUSICOSET_DIR [OUT_DIR]", file=sys.stderr)
        return 2
    source = Path(args[0])
    missing = [f for f in (SONGS, ARTISTS, TRACKS, FEATURES) if not (source / f).is_file()]
    if missing:
        print(f"error: {source} lacks {', '.join(missing)}", file=sys.stderr)
        return 3
    tracks, report = build(source)
    manifest = write(tracks, report, Path(args[1]) if len(args) > 1 else DATA_DIR)
    print(
        f"read {sum(report.rows_read.values())} rows from {len(report.rows_read)} files; "
        f"wrote {manifest['tracks']} tracks; {manifest['malformed_count']} malformed rows, "
        f"{len(report.warnings)} warnings (details in {MANIFEST_FILE})"
    )
    for item in report.malformed[:20] + report.warnings[:20]:
        print(f"  {item['file']}:{item['line']}: {item['reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
