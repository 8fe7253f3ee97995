"""Personal insights from listening history: the listening clock, diversity (genre entropy), discovery rate,
taste evolution by month (genre shares and audio-feature averages), a music-journey timeline, and listeners
like you (opt-in, from other users of the same store). Shown as terminal charts, or as one self-contained
offline HTML report with interactive charts (tools/insights_report.py).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from pydantic import BaseModel, Field

from echotune.tools.errors import NotFoundError
from echotune.tools.history import (
    ClockOutput,
    DiscoveriesOutput,
    MonthDiscoveries,
    PeriodInput,
    TopEntry,
    TopOutput,
    TotalsOutput,
    resolve,
)
from echotune.tools.registry import call_tool, tool

if TYPE_CHECKING:
    from rich.console import RenderableType

    from echotune.tools.context import Context
    from echotune.tools.history_frame import Frame

M = TypeVar("M", bound=BaseModel)
TASTE_GENRES = 6
FEATURES = ("energy", "valence", "danceability")
MAX_NEIGHBOURS = 3
MAX_OTHER_USERS = 200


class Diversity(BaseModel):
    genre_entropy_bits: float = Field(description="Shannon entropy of the genre mix of music plays, in bits.")
    genre_evenness: float = Field(description="Entropy / its maximum for that many genres: 0 = one genre, 1 = even.")
    effective_genres: float = Field(description="2^entropy: how many equally played genres give the same mix.")
    artist_entropy_bits: float
    effective_artists: float
    top_genre: str | None
    top_genre_share: float


class MonthTaste(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("month", "plays", "top_genre", *FEATURES)

    month: str
    plays: int = Field(description="Music plays that month.")
    top_genre: str | None
    genre_shares: dict[str, float] = Field(description="Share of the month's genre-tagged plays per top genre.")
    energy: float | None = None
    valence: float | None = None
    danceability: float | None = None


class JourneyEvent(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("date", "what", "detail")

    date: datetime
    what: str
    detail: str


class Neighbour(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("listener", "similarity", "shared_artists", "they_also_love")

    listener: str = Field(description="Another listener of this store, anonymised.")
    similarity: float = Field(description="Cosine similarity of artist play counts, 0-1.")
    shared_artists: list[str]
    they_also_love: list[str] = Field(description="Artists they play a lot that you have not played.")


class ListenersLikeYou(BaseModel):
    enabled: bool
    note: str
    neighbours: list[Neighbour] = Field(default_factory=list)


class Discovery(BaseModel):
    new_tracks: int
    new_artists: int
    rate: float = Field(description="Share of the period's distinct tracks that were first heard in it.")
    per_month: float = Field(description="New tracks per month, on average.")
    months: list[MonthDiscoveries] = Field(description="Per month: plays, new tracks, new artists, discovery rate.")


class InsightsSummary(BaseModel):
    """Everything the insights show, for one period."""

    user: str
    period: str
    timezone: str
    totals: TotalsOutput
    clock: ClockOutput
    top_artists: list[TopEntry]
    top_tracks: list[TopEntry]
    top_genres: list[TopEntry]
    diversity: Diversity
    discovery: Discovery
    taste: list[MonthTaste] = Field(description="Taste evolution by month.")
    journey: list[JourneyEvent] = Field(description="The music journey: milestones and each year's favourites.")
    listeners_like_you: ListenersLikeYou

    def __rich__(self) -> RenderableType:
        from echotune.tools.insights_terminal import summary_view

        return summary_view(self)


class InsightsSummaryInput(PeriodInput):
    top: int = Field(5, ge=1, le=25, description="How many top artists, tracks and genres to show.")


def _entropy(weights: Any) -> tuple[float, float, int]:
    """(entropy in bits, evenness 0-1, categories with weight) of a weight vector."""
    import numpy as np

    w = np.asarray(weights, dtype=np.float64)
    w = w[w > 0]
    if len(w) == 0:
        return 0.0, 0.0, 0
    p = w / w.sum()
    h = float(-(p * np.log2(p)).sum())
    return h, (h / math.log2(len(p)) if len(p) > 1 else 0.0), len(p)


def genre_weights(ctx: Context, f: Frame, songs: Any) -> tuple[list[str], Any]:
    """Genre names and the play weight of each, a play split evenly over its track's genres."""
    import numpy as np

    names, pair_song, pair_genre = f.genre_pairs(ctx)
    if not len(pair_song):
        return names, np.zeros(len(names))
    per_song = np.bincount(songs, minlength=len(f.songs)).astype(np.float64)
    n_genres = np.bincount(pair_song, minlength=len(f.songs))
    w = per_song[pair_song] / n_genres[pair_song]
    return names, np.bincount(pair_genre, weights=w, minlength=len(names))


def diversity(ctx: Context, f: Frame, part: slice) -> Diversity:
    import numpy as np

    music = f.kind[part] == 0
    songs = f.song[part][music]
    names, weights = genre_weights(ctx, f, songs)
    h, even, _ = _entropy(weights)
    ah, _, _ = _entropy(np.bincount(f.artist[part][music], minlength=len(f.artists)))
    top = int(np.argmax(weights)) if len(weights) and weights.sum() > 0 else None
    return Diversity(
        genre_entropy_bits=round(h, 3),
        genre_evenness=round(even, 3),
        effective_genres=round(2**h, 1),
        artist_entropy_bits=round(ah, 3),
        effective_artists=round(2**ah, 1),
        top_genre=names[top] if top is not None else None,
        top_genre_share=round(float(weights[top] / weights.sum()), 4) if top is not None else 0.0,
    )


def taste_by_month(ctx: Context, f: Frame, part: slice, tz: Any) -> list[MonthTaste]:
    """Genre shares (the period's top genres) and audio-feature averages of music plays, month by month."""
    import numpy as np

    from echotune.tools.history_frame import FEATURES as FRAME_FEATURES

    music = f.kind[part] == 0
    songs = f.song[part][music]
    if len(songs) == 0:
        return []
    months, labels = f.months(tz, part)
    months = months[music]
    n_months, n_songs = len(labels), len(f.songs)
    names, weights = genre_weights(ctx, f, songs)
    top = [int(g) for g in np.argsort(-weights)[:TASTE_GENRES] if weights[g] > 0]
    _, pair_song, pair_genre = f.genre_pairs(ctx)
    share_of = np.zeros((n_songs, len(top)))  # the part of a song's plays each top genre gets
    tagged = np.zeros(n_songs)
    if len(pair_song):
        n_genres = np.bincount(pair_song, minlength=n_songs)
        tagged = (n_genres > 0).astype(np.float64)
        for k, g in enumerate(top):
            sel = pair_genre == g
            share_of[:, k] = np.bincount(pair_song[sel], weights=1.0 / n_genres[pair_song[sel]], minlength=n_songs)
    # plays per (month, song) first: every sum below then runs over those pairs, not over every play
    flat = np.bincount(months.astype(np.int64) * n_songs + songs, minlength=n_months * n_songs)
    nz = np.flatnonzero(flat)
    pm, ps, pc = nz // n_songs, nz % n_songs, flat[nz].astype(np.float64)
    per_genre = np.stack(
        [np.bincount(pm, weights=pc * share_of[ps, k], minlength=n_months) for k in range(len(top))], axis=1
    ) if top else np.zeros((n_months, 0))  # fmt: skip
    tagged_plays = np.bincount(pm, weights=pc * tagged[ps], minlength=n_months)
    _, feats, has = f.song_meta(ctx)
    known = has[ps]
    cols = [FRAME_FEATURES.index(name) for name in FEATURES]
    feature_sums = np.stack(
        [np.bincount(pm[known], weights=pc[known] * feats[ps[known], c], minlength=n_months) for c in cols], axis=1
    )
    feature_counts = np.bincount(pm[known], weights=pc[known], minlength=n_months)
    plays = np.bincount(pm, weights=pc, minlength=n_months).astype(np.int64)
    out = []
    for m in range(n_months):
        if plays[m] == 0:
            continue
        shares = {
            names[g]: round(float(per_genre[m, k] / tagged_plays[m]), 4) if tagged_plays[m] else 0.0
            for k, g in enumerate(top)
        }
        avg = {
            name: (round(float(feature_sums[m, j] / feature_counts[m]), 3) if feature_counts[m] else None)
            for j, name in enumerate(FEATURES)
        }
        best = max(shares, key=lambda k: shares[k]) if shares and max(shares.values()) > 0 else None
        out.append(MonthTaste(month=labels[m], plays=int(plays[m]), top_genre=best, genre_shares=shares, **avg))
    return out


def journey(ctx: Context, f: Frame, part: slice, tz: Any) -> list[JourneyEvent]:
    """Milestones (first play, round numbers of plays, the biggest day, the longest session) and each year's
    favourite artist and track, oldest first."""
    import numpy as np

    from echotune.tools.history import sessions_of
    from echotune.tools.history_frame import DAY_MS

    at = f.at[part]
    if len(at) == 0:
        return []
    music_idx = np.flatnonzero(f.kind[part] == 0)
    events: list[JourneyEvent] = []

    def when(ms: int) -> datetime:
        return datetime.fromtimestamp(ms // 1000, UTC)

    def label(i: int) -> str:
        _, title, artist = f.songs[int(f.song[part][i])]
        return f"{title} — {artist}"

    if len(music_idx):
        first_at = int(at[music_idx[0]] - f.ms[part][music_idx[0]])  # events are dated when they began
        events.append(JourneyEvent(date=when(first_at), what="first play", detail=label(music_idx[0])))
        for n in (1_000, 10_000, 100_000, 1_000_000):
            if len(music_idx) >= n:
                i = music_idx[n - 1]
                events.append(JourneyEvent(date=when(int(at[i])), what=f"play #{n:,}", detail=label(i)))
    days = f.local(tz, part) // DAY_MS
    per_day = np.bincount(days - days[0])
    best = int(np.argmax(per_day))
    day_start = int(np.searchsorted(days, days[0] + best))
    events.append(
        JourneyEvent(date=when(int(at[day_start])), what="biggest day", detail=f"{int(per_day[best])} plays in one day")
    )
    first, last = sessions_of(f, part, 30)
    ms = f.ms[part]
    lengths = at[last] - (at[first] - ms[first])
    s = int(np.argmax(lengths))
    events.append(
        JourneyEvent(
            date=when(int(at[first[s]] - ms[first[s]])),
            what="longest session",
            detail=f"{lengths[s] / 3_600_000:.1f} hours, {int(last[s] - first[s] + 1)} plays",
        )
    )
    if len(music_idx):
        month_of, labels = f.months(tz, part)
        year_of_month = np.array([int(x[:4]) for x in labels])
        y0 = int(year_of_month[0])
        years = (year_of_month - y0)[month_of[music_idx]]  # plays are in time order, so years ascend
        n_years = int(years[-1]) + 1
        artists = f.artist[part][music_idx].astype(np.int64)
        songs = f.song[part][music_idx].astype(np.int64)
        by_artist = np.bincount(years * len(f.artists) + artists, minlength=n_years * len(f.artists))
        by_song = np.bincount(years * len(f.songs) + songs, minlength=n_years * len(f.songs))
        top_artists = by_artist.reshape(n_years, len(f.artists)).argmax(axis=1)
        top_songs = by_song.reshape(n_years, len(f.songs)).argmax(axis=1)
        starts = np.searchsorted(years, np.arange(n_years + 1))
        for y in range(n_years):
            if starts[y + 1] == starts[y]:
                continue
            _, title, artist = f.songs[int(top_songs[y])]
            events.append(
                JourneyEvent(
                    date=when(int(at[music_idx[starts[y]]])),
                    what=str(y0 + y),
                    detail=f"{int(starts[y + 1] - starts[y]):,} plays; favourite artist "
                    f"{f.artists[int(top_artists[y])]}; most played {title} — {artist}",
                )
            )
    events.sort(key=lambda e: e.date)
    return events


def listeners_like_you(ctx: Context, f: Frame) -> ListenersLikeYou:
    """Other users of this store whose artist mix is closest, when both sides opted in."""
    import numpy as np

    from echotune.tools.history_frame import frame
    from echotune.tools.settings import read_settings
    from echotune.tools.text import normalize

    if not read_settings(ctx)[1].privacy.listeners_like_you:
        return ListenersLikeYou(
            enabled=False,
            note="off: to compare your taste with other listeners of this store (who opted in too), run "
            "`echotune settings set privacy.listeners_like_you true`",
        )

    def vector(fr: Frame) -> dict[str, float]:
        music = fr.kind == 0
        counts = np.bincount(fr.artist[music], minlength=len(fr.artists))
        return {normalize(fr.artists[a]): float(c) for a, c in enumerate(counts) if c}

    mine = vector(f)
    names = {normalize(a): a for a in f.artists}
    others = [u for u in ctx.store.plays.users() if u != ctx.user][:MAX_OTHER_USERS]
    scored = []
    for user in others:
        if not read_settings(ctx, user)[1].privacy.listeners_like_you:
            continue
        theirs_frame = frame(ctx, user)
        theirs = vector(theirs_frame)
        shared = set(mine) & set(theirs)
        dot = sum(mine[a] * theirs[a] for a in shared)
        norm = math.sqrt(sum(v * v for v in mine.values())) * math.sqrt(sum(v * v for v in theirs.values()))
        if not norm:
            continue
        their_names = {normalize(a): a for a in theirs_frame.artists}
        common = sorted(shared, key=lambda a: -(mine[a] * theirs[a]))[:5]
        new = sorted((a for a in theirs if a not in mine), key=lambda a: -theirs[a])[:5]
        scored.append((dot / norm, [names.get(a, a) for a in common], [their_names.get(a, a) for a in new]))
    scored.sort(key=lambda s: -s[0])
    neighbours = [
        Neighbour(listener=f"listener {i + 1}", similarity=round(sim, 3), shared_artists=common, they_also_love=new)
        for i, (sim, common, new) in enumerate(scored[:MAX_NEIGHBOURS])
    ]
    note = (
        f"compared with {len(scored)} other listener(s) of this store who opted in"
        if scored
        else "no other listener of this store has opted in yet"
    )
    return ListenersLikeYou(enabled=True, note=note, neighbours=neighbours)


def _call(ctx: Context, name: str, args: dict[str, Any], model: type[M]) -> M:
    """Compose another tool (validated and recorded like any call)."""
    return cast(M, call_tool(ctx, name, args))


def summarise(ctx: Context, args: InsightsSummaryInput) -> InsightsSummary:
    f, period, tz = resolve(ctx, args)
    if len(f) == 0:
        raise NotFoundError(
            "No listening history yet",
            hint="import your Spotify history first: `echotune history import my_spotify_data.zip`",
        )
    part = f.bounds(period)
    if part.stop <= part.start:
        raise NotFoundError(f"No plays in {period.label}", hint="try a longer period, e.g. --period all")
    key = ("insights_summary", part.start, part.stop, period.label, str(tz), args.top)
    parts = f.memo(key, lambda: _summary_parts(ctx, f, part, tz, args))  # once per history generation and period
    return InsightsSummary(
        user=ctx.user,
        period=period.label,
        timezone=str(tz),
        **parts,
        listeners_like_you=listeners_like_you(ctx, f),  # other users' plays and settings: asked every time
    )


def _summary_parts(ctx: Context, f: Frame, part: slice, tz: Any, args: InsightsSummaryInput) -> dict[str, Any]:
    """What the summary derives from the user's own plays in `part` alone."""
    common = {"period": args.period, "timezone": args.timezone}
    totals = _call(ctx, "history_totals", common, TotalsOutput)
    clock = _call(ctx, "history_clock", common, ClockOutput)

    def top(what: str) -> list[TopEntry]:
        try:
            return _call(ctx, "history_top", {**common, "what": what, "limit": args.top}, TopOutput).entries
        except NotFoundError:
            return []

    found = _call(ctx, "history_discoveries", common, DiscoveriesOutput)
    distinct = totals.distinct_tracks
    discovery = Discovery(
        new_tracks=found.new_tracks,
        new_artists=found.new_artists,
        rate=round(found.new_tracks / distinct, 4) if distinct else 0.0,
        per_month=round(found.new_tracks / len(found.months), 1) if found.months else 0.0,
        months=found.months,
    )
    return {
        "totals": totals,
        "clock": clock,
        "top_artists": top("artists"),
        "top_tracks": top("tracks"),
        "top_genres": top("genres"),
        "diversity": diversity(ctx, f, part),
        "discovery": discovery,
        "taste": taste_by_month(ctx, f, part, tz),
        "journey": journey(ctx, f, part, tz),
    }


@tool(
    cli=("insights", "summary"),
    examples=(
        "give me insights into my listening",
        "how diverse is my music taste",
        "how has my taste changed over the years",
        "show me my music journey",
        "who listens like me",
    ),
)
def insights_summary(ctx: Context, args: InsightsSummaryInput) -> InsightsSummary:
    """Personal listening insights for a period: totals, listening clock, top artists/tracks/genres, diversity
    (genre entropy), discovery rate, taste evolution by month (genre shares, energy, valence, danceability), the
    music journey, and listeners like you (if opted in). Drawn as charts in a terminal."""
    return summarise(ctx, args)


class InsightsReportInput(PeriodInput):
    out: str = Field(
        "echotune-insights.html", min_length=1, max_length=1000, description="HTML file to write (self-contained)."
    )
    top: int = Field(10, ge=1, le=25, description="How many top artists, tracks and genres to chart.")


class ReportOutput(BaseModel):
    path: str
    bytes: int
    charts: list[str] = Field(description="The charts in the report.")
    period: str


@tool(
    effect="act",
    idempotent=True,
    cli=("insights", "report"),
    examples=(
        "make me an HTML report of my listening",
        "create a listening insights report I can open in a browser",
        "export my music stats as a web page",
    ),
)
def insights_report(ctx: Context, args: InsightsReportInput) -> ReportOutput:
    """Write one self-contained HTML file with interactive charts of the user's listening insights (clock,
    top lists, taste evolution, discoveries, diversity, journey). It opens offline: the chart library is
    inside the file."""
    from echotune.tools.files import user_path
    from echotune.tools.insights_report import write_report

    path = user_path(ctx, args.out)  # checked before any work
    summary = _call(
        ctx, "insights_summary", {"period": args.period, "timezone": args.timezone, "top": args.top}, InsightsSummary
    )
    charts = write_report(summary, path)
    return ReportOutput(path=str(path), bytes=path.stat().st_size, charts=charts, period=summary.period)
