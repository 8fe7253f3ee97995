"""Spotify's two listening-history download layouts, and a generator of realistic exports in both.

What Spotify ships (field names as in the files):
- **Extended streaming history** (`Spotify Extended Streaming History/Streaming_History_Audio_<years>_<n>.json`,
  older downloads `MyData/endsong_<n>.json`): one JSON array per file, split at about 15,000 entries, each entry
  `ts` (UTC end of playback, `2019-11-05T14:28:00Z`), `platform`, `ms_played`, `conn_country`, `ip_addr`,
  `master_metadata_track_name`, `master_metadata_album_artist_name`, `master_metadata_album_album_name`,
  `spotify_track_uri`, `episode_name`, `episode_show_name`, `spotify_episode_uri`, `audiobook_title`,
  `audiobook_uri`, `audiobook_chapter_uri`, `audiobook_chapter_title`, `reason_start`, `reason_end`, `shuffle`,
  `skipped`, `offline`, `offline_timestamp`, `incognito_mode`. Older files also carry `username`, and name the
  address and agent `ip_addr_decrypted`, `user_agent_decrypted` (no audiobook fields).
  `Streaming_History_Video_<years>.json` holds video plays in the same shape.
- **Account data** (`Spotify Account Data/StreamingHistory_music_<n>.json`, `StreamingHistory_podcast_<n>.json`,
  older `MyData/StreamingHistory<n>.json`): the last year only, `endTime` rounded to the minute
  (`2019-02-05 14:47`, UTC), `artistName`, `trackName`, `msPlayed`; podcasts `podcastName`, `episodeName`.

The generator writes both from the bundled catalog: long-tail play counts over years, a daily and weekly
rhythm in the listener's time zone, sessions, skips, podcasts and audiobooks, incognito plays, tracks the
catalog lacks (with unicode names), video plays, and the non-history files a real download contains. Tests,
the demo and the benchmark use it; it is deterministic for a seed.
"""

from __future__ import annotations

import bisect
import gzip
import random
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

EXTENDED_DIR = "Spotify Extended Streaming History"
ACCOUNT_DIR = "Spotify Account Data"
OLD_DIR = "MyData"
ZIP_NAME = "my_spotify_data.zip"

EXTENDED_FIELDS = (
    "ts", "platform", "ms_played", "conn_country", "ip_addr", "master_metadata_track_name",
    "master_metadata_album_artist_name", "master_metadata_album_album_name", "spotify_track_uri", "episode_name",
    "episode_show_name", "spotify_episode_uri", "audiobook_title", "audiobook_uri", "audiobook_chapter_uri",
    "audiobook_chapter_title", "reason_start", "reason_end", "shuffle", "skipped", "offline", "offline_timestamp",
    "incognito_mode",
)  # fmt: skip
OLD_EXTENDED_FIELDS = (
    "ts", "username", "platform", "ms_played", "conn_country", "ip_addr_decrypted", "user_agent_decrypted",
    "master_metadata_track_name", "master_metadata_album_artist_name", "master_metadata_album_album_name",
    "spotify_track_uri", "episode_name", "episode_show_name", "spotify_episode_uri", "reason_start", "reason_end",
    "shuffle", "skipped", "offline", "offline_timestamp", "incognito_mode",
)  # fmt: skip
ACCOUNT_MUSIC_FIELDS = ("endTime", "artistName", "trackName", "msPlayed")
ACCOUNT_PODCAST_FIELDS = ("endTime", "podcastName", "episodeName", "msPlayed")

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PLATFORMS = (
    "Android OS 13 API 33 (Google, Pixel 7)",
    "iOS 17.1 (iPhone15,3)",
    "windows",
    "OS X 14.1.1 [arm 2]",
    "web_player linux ;chrome 119.0.0.0;desktop",
    "Partner sonos_speaker Sonos Era 100",
)
PLATFORM_WEIGHTS = (40, 15, 15, 10, 8, 12)
SHOWS = (
    ("Ça Commence Aujourd'hui — le podcast", "Épisode"),
    ("The Daily Groove", "Episode"),
    ("Música y Memoria", "Capítulo"),
    ("深夜ラジオ", "第"),
    ("Science Vs Everything", "Part"),
)
AUDIOBOOKS = ("Der Zauberberg", "Pride and Prejudice", "Сто лет одиночества")
UNKNOWN_WORDS = (
    "夜", "に", "駆ける", "Дыши", "глубже", "Мечта", "Lumière", "Été", "Straße", "Ñandú", "Ölüdeniz", "Sœur",
    "ひかり", "사랑", "Ωραία", "Kärlek", "Fête", "Mañana", "Noite", "Zürich", "Ljós", "Čas", "Żółw", "Café",
)  # fmt: skip
UNKNOWN_ARTISTS = (
    "YOASOBI",
    "Мот",
    "Zaz",
    "Sigur Rós",
    "Mø",
    "Ángela Aguilar",
    "BTS (방탄소년단)",
    "Dúné",
    "Kærlighed",
)


@dataclass
class ExportSpec:
    """What to generate. `records` counts the extended-layout audio entries (music, podcasts, audiobooks)."""

    records: int = 20_000
    start: date = date(2016, 1, 1)
    end: date = date(2024, 12, 31)
    seed: int = 7
    timezone: str = "Europe/Berlin"
    per_file: int = 15_000
    account_per_file: int = 10_000
    extended: bool = True
    account_data: bool = True
    old_layout: bool = False
    videos: int = 25
    podcast_share: float = 0.05
    audiobook_share: float = 0.006
    incognito_share: float = 0.01
    skip_share: float = 0.16
    unknown_share: float = 0.03
    local_file_share: float = 0.002
    artists: int = 1500
    username: str = "echotune-listener"
    country: str = "DE"
    extras: bool = True
    """Also write the non-history files a real download holds (a PDF read-me, Userdata.json, a playlist)."""


@dataclass
class GeneratedExport:
    """Where the files went and what is in them (tests compare imports against these counts)."""

    root: Path
    files: dict[str, int] = field(default_factory=dict)
    music: int = 0
    podcasts: int = 0
    audiobooks: int = 0
    incognito: int = 0
    skips: int = 0
    unknown_tracks: int = 0
    videos: int = 0
    account_music: int = 0
    account_podcasts: int = 0
    first: datetime | None = None
    last: datetime | None = None

    @property
    def extended_records(self) -> int:
        return self.music + self.podcasts + self.audiobooks


@cache
def load_catalog_rows() -> list[dict[str, Any]]:
    """The bundled catalog as plain dicts (no store needed; read once per process, do not modify)."""
    from echotune.tools.catalog_build import CATALOG_FILE, DATA_DIR

    with gzip.open(DATA_DIR / CATALOG_FILE, "rb") as fh:
        return [orjson.loads(line) for line in fh]


def _spotify_id(rng: random.Random) -> str:
    return "".join(rng.choices(BASE62, k=22))


@dataclass
class _Item:
    """One thing that can be played: a catalog or unknown track, an episode or a chapter."""

    kind: str
    title: str
    artist: str
    album: str | None
    uri: str | None
    duration_ms: int
    center: float = 0.0  # when (in years from start) this item is in the listener's rotation
    spread: float = 1.0
    weight: float = 1.0  # how much the listener likes it (long tail)


def _taste(spec: ExportSpec, rng: random.Random, catalog: list[dict[str, Any]], years: float) -> list[_Item]:
    """The listener's music: favourite artists with Zipf weights, each in rotation around some point in time."""
    by_artist: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in catalog:
        if row.get("artists") and row["artists"][0]["name"] != "The Karaoke Channel":
            by_artist[row["artists"][0]["name"]].append(row)
    names = sorted(by_artist)
    rng.shuffle(names)
    items: list[_Item] = []
    for rank, name in enumerate(names[: spec.artists]):
        weight = 1.0 / (rank + 1) ** 0.8
        center = rng.uniform(-0.5, years + 0.5)
        spread = rng.choice((0.3, 0.5, 0.8, 1.2, 2.0, 50.0))  # a season, a few years, or for good
        for j, row in enumerate(sorted(by_artist[name], key=lambda r: -(r.get("popularity") or 0))):
            album = row["title"] if rng.random() < 0.35 else f"{name} — {rng.choice(('Live', 'Greatest Hits', 'II'))}"
            item = _Item(
                "music",
                row["title"],
                name,
                album,
                row["uri"],
                row.get("duration_ms") or 210_000,
                center + rng.uniform(-0.5, 0.5),
                spread,
                weight / (j + 1) ** 0.6 * (0.25 if spread > 10 else 1.0),  # a lifelong favourite, not a craze
            )
            items.append(item)
    n_unknown = max(3, int(len(items) * spec.unknown_share))
    for _ in range(n_unknown):
        title = " ".join(rng.sample(UNKNOWN_WORDS, rng.randint(1, 3)))
        artist = rng.choice(UNKNOWN_ARTISTS)
        local = rng.random() < 0.15
        item = _Item(
            "music",
            title,
            artist,
            title,
            None if local else f"spotify:track:{_spotify_id(rng)}",
            rng.randint(150_000, 280_000),
            rng.uniform(0, years),
            rng.choice((0.8, 2.0)),
            rng.uniform(0.002, 0.05),
        )
        items.append(item)
    return items


def _talk(spec: ExportSpec, rng: random.Random) -> tuple[list[_Item], list[_Item]]:
    episodes = []
    for show, word in SHOWS:
        for n in range(1, 41):
            name = f"{word} {n}" if word != "第" else f"第{n}回"
            episodes.append(
                _Item(
                    "podcast", name, show, None, f"spotify:episode:{_spotify_id(rng)}", rng.randint(1200, 3600) * 1000
                )
            )
    chapters = []
    for book in AUDIOBOOKS:
        book_uri = f"spotify:show:{_spotify_id(rng)}"
        for n in range(1, 31):
            chapters.append(
                _Item("audiobook", f"Chapter {n}", book, book_uri, f"spotify:episode:{_spotify_id(rng)}", 1_500_000)
            )
    return episodes, chapters


# Plays per hour of the local day (weekday, weekend): a morning commute, lunch, and the evening.
WEEKDAY_HOURS = (1, 0.5, 0.2, 0.1, 0.1, 0.3, 2, 6, 8, 4, 3, 3, 5, 4, 3, 3, 4, 7, 8, 7, 6, 5, 4, 2)
WEEKEND_HOURS = (3, 2, 1, 0.5, 0.2, 0.1, 0.2, 0.5, 1, 3, 5, 6, 6, 5, 5, 5, 5, 6, 7, 8, 8, 7, 6, 5)
WEEKDAY_LOAD = (1.0, 1.0, 1.05, 1.0, 1.2, 1.3, 0.9)  # Monday..Sunday


def _day_weights(spec: ExportSpec, rng: random.Random, days: int) -> list[float]:
    """How much is played on each day: the weekly rhythm, a slow trend, holidays with nothing at all."""
    weights = []
    holiday_left = 0
    for d in range(days):
        day = spec.start + timedelta(days=d)
        if holiday_left == 0 and rng.random() < 0.004:
            holiday_left = rng.randint(3, 14)
        if holiday_left:
            holiday_left -= 1
            weights.append(0.0)
            continue
        trend = 0.6 + 0.8 * d / max(1, days)
        weights.append(WEEKDAY_LOAD[day.weekday()] * trend * rng.uniform(0.3, 1.7))
    return weights


def _pick(rng: random.Random, items: list[_Item], cum: list[float]) -> _Item:
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


def _cum_weights(items: list[_Item], years_in: float) -> list[float]:
    """Cumulative play weights of the items at a point in time (each is in rotation around its center)."""
    import numpy as np

    z = (years_in - np.array([it.center for it in items])) / np.array([it.spread for it in items])
    weights = np.array([it.weight for it in items]) * np.exp(-0.5 * z * z) + 1e-9
    return np.cumsum(weights).tolist()


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def _minute(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ms // 1000))


def generate_plays(spec: ExportSpec, catalog: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The extended-layout entries of one listener, oldest first (before splitting into files)."""
    rng = random.Random(spec.seed)
    catalog = catalog if catalog is not None else load_catalog_rows()
    days = (spec.end - spec.start).days + 1
    years = days / 365.25
    music = _taste(spec, rng, catalog, years)
    episodes, chapters = _talk(spec, rng)
    zone = ZoneInfo(spec.timezone)
    weights = _day_weights(spec, rng, days)
    scale = spec.records / (sum(weights) or 1.0)
    cum_hours = (list(_accumulate(WEEKDAY_HOURS)), list(_accumulate(WEEKEND_HOURS)))
    cum_cache: dict[int, list[float]] = {}
    out: list[dict[str, Any]] = []
    cursor = 0  # the earliest the next session may start (epoch ms): the end of the last one plus a pause
    carry = 0.0
    episode_at = 0
    for d, weight in enumerate(weights):
        carry += weight * scale
        todays = int(carry)
        carry -= todays
        if d == days - 1:
            todays += spec.records - len(out) - todays  # land exactly on the requested count
        if todays <= 0:
            continue
        day = spec.start + timedelta(days=d)
        month = d // 30
        if month not in cum_cache:
            cum_cache = {month: _cum_weights(music, d / 365.25)}
        cum = cum_cache[month]
        weekend = day.weekday() >= 5
        hours = cum_hours[weekend]
        sizes, left = [], todays
        while left > 0:
            sizes.append(min(left, max(1, int(rng.expovariate(1 / 9)))))
            left -= sizes[-1]
        wanted = sorted(
            (bisect.bisect_right(hours, rng.random() * hours[-1]) * 3600 + rng.randint(0, 3599)) * 1000 for _ in sizes
        )
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        for size, want in zip(sizes, wanted, strict=True):
            local = midnight + timedelta(milliseconds=want)
            at = max(int(local.astimezone(UTC).timestamp() * 1000), cursor)  # never two plays at once
            shuffle = rng.random() < 0.4
            platform = rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0]
            incognito = rng.random() < spec.incognito_share
            talk = rng.random()
            reason_start = rng.choice(("clickrow", "playbtn", "appload", "remote"))
            for _ in range(size):
                if talk < spec.podcast_share:
                    item = episodes[episode_at % len(episodes)]
                    episode_at += rng.random() < 0.7
                elif talk < spec.podcast_share + spec.audiobook_share and not spec.old_layout:
                    item = rng.choice(chapters)
                else:
                    item = _pick(rng, music, cum)
                skip = item.kind == "music" and rng.random() < spec.skip_share
                if skip:
                    played = rng.randint(500, 29_000)
                    reason_end = "fwdbtn"
                elif item.kind != "music" and rng.random() < 0.5:
                    played = rng.randint(60_000, item.duration_ms)
                    reason_end = rng.choice(("endplay", "logout"))
                else:
                    played = max(0, item.duration_ms - rng.randint(0, 1500))
                    reason_end = "trackdone"
                at += played
                offline = rng.random() < 0.03
                out.append(
                    {
                        "ts": _iso(at),
                        "platform": platform,
                        "ms_played": played,
                        "conn_country": spec.country if rng.random() < 0.95 else rng.choice(("FR", "ES", "IT")),
                        "ip_addr": f"192.0.2.{rng.randint(1, 254)}",
                        "master_metadata_track_name": item.title if item.kind == "music" else None,
                        "master_metadata_album_artist_name": item.artist if item.kind == "music" else None,
                        "master_metadata_album_album_name": item.album if item.kind == "music" else None,
                        "spotify_track_uri": item.uri if item.kind == "music" else None,
                        "episode_name": item.title if item.kind == "podcast" else None,
                        "episode_show_name": item.artist if item.kind == "podcast" else None,
                        "spotify_episode_uri": item.uri if item.kind == "podcast" else None,
                        "audiobook_title": item.artist if item.kind == "audiobook" else None,
                        "audiobook_uri": item.album if item.kind == "audiobook" else None,
                        "audiobook_chapter_uri": item.uri if item.kind == "audiobook" else None,
                        "audiobook_chapter_title": item.title if item.kind == "audiobook" else None,
                        "reason_start": reason_start,
                        "reason_end": reason_end,
                        "shuffle": shuffle,
                        "skipped": skip,
                        "offline": offline,
                        "offline_timestamp": (at // 1000 - rng.randint(60, 86_400)) if offline else None,
                        "incognito_mode": incognito,
                    }
                )
                reason_start = "trackdone" if reason_end == "trackdone" else reason_end
                at += rng.randint(0, 3000)
            cursor = at + rng.randint(5 * 60_000, 90 * 60_000)
    out.sort(key=lambda r: r["ts"])
    return out


def _accumulate(values: tuple[float, ...]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


def _old_entry(entry: dict[str, Any], username: str) -> dict[str, Any]:
    """The same play as the older extended layout names it."""
    return {
        "ts": entry["ts"],
        "username": username,
        "platform": entry["platform"],
        "ms_played": entry["ms_played"],
        "conn_country": entry["conn_country"],
        "ip_addr_decrypted": entry["ip_addr"],
        "user_agent_decrypted": "unknown",
        **{k: entry[k] for k in OLD_EXTENDED_FIELDS[7:]},
    }


def _year_span(entries: list[dict[str, Any]]) -> str:
    first, last = entries[0]["ts"][:4], entries[-1]["ts"][:4]
    return first if first == last else f"{first}-{last}"


def export_files(spec: ExportSpec, plays: list[dict[str, Any]]) -> dict[str, bytes]:
    """The files of a download (relative path -> content) holding `plays` in the layouts `spec` asks for."""
    rng = random.Random(spec.seed + 1)
    files: dict[str, bytes] = {}
    dump = orjson.OPT_INDENT_2
    if spec.extended:
        for i, start in enumerate(range(0, len(plays), spec.per_file)):
            chunk = plays[start : start + spec.per_file]
            if spec.old_layout:
                name = f"{OLD_DIR}/endsong_{i}.json"
                files[name] = orjson.dumps([_old_entry(e, spec.username) for e in chunk], option=dump)
            else:
                name = f"{EXTENDED_DIR}/Streaming_History_Audio_{_year_span(chunk)}_{i}.json"
                files[name] = orjson.dumps(chunk, option=dump)
        if spec.videos and plays:
            videos = []
            for _ in range(spec.videos):
                base = rng.choice(plays)
                video = {k: None for k in EXTENDED_FIELDS} | {
                    "ts": base["ts"],
                    "platform": base["platform"],
                    "ms_played": rng.randint(10_000, 600_000),
                    "conn_country": spec.country,
                    "ip_addr": base["ip_addr"],
                    "episode_name": "Video episode",
                    "episode_show_name": "The Daily Groove",
                    "spotify_episode_uri": f"spotify:episode:{_spotify_id(rng)}",
                    "reason_start": "clickrow",
                    "reason_end": "endplay",
                    "shuffle": False,
                    "skipped": False,
                    "offline": False,
                    "incognito_mode": False,
                }
                videos.append(video)
            videos.sort(key=lambda r: r["ts"])
            folder = OLD_DIR if spec.old_layout else EXTENDED_DIR
            files[f"{folder}/Streaming_History_Video_{_year_span(videos)}.json"] = orjson.dumps(videos, option=dump)
        if spec.extras:
            folder = OLD_DIR if spec.old_layout else EXTENDED_DIR
            files[f"{folder}/ReadMeFirst_ExtendedStreamingHistory.pdf"] = b"%PDF-1.4\n% not a real read-me\n%%EOF\n"
    if spec.account_data and plays:
        last = datetime.fromisoformat(plays[-1]["ts"])
        since = (last - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
        recent = [p for p in plays if p["ts"] >= since and not p["incognito_mode"]]
        music = [
            {
                "endTime": _minute(_ms(p["ts"])),
                "artistName": p["master_metadata_album_artist_name"],
                "trackName": p["master_metadata_track_name"],
                "msPlayed": p["ms_played"],
            }
            for p in recent
            if p["master_metadata_track_name"]
        ]
        podcasts = [
            {
                "endTime": _minute(_ms(p["ts"])),
                "podcastName": p["episode_show_name"],
                "episodeName": p["episode_name"],
                "msPlayed": p["ms_played"],
            }
            for p in recent
            if p["episode_name"]
        ]
        for i, start in enumerate(range(0, len(music), spec.account_per_file)):
            files[f"{ACCOUNT_DIR}/StreamingHistory_music_{i}.json"] = orjson.dumps(
                music[start : start + spec.account_per_file], option=dump
            )
        if podcasts:
            files[f"{ACCOUNT_DIR}/StreamingHistory_podcast_0.json"] = orjson.dumps(podcasts, option=dump)
        if spec.extras:
            files[f"{ACCOUNT_DIR}/Userdata.json"] = orjson.dumps(
                {"username": spec.username, "country": spec.country, "creationTime": "2015-03-02"}, option=dump
            )
            files[f"{ACCOUNT_DIR}/Playlist1.json"] = orjson.dumps(
                {"playlists": [{"name": "Läuft", "lastModifiedDate": "2024-01-01", "items": []}]}, option=dump
            )
    return files


def _ms(ts: str) -> int:
    return int(datetime.fromisoformat(ts).timestamp() * 1000)


def generate_export(
    out: Path, spec: ExportSpec | None = None, *, as_zip: bool = False, catalog: list[dict[str, Any]] | None = None
) -> GeneratedExport:
    """Write a realistic download under `out` (a folder, or `out/my_spotify_data.zip` with `as_zip`)."""
    spec = spec or ExportSpec()
    plays = generate_plays(spec, catalog)
    files = export_files(spec, plays)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    root = out / ZIP_NAME if as_zip else out
    if as_zip:
        with zipfile.ZipFile(root, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
    else:
        for name, data in files.items():
            path = out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    made = GeneratedExport(root=root, files={name: len(data) for name, data in files.items()})
    catalog_uris = {r["uri"] for r in (catalog if catalog is not None else load_catalog_rows())}
    unknown = set()
    for p in plays:
        if p["master_metadata_track_name"]:
            made.music += 1
            made.skips += p["ms_played"] < 30_000 or p["skipped"]
            if p["spotify_track_uri"] not in catalog_uris:
                unknown.add((p["spotify_track_uri"], p["master_metadata_track_name"]))
        elif p["episode_name"]:
            made.podcasts += 1
        else:
            made.audiobooks += 1
        made.incognito += p["incognito_mode"]
    made.unknown_tracks = len(unknown)
    made.videos = spec.videos if spec.extended and plays else 0
    if spec.account_data and plays:
        last = datetime.fromisoformat(plays[-1]["ts"])
        since = (last - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
        recent = [p for p in plays if p["ts"] >= since and not p["incognito_mode"]]
        made.account_music = sum(1 for p in recent if p["master_metadata_track_name"])
        made.account_podcasts = sum(1 for p in recent if p["episode_name"])
    if plays:
        made.first = datetime.fromisoformat(plays[0]["ts"])
        made.last = datetime.fromisoformat(plays[-1]["ts"])
    return made
