"""Reading Spotify's listening-history files: which file holds which layout, parsing (salvaging what a cut
file still holds), and turning records into candidate plays, each invalid one with its index and reason.

Nothing here touches the store, so `prepare` can run in a worker process while the importer writes the
previous file (tools/history_import.py).
"""

from __future__ import annotations

import gc
import hashlib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import msgspec
import orjson

from echotune.tools.errors import InvalidInputError, NotFoundError
from echotune.tools.models import BatchItem, BatchPlay
from echotune.tools.text import match_key

Layout = Literal["extended", "video", "account-music", "account-podcast"]
Bad = list[tuple[int | None, str]]

SKIP_MS = 30_000
"""Plays shorter than this are flagged as skips (and kept: they are real plays)."""
MINUTE = 60_000
BOM = b"\xef\xbb\xbf"
_EMPTY = (None, False, "")
EXTRA_FIELDS = ("platform", "conn_country", "shuffle", "offline", "incognito_mode")
"""What an import keeps besides the play itself (the context of a play). IP addresses, user agents and usernames
are never stored; why a play started or ended only decides whether it was skipped."""

_NAMES: tuple[tuple[re.Pattern[str], Layout], ...] = (
    (re.compile(r"^streaming_history_audio.*\.json$", re.I), "extended"),
    (re.compile(r"^endsong.*\.json$", re.I), "extended"),
    (re.compile(r"^streaming_history_video.*\.json$", re.I), "video"),
    (re.compile(r"^streaminghistory_podcast.*\.json$", re.I), "account-podcast"),
    (re.compile(r"^streaminghistory.*\.json$", re.I), "account-music"),
)


# -- finding the files ---------------------------------------------------------------------------------------


@dataclass
class Source:
    """One file to look at: on disk, or a member of a zip (picklable, so a worker process can read it)."""

    name: str
    size: int
    path: Path
    member: str | None = None
    order: tuple[int, str] = (9, "")

    def read(self) -> bytes:
        if self.member is None:
            return self.path.read_bytes()
        with zipfile.ZipFile(self.path) as zf:
            return zf.read(self.member)


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
        with zipfile.ZipFile(path) as zf:
            infos = sorted(zf.infolist(), key=lambda i: i.filename)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInputError(f"{path} is not a readable zip file: {exc}", hint="download it again") from None
    return [
        Source(f"{label}/{i.filename}", i.file_size, path, i.filename)
        for i in infos
        if not i.is_dir() and "__MACOSX/" not in i.filename
    ]


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
                    found.append(Source(label, file.stat().st_size, file))
        elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
            found.extend(_zip_sources(path, path.name))
        else:
            found.append(Source(path.name, path.stat().st_size, path))
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


class _Entry(msgspec.Struct, gc=False):
    """The fields of an extended-history entry an import reads (any type: checked below); msgspec decodes a file
    straight into these and skips the rest, with no dict per record."""

    ts: Any = None
    ms_played: Any = None
    master_metadata_track_name: Any = None
    master_metadata_album_artist_name: Any = None
    master_metadata_album_album_name: Any = None
    spotify_track_uri: Any = None
    skipped: Any = None
    platform: Any = None
    conn_country: Any = None
    shuffle: Any = None
    offline: Any = None
    incognito_mode: Any = None
    episode_name: Any = None
    episode_show_name: Any = None
    spotify_episode_uri: Any = None
    audiobook_title: Any = None
    audiobook_chapter_uri: Any = None
    audiobook_chapter_title: Any = None


_ENTRIES = msgspec.json.Decoder(list[_Entry])
_DAYS: dict[str, int] = {}  # "2019-11-05" -> epoch ms of its midnight UTC
_TIMES: dict[str, int] = {}  # "14:28:00" -> ms since midnight


def _time_of_day(hms: str) -> int:
    """ "14:28:00" -> milliseconds since midnight (ValueError when it is no time of day)."""
    h, m, sec = hms[:2], hms[3:5], hms[6:]
    digits = h + m + sec
    if (
        hms[2] == hms[5] == ":"
        and digits.isascii()
        and digits.isdigit()
        and int(h) < 24
        and int(m) < 60
        and int(sec) < 60
    ):
        return (int(h) * 3600 + int(m) * 60 + int(sec)) * 1000
    return _epoch_ms("1970-01-01T" + hms + "Z")


@dataclass
class Extended:
    """An extended-history file in columnar form (see models.PlayBatch): distinct items and contexts, and per
    valid record a BatchPlay tuple."""

    items: list[BatchItem] = field(default_factory=list)
    extras: list[dict[str, Any]] = field(default_factory=list)
    plays: list[BatchPlay] = field(default_factory=list)
    bad: Bad = field(default_factory=list)


def decode_extended(data: bytes) -> list[_Entry] | None:
    """The entries of a well-formed extended-history file, or None (not a list of objects, damaged: the caller
    reads it the careful way, salvaging what it can)."""
    try:
        return _ENTRIES.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def extended_batch(records: list[Any], keys: Keys) -> Extended:
    """Plays from extended-history entries (_Entry, or dicts as parsed from a damaged file), and the invalid
    ones, each with its index and reason."""
    out = Extended()
    items, plays, bad = out.items, out.plays, out.bad
    item_of: dict[str, int] = {}
    extra_of: dict[tuple[Any, ...], int] = {}
    days, times, skip_ms = _DAYS, _TIMES, SKIP_MS
    append = plays.append

    def item(kind: str, uri: Any, title: str, artist: str, album: Any) -> int:
        mk = keys(title, artist)
        key = uri or mk
        at = item_of.get(key)
        if at is None:
            at = item_of[key] = len(items)
            items.append(BatchItem(key, kind, uri, title, artist, album, mk))
        return at

    def extra(context: tuple[Any, ...]) -> int:
        at = extra_of.get(context)
        if at is None:
            at = extra_of[context] = len(out.extras)
            out.extras.append(_extra(context))
        return at

    for i, rec in enumerate(records):
        if type(rec) is not _Entry:
            if type(rec) is not dict:
                bad.append((i, f"not an object ({type(rec).__name__})"))
                continue
            rec = msgspec.convert(rec, _Entry)
        ts, ms, title, artist, uri = (
            rec.ts, rec.ms_played, rec.master_metadata_track_name, rec.master_metadata_album_artist_name,
            rec.spotify_track_uri,
        )  # fmt: skip
        if (  # the common case, a complete music entry ending at a "...Z" time, the fast way
            type(ts) is str and len(ts) == 20 and ts[10] == "T" and ts[19] == "Z" and type(ms) is int and ms >= 0
            and type(title) is str and title and type(artist) is str and artist and (uri is None or type(uri) is str)
        ):  # fmt: skip
            day, tod = days.get(ts[:10]), times.get(ts[11:19])
            try:
                if day is None:
                    day = days[ts[:10]] = _epoch_ms(ts[:10] + "T00:00:00Z")
                if tod is None:
                    tod = times[ts[11:19]] = _time_of_day(ts[11:19])
            except ValueError:
                bad.append((i, f"ts is not a time ({ts!r:.40})"))
                continue
            it = item_of.get(uri) if uri else None
            if it is None:
                it = item("music", uri, title, artist, rec.master_metadata_album_album_name)
            ctx = (rec.platform, rec.conn_country, rec.shuffle, rec.offline, rec.incognito_mode)
            e = extra_of.get(ctx)
            if e is None:
                e = extra(ctx)
            append((day + tod, it, 0, ms, bool(rec.skipped) or ms < skip_ms, True, e))
            continue
        one = _extended_entry(i, rec)
        if isinstance(one, str):
            bad.append((i, one))
            continue
        at, ms, kind, title, artist, album, uri, skipped, context = one
        append((at, item(kind, uri, title, artist, album), 0, ms, skipped, True, extra(context)))
    return out


def _extra(context: tuple[Any, ...]) -> dict[str, Any]:
    return {k: v for k, v in zip(EXTRA_FIELDS, context, strict=True) if v not in _EMPTY}


def _extended_entry(i: int, rec: _Entry) -> tuple[Any, ...] | str:
    """One extended-layout entry, any kind, checked field by field: (played_at, ms_played, kind, title, artist,
    album, uri, skipped, context), or why it is invalid."""
    ts = rec.ts
    if ts is None or ts == "":
        return "no ts (when the play ended)"
    if not isinstance(ts, str):
        return f"ts is not a time ({ts!r:.40})"
    try:
        at = _epoch_ms(ts)
    except (ValueError, OverflowError):
        return f"ts is not a time ({ts!r:.40})"
    ms = _ms_played(rec.ms_played)
    if isinstance(ms, str):
        return ms
    title, uri = rec.master_metadata_track_name, rec.spotify_track_uri
    if title or uri:
        kind, artist, album = "music", rec.master_metadata_album_artist_name or "", rec.master_metadata_album_album_name
        title = title or uri
    elif rec.episode_name or rec.spotify_episode_uri:
        kind, uri = "podcast", rec.spotify_episode_uri
        title, artist, album = rec.episode_name or uri, rec.episode_show_name or "", None
    elif rec.audiobook_chapter_title or rec.audiobook_title or rec.audiobook_chapter_uri:
        kind, uri = "audiobook", rec.audiobook_chapter_uri
        title = rec.audiobook_chapter_title or rec.audiobook_title or uri
        artist, album = rec.audiobook_title or "", None
    else:
        return "names no track, episode or audiobook"
    context = (rec.platform, rec.conn_country, rec.shuffle, rec.offline, rec.incognito_mode)
    skipped = bool(rec.skipped) or (kind == "music" and ms < SKIP_MS)
    return at, ms, kind, str(title), str(artist), album, uri, skipped, context


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
        if end is None or end == "":
            bad.append((i, "no endTime (when the play ended)"))
            continue
        if not isinstance(end, str):
            bad.append((i, f"endTime is not a time ({end!r:.40})"))
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


# -- one file, ready to import -------------------------------------------------------------------------------

CandidateRow = tuple[int, int, int, str, str, str, Any, Any, bool, bool, int, str]
"""A Candidate as plain values (index, played_at, ms_played, kind, title, artist, album, uri, skipped, exact,
extra index, match_key): cheap to send between processes."""


@dataclass
class Prepared:
    """A file read and parsed, its records turned into candidate plays (or why it holds none)."""

    layout: Layout | None
    digest: str = ""
    status: str = ""  # set when the file holds no plays to import: not-json, not-history, empty, unreadable, ...
    note: str = ""
    records: int = 0
    salvaged: bool = False
    rows: list[CandidateRow] = field(default_factory=list)
    extras: list[dict[str, Any]] = field(default_factory=list)
    bad: Bad = field(default_factory=list)
    cands: list[Candidate] | None = None  # in-process: the candidates themselves
    ext: Extended | None = None  # an extended-history file: its plays in columnar form

    def candidates(self) -> list[Candidate]:
        if self.cands is not None:
            return self.cands
        if self.ext is not None:
            items, extras = self.ext.items, self.ext.extras
            return [
                Candidate(0, at, ms, items[i].kind, items[i].title, items[i].artist, items[i].album, items[i].uri,
                          sk, ex, extras[e], items[i].match_key)
                for at, i, _, ms, sk, ex, e in self.ext.plays
            ]  # fmt: skip
        extras = self.extras
        return [
            Candidate(i, at, ms, kind, title, artist, album, uri, sk, ex, extras[e], key)
            for i, at, ms, kind, title, artist, album, uri, sk, ex, e, key in self.rows
        ]


_KEYS = Keys()  # per process: a worker keeps its normalised keys from file to file


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare(
    src: Source, layout: Layout | None, data: bytes | None = None, as_rows: bool = False, digest: str = ""
) -> Prepared:
    """Read, parse and convert one file (`data`: its bytes when the caller has them already; `digest`: their
    digest_of, when known). `as_rows` gives the candidates as plain tuples, for sending them from a worker
    process."""
    if data is None:
        try:
            data = src.read()
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            return Prepared(layout, status="unreadable", note=str(exc), bad=[(None, f"could not read the file: {exc}")])
    if layout is None:
        layout = sniff_layout(data[:4096])
        if layout is None:
            return Prepared(None, status="not-history", note="JSON, but not a listening history")
    if not data.strip(BOM + b" \t\r\n"):
        return Prepared(layout, status="empty", note="the file is empty")
    digest = digest or digest_of(data)
    gc_was_on = gc.isenabled()
    gc.disable()  # hundreds of thousands of new objects and no cycles: the collector would only cost
    try:
        return _convert(layout, digest, data, as_rows)
    finally:
        if gc_was_on:
            gc.enable()


def _convert(layout: Layout, digest: str, data: bytes, as_rows: bool) -> Prepared:
    entries = decode_extended(data.removeprefix(BOM)) if layout == "extended" else None
    parsed = Parsed(entries) if entries is not None else parse_array(data)
    del data
    if isinstance(parsed, str):
        return Prepared(
            layout, digest, status="not-json", note=parsed, bad=[(None, f"could not read the file: {parsed}")]
        )
    if layout == "video":
        return Prepared(layout, digest, status="skipped-video", records=len(parsed.records),
                        note="video plays are counted, not imported")  # fmt: skip
    if not parsed.records:
        return Prepared(layout, digest, status="empty", note=parsed.note or "an empty list", salvaged=parsed.salvaged)
    if layout == "extended":
        ext = extended_batch(parsed.records, _KEYS)
        return Prepared(layout, digest, records=len(parsed.records), salvaged=parsed.salvaged, note=parsed.note,
                        bad=ext.bad, ext=ext)  # fmt: skip
    cands, bad = account_candidates(parsed.records, _KEYS, podcast=layout == "account-podcast")
    if not as_rows:
        return Prepared(layout, digest, records=len(parsed.records), salvaged=parsed.salvaged, note=parsed.note,
                        bad=bad, cands=cands)  # fmt: skip
    extras: dict[int, int] = {}
    extra_list: list[dict[str, Any]] = []
    rows: list[CandidateRow] = []
    for c in cands:
        e = extras.get(id(c.extra))
        if e is None:
            e = extras[id(c.extra)] = len(extra_list)
            extra_list.append(c.extra)
        rows.append((c.index, c.played_at, c.ms_played, c.kind, c.title, c.artist, c.album, c.track_uri,
                     c.skipped, c.exact, e, c.match_key))  # fmt: skip
    return Prepared(
        layout, digest, records=len(parsed.records), salvaged=parsed.salvaged, note=parsed.note, rows=rows,
        extras=extra_list, bad=bad,
    )  # fmt: skip
