"""Listening-history tools: import Spotify's downloads, and answer questions about what a person played (top
lists, the listening clock, recent plays, search, sessions, totals, discoveries), export it all, delete it.

Queries compute on the user's plays as numpy columns (tools/history_frame.py), in the person's time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from echotune.tools.derived import on_forget
from echotune.tools.errors import InvalidInputError, NotFoundError
from echotune.tools.history_import import ImportReport
from echotune.tools.registry import ToolInput, tool

if TYPE_CHECKING:
    from rich.console import RenderableType

    from echotune.tools.context import Context
    from echotune.tools.history_frame import Frame
    from echotune.tools.periods import Period

PERIOD_HELP = (
    "Which plays: 'all' (default), 'last month', 'this year', '2023', '2024-05', 'last 30 days', "
    "'since 2022-01-01', '2023-01-01 to 2023-06-30'; relative dates work in many languages ('letzte Woche')."
)
TIMEZONE_HELP = "IANA time zone for hours, days and months, e.g. 'Europe/Berlin'; default: this machine's."
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class PeriodInput(ToolInput):
    period: str = Field("all", max_length=100, description=PERIOD_HELP)
    timezone: str | None = Field(None, max_length=64, description=TIMEZONE_HELP)


def resolve(ctx: Context, args: PeriodInput) -> tuple[Frame, Period, Any]:
    """The user's history columns, the period asked for, and the time zone."""
    from echotune.tools.history_frame import frame
    from echotune.tools.periods import parse_period, zone

    tz = zone(args.timezone)
    return frame(ctx), parse_period(args.period, ctx.clock(), tz), tz


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _empty_hint(f: Frame) -> str:
    if len(f) == 0:
        return "import your Spotify history first: `echotune history import my_spotify_data.zip`"
    return "try a longer period, e.g. --period all"


@on_forget
def forget_history_cache(ctx: Context, user: str) -> None:
    """The cached history columns (memory and disk) are derived from plays."""
    from echotune.tools.history_frame import drop

    drop(ctx, user)


# -- import ------------------------------------------------------------------------------------------------


class HistoryImportInput(ToolInput):
    paths: list[str] = Field(
        min_length=1,
        max_length=100,
        description="The my_spotify_data.zip as downloaded, the folder it unpacks to, and/or single JSON files "
        "(Streaming_History_Audio_*.json, endsong_*.json, StreamingHistory_music_*.json, ...).",
    )


@tool(
    effect="act",
    idempotent=True,
    cli=("history", "import"),
    examples=(
        "import my spotify history from ~/Downloads/my_spotify_data.zip",
        "load my listening history export",
        "import the Spotify data folder I downloaded",
    ),
)
def history_import(ctx: Context, args: HistoryImportInput) -> ImportReport:
    """Import Spotify listening-history downloads (extended streaming history or account data; the zip, its
    folder, or single files). Idempotent: plays already stored are counted as duplicates, never twice. Reports
    per file what was imported, duplicated or invalid (with the reason)."""
    from echotune.tools.files import user_path
    from echotune.tools.history_import import import_history

    return import_history(ctx, [str(user_path(ctx, p)) for p in args.paths])


# -- top lists ---------------------------------------------------------------------------------------------


class TopEntry(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("rank", "name", "by", "plays", "minutes", "share")

    rank: int
    name: str = Field(description="Track title, artist, genre or show.")
    by: str | None = Field(None, description="The artist (tracks) or host (shows).")
    track_id: str | None = Field(None, description="Catalog track id, for tracks that are in the catalog.")
    plays: int
    minutes: float = Field(description="Minutes listened.")
    share: float = Field(description="Share of the period's plays (tracks/artists/shows) or tagged plays (genres).")


class TopOutput(BaseModel):
    what: str
    period: str
    plays_in_period: int
    entries: list[TopEntry]

    def __rich__(self) -> RenderableType:
        from echotune.tools.charts import bar_chart, with_table

        labels = [f"{e.name} — {e.by}" if e.by else e.name for e in self.entries]
        return with_table(self, bar_chart(labels, [e.plays for e in self.entries], f"Top {self.what}, {self.period}"))


class HistoryTopInput(PeriodInput):
    what: Literal["tracks", "artists", "genres", "shows"] = Field(
        "tracks", description="Rank tracks, artists, genres (from the catalog) or podcast shows."
    )
    limit: int = Field(10, ge=1, le=100, description="How many to list.")
    by: Literal["plays", "time"] = Field("plays", description="Rank by number of plays or by time listened.")
    include_skips: bool = Field(True, description="Count plays under 30 s and skipped ones.")


@tool(
    cli=("history", "top"),
    examples=(
        "what were my top tracks last month",
        "who are my most played artists this year",
        "my top genres in 2023",
        "which podcasts do I listen to most",
    ),
)
def history_top(ctx: Context, args: HistoryTopInput) -> TopOutput:
    """Rank what the user played most in a period: tracks, artists, genres or podcast shows, by plays or by
    time listened."""
    import numpy as np

    f, period, _ = resolve(ctx, args)
    part = f.bounds(period)
    kinds = f.kind_of(part)
    want_kind = 1 if args.what == "shows" else 0
    mask = kinds == want_kind
    if not args.include_skips:
        mask &= ~f.skipped[part]
    weights = f.ms[part][mask].astype(np.float64)
    total = int(mask.sum())
    if total == 0:
        raise NotFoundError(f"No plays in {period.label}", hint=_empty_hint(f))
    if args.what == "genres":
        names, pair_song, pair_genre = f.genre_pairs(ctx)
        songs = f.song[part][mask]
        plays_per_song = np.bincount(songs, minlength=len(f.songs))
        ms_per_song = np.bincount(songs, weights=weights, minlength=len(f.songs))
        plays = np.bincount(pair_genre, weights=plays_per_song[pair_song], minlength=len(names))
        ms = np.bincount(pair_genre, weights=ms_per_song[pair_song], minlength=len(names))
        tagged = int(plays_per_song[np.unique(pair_song)].sum()) if len(pair_song) else 0
        if tagged == 0:
            raise NotFoundError(
                f"None of the tracks played in {period.label} has genres in the catalog",
                hint="genres come from the bundled catalog; learnt tracks have none",
            )
        order = np.argsort(-(plays if args.by == "plays" else ms), kind="stable")[: args.limit]
        entries = [
            TopEntry(
                rank=r + 1,
                name=names[g],
                plays=int(plays[g]),
                minutes=round(ms[g] / 60000, 1),
                share=round(plays[g] / tagged, 4),
            )
            for r, g in enumerate(order)
            if plays[g] > 0
        ]
        return TopOutput(what=args.what, period=period.label, plays_in_period=total, entries=entries)
    if args.what in ("artists", "shows"):  # a show is the "artist" of its episodes
        codes, size = f.artist[part][mask], len(f.artists)
    else:
        codes, size = f.song[part][mask], len(f.songs)
    plays = np.bincount(codes, minlength=size)
    ms = np.bincount(codes, weights=weights, minlength=size)
    order = np.argsort(-(plays if args.by == "plays" else ms), kind="stable")[: args.limit]
    entries = []
    for r, code in enumerate(order):
        if plays[code] == 0:
            break
        if args.what in ("artists", "shows"):
            name, by, tid = f.artists[code], None, None
        else:
            tid, name, by = f.songs[code]
        entries.append(
            TopEntry(
                rank=r + 1,
                name=name,
                by=by,
                track_id=tid,
                plays=int(plays[code]),
                minutes=round(ms[code] / 60000, 1),
                share=round(plays[code] / total, 4),
            )
        )
    return TopOutput(what=args.what, period=period.label, plays_in_period=total, entries=entries)


# -- clock -------------------------------------------------------------------------------------------------


class ClockOutput(BaseModel):
    period: str
    timezone: str
    plays: int
    by_hour: list[int] = Field(description="Plays per local hour, 0-23.")
    by_weekday: list[int] = Field(description="Plays per weekday, Monday first.")
    matrix: list[list[int]] = Field(description="Plays per weekday (rows, Monday first) and hour (columns).")
    peak_hour: int
    peak_weekday: str

    def __rich__(self) -> RenderableType:
        from rich.console import Group

        from echotune.tools.charts import bar_chart, heatmap

        return Group(
            f"[bold]Listening clock[/] — {self.period}, {self.timezone}: {self.plays:,} plays, busiest "
            f"{self.peak_weekday} around {self.peak_hour}:00",
            heatmap(list(WEEKDAYS), [f"{h:02d}" for h in range(24)], self.matrix),
            bar_chart([f"{h:02d}" for h in range(24)], self.by_hour, "Plays by hour", vertical=True),
        )


class HistoryClockInput(PeriodInput):
    pass


@tool(
    cli=("history", "clock"),
    examples=(
        "when do I listen to music",
        "what time of day do I listen most",
        "show my listening by weekday and hour",
    ),
)
def history_clock(ctx: Context, args: HistoryClockInput) -> ClockOutput:
    """The listening clock: how many plays fall in each local hour and weekday (and both), with the peaks."""
    import numpy as np

    from echotune.tools.history_frame import DAY_MS, HOUR_MS

    f, period, tz = resolve(ctx, args)
    part = f.bounds(period)
    local = f.local(tz, part)
    if len(local) == 0:
        raise NotFoundError(f"No plays in {period.label}", hint=_empty_hint(f))
    hours = (local // HOUR_MS) % 24
    weekdays = (local // DAY_MS + 3) % 7  # 1970-01-01 was a Thursday
    matrix = np.bincount(weekdays * 24 + hours, minlength=7 * 24).reshape(7, 24)
    by_hour, by_weekday = matrix.sum(axis=0), matrix.sum(axis=1)
    return ClockOutput(
        period=period.label,
        timezone=str(tz),
        plays=len(local),
        by_hour=by_hour.tolist(),
        by_weekday=by_weekday.tolist(),
        matrix=matrix.tolist(),
        peak_hour=int(by_hour.argmax()),
        peak_weekday=WEEKDAYS[int(by_weekday.argmax())],
    )


# -- recent and search ---------------------------------------------------------------------------------------


class PlayedItem(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("played_at", "title", "artist", "kind", "minutes", "skipped")

    played_at: datetime
    title: str
    artist: str
    album: str | None = None
    kind: str
    minutes: float
    skipped: bool
    track_id: str | None = None


class RecentOutput(BaseModel):
    plays: list[PlayedItem]


class HistoryRecentInput(ToolInput):
    limit: int = Field(20, ge=1, le=500, description="How many plays, newest first.")
    kind: Literal["music", "podcast", "audiobook", "any"] = Field("any", description="Only plays of this kind.")


@tool(
    cli=("history", "recent"),
    examples=("what did I listen to recently", "show my last 10 plays", "what was the last podcast I heard"),
)
def history_recent(ctx: Context, args: HistoryRecentInput) -> RecentOutput:
    """The user's most recent plays, newest first, optionally only music, podcasts or audiobooks."""
    found: list[PlayedItem] = []
    until = None
    while len(found) < args.limit:
        batch = ctx.store.plays.list(ctx.user, until=until, limit=max(50, args.limit * 2))
        for p in batch:
            if args.kind in ("any", p.kind):
                found.append(
                    PlayedItem(
                        played_at=p.played_at, title=p.title, artist=p.artist, album=p.album, kind=p.kind,
                        minutes=round(p.ms_played / 60000, 2), skipped=p.skipped, track_id=p.track_id,
                    )
                )  # fmt: skip
        if len(batch) < max(50, args.limit * 2):
            break
        until = batch[-1].played_at
    return RecentOutput(plays=found[: args.limit])


class SearchHit(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("title", "artist", "plays", "first_played", "last_played", "score")

    title: str
    artist: str
    kind: str
    track_id: str | None = None
    plays: int
    minutes: float
    first_played: datetime
    last_played: datetime
    score: float = Field(description="Match quality, 0-100.")


class SearchOutput(BaseModel):
    query: str
    period: str
    hits: list[SearchHit]


class HistorySearchInput(PeriodInput):
    query: str = Field(min_length=1, max_length=200, description="Words from a title, artist or show; typos are ok.")
    limit: int = Field(10, ge=1, le=100, description="How many tracks to list.")


@tool(
    cli=("history", "search"),
    cli_args=("query",),
    examples=(
        "did I ever listen to bohemian rhapsody",
        "how often have I played songs by adele",
        "find that podcast episode I heard about science",
    ),
)
def history_search(ctx: Context, args: HistorySearchInput) -> SearchOutput:
    """Search the user's history by title, artist or show (typo-tolerant): each matching track with how often
    and when it was played."""
    import numpy as np
    from rapidfuzz import fuzz, process

    from echotune.tools.text import normalize

    f, period, _ = resolve(ctx, args)
    part = f.bounds(period)
    songs = f.song[part]
    if len(songs) == 0:
        raise NotFoundError(f"No plays in {period.label}", hint=_empty_hint(f))
    plays = np.bincount(songs, minlength=len(f.songs))
    texts = f._meta.get("search_texts")
    if texts is None:
        texts = f._meta["search_texts"] = [normalize(f"{t} {a}") for _, t, a in f.songs]
    query = normalize(args.query)
    scores = process.cdist([query], texts, scorer=fuzz.token_set_ratio, dtype=np.uint8)[0].astype(np.float64)
    scores[plays == 0] = 0
    ranked = np.lexsort((-plays, -scores))  # best match first, then most played
    found = [(float(scores[c]), int(c)) for c in ranked[: args.limit] if scores[c] >= 70]
    at, ms = f.at[part], f.ms[part]
    hits = []
    for score, code in found:
        where = np.flatnonzero(songs == code)
        tid, title, artist = f.songs[code]
        kind_code = f.kind[part][where[0]]
        hits.append(
            SearchHit(
                title=title, artist=artist, kind=("music", "podcast", "audiobook")[kind_code], track_id=tid,
                plays=len(where), minutes=round(float(ms[where].sum()) / 60000, 1),
                first_played=_when(int(at[where[0]])), last_played=_when(int(at[where[-1]])), score=round(score, 1),
            )
        )  # fmt: skip
    return SearchOutput(query=args.query, period=period.label, hits=hits)


# -- sessions ----------------------------------------------------------------------------------------------


class Session(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("start", "minutes", "plays", "top_artist")

    start: datetime
    end: datetime
    minutes: float
    plays: int
    top_artist: str


class SessionsOutput(BaseModel):
    period: str
    gap_minutes: int
    sessions: int
    average_minutes: float
    average_plays: float
    longest: Session | None
    recent: list[Session] = Field(description="The latest sessions, newest first.")


class HistorySessionsInput(PeriodInput):
    gap_minutes: int = Field(30, ge=1, le=24 * 60, description="A pause longer than this starts a new session.")
    limit: int = Field(10, ge=0, le=200, description="How many of the latest sessions to list.")


def sessions_of(f: Frame, part: slice, gap_minutes: int) -> tuple[Any, Any]:
    """(first index, last index) of each listening session in `part` (arrays, relative to the part)."""
    import numpy as np

    at, ms = f.at[part], f.ms[part]
    if len(at) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = at - ms
    breaks = np.flatnonzero(starts[1:] - at[:-1] > gap_minutes * 60_000) + 1
    first = np.concatenate(([0], breaks))
    last = np.concatenate((breaks - 1, [len(at) - 1]))
    return first, last


@tool(
    cli=("history", "sessions"),
    examples=("how long are my listening sessions", "show my recent listening sessions", "what was my longest session"),
)
def history_sessions(ctx: Context, args: HistorySessionsInput) -> SessionsOutput:
    """Listening sessions in a period (a pause of more than gap_minutes, 30 by default, splits them): how many,
    how long on average, the longest, and the latest."""
    import numpy as np

    f, period, _ = resolve(ctx, args)
    part = f.bounds(period)
    first, last = sessions_of(f, part, args.gap_minutes)
    if len(first) == 0:
        raise NotFoundError(f"No plays in {period.label}", hint=_empty_hint(f))
    at, ms = f.at[part], f.ms[part]
    start_ms = at[first] - ms[first]
    minutes = (at[last] - start_ms) / 60000
    artists = f.artist[part]

    def session(i: int) -> Session:
        a, b = int(first[i]), int(last[i])
        top = int(np.bincount(artists[a : b + 1]).argmax())
        return Session(
            start=_when(int(start_ms[i])),
            end=_when(int(at[b])),
            minutes=round(float(minutes[i]), 1),
            plays=b - a + 1,
            top_artist=f.artists[top],
        )

    longest = int(np.argmax(minutes))
    return SessionsOutput(
        period=period.label,
        gap_minutes=args.gap_minutes,
        sessions=len(first),
        average_minutes=round(float(minutes.mean()), 1),
        average_plays=round(float((last - first + 1).mean()), 1),
        longest=session(longest),
        recent=[session(i) for i in range(len(first) - 1, max(-1, len(first) - 1 - args.limit), -1)],
    )


# -- totals ------------------------------------------------------------------------------------------------


class TotalsOutput(BaseModel):
    period: str
    plays: int
    music_plays: int
    podcast_plays: int
    audiobook_plays: int
    hours: float = Field(description="Hours listened, everything.")
    music_hours: float
    distinct_tracks: int
    distinct_artists: int
    skips: int = Field(description="Music plays under 30 s or skipped.")
    skip_rate: float = Field(description="skips / music plays.")
    first_play: datetime | None
    last_play: datetime | None
    active_days: int = Field(description="Local days with at least one play.")
    minutes_per_active_day: float


class HistoryTotalsInput(PeriodInput):
    pass


def totals(ctx: Context, f: Frame, period: Period, tz: Any) -> TotalsOutput:
    from echotune.tools.history_frame import DAY_MS, distinct

    part = f.bounds(period)
    kinds = f.kind_of(part)
    ms = f.ms[part]
    music = kinds == 0
    days = f.local(tz, part) // DAY_MS
    active_days = distinct(days - days.min(), int(days.max() - days.min()) + 1) if len(days) else 0
    n_music = int(music.sum())
    skips = int((f.skipped[part] & music).sum())
    return TotalsOutput(
        period=period.label,
        plays=len(ms),
        music_plays=n_music,
        podcast_plays=int((kinds == 1).sum()),
        audiobook_plays=int((kinds == 2).sum()),
        hours=round(float(ms.sum()) / 3_600_000, 1),
        music_hours=round(float(ms[music].sum()) / 3_600_000, 1),
        distinct_tracks=distinct(f.song[part][music], len(f.songs)),
        distinct_artists=distinct(f.artist[part][music], len(f.artists)),
        skips=skips,
        skip_rate=round(skips / n_music, 4) if n_music else 0.0,
        first_play=_when(int(f.at[part][0])) if len(ms) else None,
        last_play=_when(int(f.at[part][-1])) if len(ms) else None,
        active_days=active_days,
        minutes_per_active_day=round(float(ms.sum()) / 60000 / active_days, 1) if active_days else 0.0,
    )


@tool(
    cli=("history", "totals"),
    examples=(
        "how much music did I listen to this year",
        "how many hours have I listened in total",
        "what is my skip rate",
        "how many different artists did I play last month",
    ),
)
def history_totals(ctx: Context, args: HistoryTotalsInput) -> TotalsOutput:
    """Totals for a period: plays by kind, hours listened, distinct tracks and artists, skips and skip rate,
    first and last play, active days."""
    f, period, tz = resolve(ctx, args)
    if len(f) == 0:
        raise NotFoundError("No listening history yet", hint=_empty_hint(f))
    return totals(ctx, f, period, tz)


# -- discoveries -------------------------------------------------------------------------------------------


class MonthDiscoveries(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("month", "plays", "new_tracks", "new_artists", "discovery_rate")

    month: str
    plays: int
    new_tracks: int = Field(description="Tracks played for the first time ever this month.")
    new_artists: int = Field(description="Artists played for the first time ever this month.")
    discovery_rate: float = Field(description="Share of this month's distinct tracks that were new.")


class DiscoveriesOutput(BaseModel):
    period: str
    months: list[MonthDiscoveries]
    new_tracks: int
    new_artists: int

    def __rich__(self) -> RenderableType:
        from echotune.tools.charts import bar_chart, with_table

        shown = self.months[-24:]
        return with_table(
            self,
            bar_chart([m.month for m in shown], [m.new_tracks for m in shown], "New tracks per month", vertical=True),
        )


class HistoryDiscoveriesInput(PeriodInput):
    pass


def discoveries(f: Frame, period: Period, tz: Any) -> DiscoveriesOutput:
    import numpy as np

    from echotune.tools.history_frame import firsts

    music, first_song, first_artist = firsts(f)
    songs = f.song[music]
    month_all, labels = f.months(tz)
    month_of_play = month_all[music]
    n_months = len(labels)
    new_tracks = np.bincount(month_of_play[first_song], minlength=n_months)
    new_artists = np.bincount(month_of_play[first_artist], minlength=n_months)
    plays = np.bincount(month_of_play, minlength=n_months)
    seen = np.zeros((max(1, n_months), len(f.songs)), dtype=bool)
    seen[month_of_play, songs] = True
    distinct = seen.sum(axis=1)
    at = f.at[music]
    lo = 0 if period.since is None else np.searchsorted(at, int(period.since.timestamp() * 1000))
    hi = len(at) if period.until is None else np.searchsorted(at, int(period.until.timestamp() * 1000))
    if hi <= lo:
        return DiscoveriesOutput(period=period.label, months=[], new_tracks=0, new_artists=0)
    m_lo, m_hi = int(month_of_play[lo]), int(month_of_play[hi - 1])
    months = [
        MonthDiscoveries(
            month=labels[m],
            plays=int(plays[m]),
            new_tracks=int(new_tracks[m]),
            new_artists=int(new_artists[m]),
            discovery_rate=round(float(new_tracks[m] / distinct[m]), 4) if distinct[m] else 0.0,
        )
        for m in range(m_lo, m_hi + 1)
    ]
    return DiscoveriesOutput(
        period=period.label,
        months=months,
        new_tracks=sum(m.new_tracks for m in months),
        new_artists=sum(m.new_artists for m in months),
    )


@tool(
    cli=("history", "discoveries"),
    examples=(
        "how many new songs did I discover each month",
        "when did I find the most new artists",
        "am I still discovering new music",
    ),
)
def history_discoveries(ctx: Context, args: HistoryDiscoveriesInput) -> DiscoveriesOutput:
    """New discoveries per month: tracks and artists played for the first time ever, and the share of each
    month's tracks that were new."""
    f, period, tz = resolve(ctx, args)
    if len(f) == 0:
        raise NotFoundError("No listening history yet", hint=_empty_hint(f))
    return discoveries(f, period, tz)


# -- export and delete -------------------------------------------------------------------------------------


class HistoryExportInput(ToolInput):
    out: str | None = Field(
        None,
        max_length=1000,
        description="File to write (JSON); default: echotune-export-<user>-<date>.json in the data folder.",
    )


class ExportOutput(BaseModel):
    path: str
    plays: int
    settings_changes: int
    feedback: int
    events: int
    bytes: int


@tool(
    effect="act",
    idempotent=True,
    cli=("history", "export"),
    examples=("export all my data", "give me a copy of my listening history", "download everything you store about me"),
)
def history_export(ctx: Context, args: HistoryExportInput) -> ExportOutput:
    """Write all of the user's data EchoTune stores (plays, settings and their history, feedback, tool-call
    events) to one JSON file, for portability."""
    from echotune.tools.files import user_path
    from echotune.tools.history_export import export_user

    if args.out:
        path = user_path(ctx, args.out)
    else:
        name = f"echotune-export-{ctx.user}-{ctx.clock():%Y%m%d-%H%M%S}.json"
        path = Path(ctx.config.data_dir) / name if ctx.local_files else user_path(ctx, name)
    return ExportOutput(**export_user(ctx, path))


class HistoryDeleteInput(ToolInput):
    before: date | None = Field(None, description="Delete plays before this date (YYYY-MM-DD, in UTC).")
    all: bool = Field(False, description="Delete every play (the whole history).")
    confirm: bool = Field(False, description="Must be true: deleting cannot be undone. Without it nothing is deleted.")

    @model_validator(mode="after")
    def _one_scope(self) -> HistoryDeleteInput:
        if (self.before is None) == (not self.all):
            raise ValueError("give either before (a date) or all=true, not both and not neither")
        return self


class DeleteOutput(BaseModel):
    deleted: int = Field(description="Plays deleted.")
    remaining: int = Field(description="Plays still stored.")
    forgotten: list[str] = Field(description="Derived data removed with them (caches, taste vectors, insights).")


@tool(
    effect="destroy",
    cli=("history", "delete"),
    examples=(
        "delete my listening history",
        "forget everything I played before 2020",
        "erase all my plays",
    ),
)
def history_delete(ctx: Context, args: HistoryDeleteInput) -> DeleteOutput:
    """Delete the user's plays, all of them or those before a date, with everything derived from them (taste
    vectors, caches, insights). Needs confirm=true; cannot be undone."""
    import numpy as np

    from echotune.tools.history_frame import frame

    before = datetime(args.before.year, args.before.month, args.before.day, tzinfo=UTC) if args.before else None
    if not args.confirm:
        f = frame(ctx)
        would = int(np.searchsorted(f.at, int(before.timestamp() * 1000))) if before else len(f)
        scope = f"before {args.before.isoformat()}" if args.before else "(all of them)"
        raise InvalidInputError(
            f"This would delete {would:,} plays {scope} and what was derived from them; nothing was deleted.",
            hint="repeat with confirm=true (CLI: --confirm) to delete them",
        )
    from echotune.tools.derived import forget

    deleted = ctx.store.plays.delete(ctx.user, before=before)
    forgotten = forget(ctx, ctx.user)
    return DeleteOutput(deleted=deleted, remaining=ctx.store.plays.count(ctx.user), forgotten=forgotten)
