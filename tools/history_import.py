"""Import Spotify's listening-history downloads, as they come, fast, and without ever counting a play twice.

Takes `my_spotify_data.zip`, a folder, or single files, in either layout (see tools/spotify_export.py). Each
file is one transaction: an interruption leaves nothing of that file and the next import picks it up. Every
record read is accounted for: imported, a duplicate of a stored play, or invalid with file, index and reason
(imported + duplicates + invalid = read). Nothing valid is filtered: short plays are kept and flagged as skips.

A play is identified by user, end time and track (uri, else normalised title + artist). Account data gives the
end time to the minute and no uri, so its plays are matched against extended ones by title + artist with an end
time inside that minute; a precise play arriving later replaces the minute-precise copy of itself.
"""

from __future__ import annotations

import gc
import hashlib
import io
import operator
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import orjson
from pydantic import BaseModel, Field

from echotune.tools.errors import InvalidInputError, NotConfiguredError, NotFoundError, UpstreamError
from echotune.tools.models import ArtistRef, ImportedFile, Track
from echotune.tools.text import match_key, song_name

if TYPE_CHECKING:
    from echotune.tools.context import Context

Layout = Literal["extended", "video", "account-music", "account-podcast"]
FileStatus = Literal["imported", "salvaged", "empty", "skipped-video", "not-history", "not-json", "unreadable"]

SKIP_MS = 30_000
"""Plays shorter than this are flagged as skips (and kept: they are real plays)."""
MINUTE = 60_000
MAX_PROBLEMS = 1000
BOM = b"\xef\xbb\xbf"
_EMPTY = (None, False, "")
EXTRA_FIELDS = ("platform", "conn_country", "reason_start", "reason_end", "shuffle", "offline", "incognito_mode")
"""What an import keeps besides the play itself. IP addresses, user agents and usernames are never stored."""

_NAMES: tuple[tuple[re.Pattern[str], Layout], ...] = (
    (re.compile(r"^streaming_history_audio.*\.json$", re.I), "extended"),
    (re.compile(r"^endsong.*\.json$", re.I), "extended"),
    (re.compile(r"^streaming_history_video.*\.json$", re.I), "video"),
    (re.compile(r"^streaminghistory_podcast.*\.json$", re.I), "account-podcast"),
    (re.compile(r"^streaminghistory.*\.json$", re.I), "account-music"),
)


# -- the report ---------------------------------------------------------------------------------------------


class FileReport(BaseModel):
    """What happened to one file of the download."""

    table_columns: ClassVar[tuple[str, ...]] = (
        "file", "layout", "status", "read", "imported", "duplicates", "invalid", "note",
    )  # fmt: skip

    file: str = Field(description="Path of the file (inside the zip, when it came from one).")
    layout: Layout | None = Field(None, description="Which Spotify layout it holds, when it is listening history.")
    status: FileStatus
    read: int = Field(0, description="Records read from the file.")
    imported: int = Field(0, description="New plays stored.")
    duplicates: int = Field(0, description="Plays already stored (from this or an earlier import, either layout).")
    invalid: int = Field(0, description="Records that are not a valid play (listed in problems).")
    merged: int = Field(0, description="Duplicates that replaced a minute-precise copy with the exact play.")
    videos: int = Field(0, description="Video plays counted and not imported.")
    note: str = Field("", description="Why the file was skipped, salvaged, or what it duplicates.")


class Problem(BaseModel):
    """One record that could not be imported, and why."""

    table_columns: ClassVar[tuple[str, ...]] = ("file", "index", "reason")

    file: str
    index: int | None = Field(description="Position of the record in the file's array (0-based), if any.")
    reason: str


class ImportReport(BaseModel):
    """The outcome of one import: totals (imported + duplicates + invalid = read) and one line per file."""

    read: int = Field(description="Records read, over every history file.")
    imported: int = Field(description="New plays stored.")
    duplicates: int = Field(description="Records that were plays already stored: nothing is counted twice.")
    invalid: int = Field(description="Records that are not valid plays, each listed in problems.")
    merged: int = Field(0, description="Duplicates that upgraded a minute-precise play to the exact one.")
    skips: int = Field(0, description="Imported music plays flagged as skips (played under 30 s or skipped).")
    learnt_tracks: int = Field(0, description="Tracks the catalog lacked, added as learnt tracks.")
    videos_skipped: int = Field(0, description="Video plays counted and not imported.")
    stored_total: int = Field(0, description="Plays the user has stored after this import.")
    files: list[FileReport]
    problems: list[Problem] = Field(description=f"Invalid records and unreadable files (the first {MAX_PROBLEMS}).")
    problems_not_listed: int = Field(0, description="Problems beyond the listed ones.")


# -- finding the files ---------------------------------------------------------------------------------------


@dataclass
class Source:
    """One file to look at, from a folder, a zip, or given directly."""

    name: str
    size: int
    read: Callable[[], bytes]
    order: tuple[int, str] = (9, "")


def layout_from_name(name: str) -> Layout | None:
    base = name.rsplit("/", 1)[-1]
    for pattern, layout in _NAMES:
        if pattern.match(base):
            return layout
    return None


def sniff_layout(head: bytes) -> Layout | None:
    """The layout of a JSON file whose name says nothing, from its first records."""
    head = head.removeprefix(BOM).lstrip()
    if not head.startswith(b"["):
        return None
    if b'"ms_played"' in head and b'"ts"' in head:
        return "extended"
    if b'"msPlayed"' in head and b'"endTime"' in head:
        return "account-podcast" if b'"podcastName"' in head else "account-music"
    return None


def _zip_sources(path: Path, label: str) -> list[Source]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInputError(f"{path} is not a readable zip file: {exc}", hint="download it again") from None
    out = []
    for info in sorted(zf.infolist(), key=lambda i: i.filename):
        if info.is_dir() or "__MACOSX/" in info.filename:
            continue
        out.append(Source(f"{label}/{info.filename}", info.file_size, lambda i=info: zf.read(i)))
    return out


def find_sources(paths: Sequence[str | Path]) -> list[Source]:
    """Every file under the given zips, folders and files; missing paths are an error before anything is read."""
    missing = [str(p) for p in paths if not Path(p).expanduser().exists()]
    if missing:
        raise NotFoundError(
            f"No such file or folder: {', '.join(missing)}",
            hint="give the my_spotify_data.zip you downloaded, the folder it unpacks to, or its JSON files",
        )
    found: list[Source] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                label = f"{path.name}/{file.relative_to(path).as_posix()}"
                if file.suffix.lower() == ".zip":
                    found.extend(_zip_sources(file, label))
                else:
                    found.append(Source(label, file.stat().st_size, file.read_bytes))
        elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
            found.extend(_zip_sources(path, path.name))
        else:
            found.append(Source(path.name, path.stat().st_size, path.read_bytes))
    return found


# -- reading a file ------------------------------------------------------------------------------------------


@dataclass
class Parsed:
    records: list[Any]
    salvaged: bool = False
    note: str = ""


def parse_array(data: bytes) -> Parsed | str:
    """The records of a JSON array, or why there are none. A cut or corrupt file gives the complete records
    before the damage (salvaged)."""
    data = data.removeprefix(BOM)
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return _salvage(data, exc)
    if not isinstance(value, list):
        return f"a JSON {type(value).__name__.replace('dict', 'object')}, not a list of plays"
    return Parsed(value)


def _salvage(data: bytes, exc: Exception) -> Parsed | str:
    import ijson

    if not data.lstrip().startswith(b"["):
        return f"not JSON ({exc})"
    records: list[Any] = []
    reader = io.BytesIO(data)
    try:
        for item in ijson.items(reader, "item", use_float=True):
            records.append(item)
    except ijson.JSONError:
        pass
    where = "ends in the middle of a record" if data.rstrip()[-1:] not in (b"]", b"}") else "is damaged"
    return Parsed(
        records,
        salvaged=True,
        note=f"the file {where} ({str(exc).splitlines()[0]}): the {len(records):,} complete records before "
        "that point were read; download the file again to get the rest",
    )


# -- records to plays ----------------------------------------------------------------------------------------


def _epoch_ms(ts: str) -> int:
    """`2019-11-05T14:28:00Z` (any ISO-8601 form; without a zone it is UTC) -> epoch milliseconds."""
    value = datetime.fromisoformat(ts)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp()) * 1000 + value.microsecond // 1000


@dataclass(slots=True)
class Candidate:
    """A valid record on its way to becoming a stored play (it has the attributes of a PlayRow, so the store
    takes it as it is)."""

    index: int
    played_at: int
    ms_played: int
    kind: str
    title: str
    artist: str
    album: str | None
    track_uri: str | None
    skipped: bool
    exact: bool
    extra: dict[str, Any]
    match_key: str
    track_id: str | None = None
    track_key: str = ""
    seq: int = 0
    user: str = ""
    source: str = "import"


class Keys:
    """match_key per (title, artist), computed once per import (normalising is the costly part)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, str], str] = {}

    def __call__(self, title: str, artist: str) -> str:
        pair = (title, artist)
        key = self.cache.get(pair)
        if key is None:
            key = self.cache[pair] = match_key(title, artist)
        return key


def _ms_played(value: Any) -> int | str:
    if type(value) is int:
        return value if value >= 0 else f"negative ms_played ({value})"
    if isinstance(value, float) and value.is_integer():
        return _ms_played(int(value))
    if value is None:
        return "no ms_played"
    return f"ms_played is not a number ({value!r:.40})"


_FAST = operator.itemgetter(
    "ts", "ms_played", "master_metadata_track_name", "master_metadata_album_artist_name",
    "master_metadata_album_album_name", "spotify_track_uri", "skipped", *EXTRA_FIELDS,
)  # fmt: skip
"""The fields of a music entry, in one call (both generations of the extended layout have all of them)."""


def extended_candidates(records: list[Any], keys: Keys) -> tuple[list[Candidate], list[tuple[int | None, str]]]:
    """Plays from extended-history entries (either generation of field names), and the invalid ones."""
    out: list[Candidate] = []
    bad: list[tuple[int | None, str]] = []
    extras: dict[tuple[Any, ...], dict[str, Any]] = {}
    append = out.append
    for i, rec in enumerate(records):
        try:  # the common case, a complete music entry, the fast way
            v = _FAST(rec)
            ts, ms, title, artist = v[0], v[1], v[2], v[3]
            if not (title and artist and type(ms) is int and ms >= 0 and type(ts) is str):
                raise LookupError
            at = _epoch_ms(ts)
        except (LookupError, TypeError, ValueError):
            one = _extended_entry(i, rec, extras)
            if isinstance(one, str):
                bad.append((i, one))
            else:
                append(one)
            continue
        context = v[7:]
        extra = extras.get(context)
        if extra is None:
            extra = extras[context] = _extra(context)
        append(Candidate(i, at, ms, "music", title, artist, v[4], v[5], bool(v[6]) or ms < SKIP_MS, True, extra, ""))
    for c in out:
        c.match_key = keys(c.title, c.artist)
    return out, bad


def _extra(context: tuple[Any, ...]) -> dict[str, Any]:
    return {k: v for k, v in zip(EXTRA_FIELDS, context, strict=True) if v not in _EMPTY}


def _extended_entry(i: int, rec: Any, extras: dict[tuple[Any, ...], dict[str, Any]]) -> Candidate | str:
    """One extended-layout entry, any kind, checked field by field: a candidate, or why it is invalid."""
    if type(rec) is not dict:
        return f"not an object ({type(rec).__name__})"
    get = rec.get
    ts = get("ts")
    if not ts or not isinstance(ts, str):
        return "no ts (when the play ended)"
    try:
        at = _epoch_ms(ts)
    except (ValueError, OverflowError):
        return f"ts is not a time ({ts!r:.40})"
    ms = _ms_played(get("ms_played"))
    if isinstance(ms, str):
        return ms
    title, uri = get("master_metadata_track_name"), get("spotify_track_uri")
    if title or uri:
        kind, artist, album = (
            "music",
            get("master_metadata_album_artist_name") or "",
            get("master_metadata_album_album_name"),
        )
        title = title or uri
    elif get("episode_name") or get("spotify_episode_uri"):
        kind, uri = "podcast", get("spotify_episode_uri")
        title, artist, album = get("episode_name") or uri, get("episode_show_name") or "", None
    elif get("audiobook_chapter_title") or get("audiobook_title") or get("audiobook_chapter_uri"):
        kind, uri = "audiobook", get("audiobook_chapter_uri")
        title = get("audiobook_chapter_title") or get("audiobook_title") or uri
        artist, album = get("audiobook_title") or "", None
    else:
        return "names no track, episode or audiobook"
    context = tuple(get(k) for k in EXTRA_FIELDS)
    extra = extras.get(context)
    if extra is None:
        extra = extras[context] = _extra(context)
    skipped = bool(get("skipped")) or (kind == "music" and ms < SKIP_MS)
    return Candidate(i, at, ms, kind, str(title), str(artist), album, uri, skipped, True, extra, "")


def account_candidates(
    records: list[Any], keys: Keys, podcast: bool
) -> tuple[list[Candidate], list[tuple[int | None, str]]]:
    """Plays from Account-data entries (end time to the minute, no uri), and the invalid ones."""
    out: list[Candidate] = []
    bad: list[tuple[int | None, str]] = []
    title_field, artist_field = ("episodeName", "podcastName") if podcast else ("trackName", "artistName")
    for i, rec in enumerate(records):
        if type(rec) is not dict:
            bad.append((i, f"not an object ({type(rec).__name__})"))
            continue
        end = rec.get("endTime")
        if not end or not isinstance(end, str):
            bad.append((i, "no endTime (when the play ended)"))
            continue
        try:
            at = _epoch_ms(end) // MINUTE * MINUTE
        except (ValueError, OverflowError):
            bad.append((i, f"endTime is not a time ({end!r:.40})"))
            continue
        ms = _ms_played(rec.get("msPlayed"))
        if isinstance(ms, str):
            bad.append((i, ms.replace("ms_played", "msPlayed")))
            continue
        title = rec.get(title_field)
        if not title:
            bad.append((i, f"no {title_field}"))
            continue
        artist = rec.get(artist_field) or ""
        kind = "podcast" if podcast else "music"
        skipped = kind == "music" and ms < SKIP_MS
        out.append(Candidate(i, at, ms, kind, str(title), str(artist), None, None, skipped, False, {}, ""))
    for c in out:
        c.match_key = keys(c.title, c.artist)
    return out, bad


# -- linking to the catalog ----------------------------------------------------------------------------------


class Linker:
    """Links music plays to catalog tracks (by uri, else normalised title + artist) and learns the rest."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.by_uri: dict[str, str | None] = {}
        self.by_key: dict[str, str | None] = {}
        self.learnt = 0

    def link(self, cands: list[Candidate]) -> list[Track]:
        """Set track_id on every music candidate; returns the tracks to add to the catalog with these plays."""
        music = [c for c in cands if c.kind == "music"]
        uris = {c.track_uri for c in music if c.track_uri and c.track_uri not in self.by_uri}
        ids = {u: u.rsplit(":", 1)[-1] for u in uris if u.startswith("spotify:track:")}
        known = self.ctx.store.catalog.existing(list(ids.values())) if ids else set()
        for uri in uris:
            self.by_uri[uri] = ids[uri] if ids.get(uri) in known else None
        wanted: set[str] = set()
        for c in music:
            if not (c.track_uri and self.by_uri.get(c.track_uri)) and c.match_key not in self.by_key:
                wanted.add(c.match_key)
                wanted.add(self._plain_key(c))
        wanted -= self.by_key.keys()
        if wanted:
            found = self.ctx.store.catalog.by_match_keys(sorted(wanted))
            for key in wanted:
                self.by_key[key] = found.get(key)
        new: dict[str, Track] = {}
        for c in music:
            tid = (self.by_uri.get(c.track_uri) if c.track_uri else None) or self.by_key.get(c.match_key)
            if tid is None:
                tid = self.by_key.get(self._plain_key(c))
            if tid is None:
                track = self._learn(c)
                new[track.id] = track
                tid = track.id
                self.by_key[c.match_key] = tid
                if c.track_uri:
                    self.by_uri[c.track_uri] = tid
            c.track_id = tid
        self.learnt += len(new)
        return list(new.values())

    @staticmethod
    def _plain_key(c: Candidate) -> str:
        return match_key(song_name(c.title), c.artist)

    @staticmethod
    def _learn(c: Candidate) -> Track:
        from echotune.tools.models import SPOTIFY_ID

        spotify_id = (
            c.track_uri.rsplit(":", 1)[-1] if c.track_uri and c.track_uri.startswith("spotify:track:") else None
        )
        if spotify_id and SPOTIFY_ID.match(spotify_id):
            track_id, uri = spotify_id, c.track_uri
        else:
            track_id, uri = "local:" + hashlib.blake2b(c.match_key.encode(), digest_size=10).hexdigest(), None
        return Track(
            id=track_id,
            uri=uri,
            title=c.title,
            artists=[ArtistRef(name=c.artist or "Unknown artist")],
            source="learnt",
        )


# -- recognising plays seen before ---------------------------------------------------------------------------


@dataclass
class Dedup:
    """Which candidates are new, which are stored already, and which stored minute-precise plays they replace."""

    fresh: list[Candidate] = field(default_factory=list)
    duplicates: int = 0
    replace: list[tuple[str, int, int, str]] = field(default_factory=list)


def dedupe(ctx: Context, cands: list[Candidate]) -> Dedup:
    """Split candidates into new plays and duplicates of stored ones (or of each other).

    Exact identity: (played_at, seq, track_key). Across layouts: a minute-precise play (Account data) at minute
    M is the same play as an exact one with the same normalised title + artist ending in [M - 30 s, M + 60 s),
    which covers both rounding and truncation to the minute; the n-th such play of a minute (seq n) matches the
    n-th exact one.
    """
    out = Dedup()
    if not cands:
        return out
    occurrence: Counter[tuple[int, str]] = Counter()
    for c in cands:
        if c.exact:
            c.track_key = c.track_uri or c.match_key
        else:
            c.track_key = c.match_key
            c.seq = occurrence[(c.played_at, c.match_key)]
            occurrence[(c.played_at, c.match_key)] += 1
    lo = min(c.played_at for c in cands) - 2 * MINUTE
    hi = max(c.played_at for c in cands) + 2 * MINUTE
    stored = ctx.store.plays.identities(ctx.user, _dt(lo), _dt(hi))
    seen = {(p.played_at, p.seq, p.track_key) for p in stored}
    exact_times: dict[str, list[int]] = defaultdict(list)
    inexact: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    for p in stored:
        if p.exact:
            exact_times[p.match_key].append(p.played_at)
        else:
            inexact[(p.match_key, p.played_at)].append((p.seq, p.track_key))
    for c in cands:
        ident = (c.played_at, c.seq, c.track_key)
        if ident in seen:
            out.duplicates += 1
            continue
        seen.add(ident)
        if c.exact:
            if inexact:
                copy = _minute_copy(inexact, c)
                if copy is not None:
                    out.replace.append((ctx.user, *copy))
                    out.duplicates += 1  # the same play, now known exactly
            out.fresh.append(c)
            exact_times[c.match_key].append(c.played_at)
            continue
        lo_t, hi_t = c.played_at - 30_000, c.played_at + MINUTE
        if sum(1 for t in exact_times.get(c.match_key, ()) if lo_t <= t < hi_t) > c.seq:
            out.duplicates += 1
            continue
        out.fresh.append(c)
    return out


def _minute_copy(inexact: dict[tuple[str, int], list[tuple[int, str]]], c: Candidate) -> tuple[int, int, str] | None:
    """A stored minute-precise copy of exact play `c`, as (minute, seq, track_key); consumed, so it matches once."""
    for minute in (c.played_at // MINUTE * MINUTE, (c.played_at + 30_000) // MINUTE * MINUTE):
        if c.played_at - MINUTE < minute <= c.played_at + 30_000:
            copies = inexact.get((c.match_key, minute))
            if copies:
                seq, key = copies.pop(0)
                return minute, seq, key
    return None


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


# -- the import ----------------------------------------------------------------------------------------------


_ORDER: dict[Layout | None, int] = {"extended": 0, "account-music": 1, "account-podcast": 2, "video": 3, None: 4}


def import_history(ctx: Context, paths: Sequence[str | Path]) -> ImportReport:
    """Import every listening-history file under `paths` for ctx.user (see the module docstring)."""
    from echotune.tools.catalog import ensure_catalog
    from echotune.tools.settings import read_settings

    if not read_settings(ctx)[1].privacy.store_history:
        raise NotConfiguredError(
            "Your settings say not to keep your listening history (privacy.store_history is false): "
            "nothing was imported.",
            hint="to allow it, run `echotune settings set privacy.store_history true`, then import again",
        )
    sources = find_sources(paths)
    ensure_catalog(ctx)
    for src in sources:
        src.order = (_ORDER[layout_from_name(src.name)], src.name)
    sources.sort(key=lambda s: s.order)
    run = _Run(ctx)
    problems: list[Problem] = []
    problem_count = 0
    for src in sources:
        gc_was_on = gc.isenabled()
        gc.disable()  # hundreds of thousands of short-lived dicts and no cycles: the collector only costs time
        try:
            report, bad = run.file(src)
        finally:
            if gc_was_on:
                gc.enable()
        run.files.append(report)
        for index, reason in bad:
            problem_count += 1
            if len(problems) < MAX_PROBLEMS:
                problems.append(Problem(file=src.name, index=index, reason=reason))
    if run.linker.learnt:
        ctx.forget("catalog")  # the search index must see the learnt tracks
    history = [f for f in run.files if f.layout in ("extended", "account-music", "account-podcast")]
    return ImportReport(
        read=sum(f.read for f in history),
        imported=sum(f.imported for f in history),
        duplicates=sum(f.duplicates for f in history),
        invalid=sum(f.invalid for f in history),
        merged=sum(f.merged for f in history),
        skips=run.skips,
        learnt_tracks=run.linker.learnt,
        videos_skipped=sum(f.videos for f in run.files),
        stored_total=ctx.store.plays.count(ctx.user),
        files=run.files,
        problems=problems,
        problems_not_listed=problem_count - len(problems),
    )


Bad = list[tuple[int | None, str]]


class _Run:
    """The state of one import: caches shared by its files, and what it has seen so far."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.keys = Keys()
        self.linker = Linker(ctx)
        self.digests: dict[str, str] = {}
        self.files: list[FileReport] = []
        self.skips = 0

    def file(self, src: Source) -> tuple[FileReport, Bad]:
        layout = layout_from_name(src.name)
        if layout is None and not src.name.lower().endswith(".json"):
            return FileReport(file=src.name, status="not-json", note="not a JSON file: not listening history"), []
        try:
            data = src.read()
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            report = FileReport(file=src.name, layout=layout, status="unreadable", note=str(exc))
            return report, [(None, f"could not read the file: {exc}")]
        if layout is None:
            layout = sniff_layout(data[:4096])
            if layout is None:
                return FileReport(file=src.name, status="not-history", note="JSON, but not a listening history"), []
        if not data.strip(BOM + b" \t\r\n"):
            return FileReport(file=src.name, layout=layout, status="empty", note="the file is empty"), []
        digest = hashlib.sha256(data).hexdigest()
        note = f"same content as {self.digests[digest]}" if digest in self.digests else ""
        self.digests.setdefault(digest, src.name)
        if layout != "video":
            done = self.ctx.store.plays.imported_files(self.ctx.user, [digest]).get(digest)
            if done is not None:  # every record of this very content is stored: nothing to parse
                self.ctx.report(_task(src), done.records, done.records)
                when = f"{done.imported_at:%Y-%m-%d %H:%M} UTC"
                note = "; ".join(filter(None, (note, f"already imported on {when}: all records are stored")))
                return FileReport(
                    file=src.name, layout=layout, status="imported", read=done.records,
                    duplicates=done.records, note=note,
                ), []  # fmt: skip
        parsed = parse_array(data)
        del data
        if isinstance(parsed, str):
            report = FileReport(file=src.name, layout=layout, status="not-json", note=parsed)
            return report, [(None, f"could not read the file: {parsed}")]
        if parsed.salvaged:
            note = "; ".join(filter(None, (note, parsed.note)))
        if layout == "video":
            return FileReport(
                file=src.name, layout=layout, status="skipped-video", videos=len(parsed.records),
                note="video plays are counted, not imported",
            ), []  # fmt: skip
        if not parsed.records:
            return FileReport(file=src.name, layout=layout, status="empty", note=note or "an empty list"), []
        return self._plays(src, layout, parsed, digest, note)

    def _plays(self, src: Source, layout: Layout, parsed: Parsed, digest: str, note: str) -> tuple[FileReport, Bad]:
        ctx, task, total = self.ctx, _task(src), len(parsed.records)
        ctx.report(task, 0, total)
        if layout == "extended":
            cands, bad = extended_candidates(parsed.records, self.keys)
        else:
            cands, bad = account_candidates(parsed.records, self.keys, podcast=layout == "account-podcast")
        parsed.records = []
        learnt = self.linker.link(cands)
        found = dedupe(ctx, cands)
        for c in found.fresh:
            c.user = ctx.user
        complete = not bad and not parsed.salvaged
        remember = (ctx.user, ImportedFile(digest, src.name, total, ctx.clock())) if complete else None
        skipped = len(bad) + found.duplicates
        try:
            inserted = ctx.store.plays.add_rows(
                found.fresh,
                replace=found.replace,
                tracks=learnt,
                remember=remember,
                progress=lambda n: ctx.report(task, min(total, skipped + n), total),
            )
        except Exception as exc:
            raise UpstreamError(
                f"Could not store the plays of {src.name}: {exc}. Nothing of this file was stored; the files "
                "before it were.",
                hint="fix the cause (e.g. free some disk space) and import again: what is stored already is skipped",
            ) from exc
        ctx.report(task, total, total)
        imported = inserted - len(found.replace)  # an exact play replacing its minute-precise copy is no new play
        self.skips += sum(1 for c in found.fresh if c.skipped and c.kind == "music")
        report = FileReport(
            file=src.name,
            layout=layout,
            status="salvaged" if parsed.salvaged else "imported",
            read=total,
            imported=imported,
            duplicates=total - len(bad) - imported,
            invalid=len(bad),
            merged=len(found.replace),
            note=note,
        )
        return report, bad


def _task(src: Source) -> str:
    return f"Importing {src.name.rsplit('/', 1)[-1]}"
