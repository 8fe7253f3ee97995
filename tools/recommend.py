"""Recommendation tools: recommend_tracks (seeds, free text, mood or activity, "more like this week", or the
listener's taste), recommend_feedback (like, dislike, skip: the next call already reflects it) and
analytics_ab (how each A/B variant's recommendations fare, with 95% confidence intervals).

The services behind them live in tools/recommender/; `playlist_tracks` is what recommend_playlist will compose
with the player's playlist tools.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from echotune.tools.derived import on_forget
from echotune.tools.errors import NotFoundError
from echotune.tools.ids import parse_ref
from echotune.tools.models import Feedback, FeedbackKind
from echotune.tools.playback.models import PlaylistInfo
from echotune.tools.recommender.ab import EXPERIMENT, STRATEGIES, assign, wilson
from echotune.tools.recommender.records import OUTCOMES, Exposure, OutcomeKind
from echotune.tools.registry import ToolInput, tool

if TYPE_CHECKING:
    import numpy as np

    from echotune.tools.context import Context
    from echotune.tools.recommender.collab import CoPlay
    from echotune.tools.recommender.engine import Recommender
    from echotune.tools.recommender.profile import Profile
    from echotune.tools.recommender.rank import Query, Ranked
    from echotune.tools.settings import UserSettings

Activity = Literal["running", "workout", "party", "dance", "relax", "focus", "sleep", "rainy day"]
ACTIVITIES: dict[str, dict[str, float]] = {
    "running": {"energy": 0.85, "tempo": 160.0, "valence": 0.6},
    "workout": {"energy": 0.9, "tempo": 130.0, "danceability": 0.7},
    "party": {"danceability": 0.8, "energy": 0.8, "valence": 0.75},
    "dance": {"danceability": 0.85, "energy": 0.75},
    "relax": {"energy": 0.3, "acousticness": 0.7, "tempo": 90.0},
    "focus": {"instrumentalness": 0.7, "energy": 0.35, "valence": 0.4},
    "sleep": {"energy": 0.15, "acousticness": 0.85, "tempo": 70.0},
    "rainy day": {"valence": 0.25, "energy": 0.35, "acousticness": 0.6},
}
"""Activities as audio-feature targets (0-1 scales; tempo in BPM)."""
OUTCOME_WINDOW = timedelta(days=1)
"""A play or feedback counts as the outcome of an exposure shown at most this long before."""


# -- recommend_tracks -------------------------------------------------------------------------------------


class RecommendInput(ToolInput):
    seed_tracks: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Tracks to find more like: ids, spotify:track: uris or open.spotify.com links.",
    )
    seed_artists: list[str] = Field(
        default_factory=list, max_length=10, description="Artists to find more like, by name or Spotify artist id."
    )
    text: str | None = Field(
        None, min_length=1, max_length=200, description="Free-text request, e.g. 'rainy sunday jazz', 'upbeat 80s'."
    )
    this_week: bool = Field(False, description="More like what the listener played in the last 7 days.")
    activity: Activity | None = Field(None, description="What the music is for; sets mood targets.")
    energy: float | None = Field(None, ge=0, le=1, description="Target energy, 0 (calm) to 1 (intense).")
    valence: float | None = Field(None, ge=0, le=1, description="Target valence, 0 (sad) to 1 (happy).")
    tempo: float | None = Field(None, ge=40, le=220, description="Target tempo in beats per minute.")
    danceability: float | None = Field(None, ge=0, le=1, description="Target danceability, 0 to 1.")
    acousticness: float | None = Field(None, ge=0, le=1, description="Target acousticness, 0 to 1.")
    limit: int = Field(10, ge=1, le=50, description="How many tracks to recommend.")
    exclude_heard: bool | None = Field(
        None, description="Leave out tracks already played; omit to follow the setting recommendation.exclude_heard."
    )

    @model_validator(mode="after")
    def _clean(self) -> RecommendInput:
        if self.text is not None and not self.text.strip():
            raise ValueError("text must not be blank")
        return self

    def targets(self) -> dict[str, float]:
        out = dict(ACTIVITIES.get(self.activity or "", {}))
        for name in ("energy", "valence", "tempo", "danceability", "acousticness"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


class ScoreParts(BaseModel):
    content: float = Field(description="Similarity to what was asked for, 0-1 among the candidates.")
    collaborative: float = Field(description="Played-together signal from listening sessions, 0-1.")
    popularity: float = Field(description="Catalog popularity, 0-1.")


class Recommendation(BaseModel):
    """One recommended track and why."""

    table_columns: ClassVar[tuple[str, ...]] = ("title", "artists", "year", "reason", "score", "id")

    id: str = Field(description="Track id; pass it to other tools.")
    uri: str | None = None
    title: str
    artists: str
    year: int | None = None
    genres: list[str] = Field(default_factory=list)
    explicit: bool = False
    score: float = Field(description="Blended score, 0-1.")
    reason: str = Field(description="Why this track, in a few words.")
    parts: ScoreParts


class RecommendOutput(BaseModel):
    based_on: str = Field(description="What the recommendations were made from.")
    variant: str = Field(description="The A/B variant that ranked them.")
    request_id: str = Field(description="Identifies this list in A/B exposures.")
    tracks: list[Recommendation]


def recommender_of(ctx: Context) -> Recommender:
    from echotune.tools.recommender.engine import recommender

    return recommender(ctx)


def variant_of(ctx: Context, settings: UserSettings | None = None) -> str:
    from echotune.tools.settings import read_settings

    chosen = (settings or read_settings(ctx)[1]).recommendation.variant
    return assign(ctx.user) if chosen == "auto" else chosen


def coplay_of(ctx: Context, rec: Recommender, settings: UserSettings) -> CoPlay | None:
    """Item-item co-play over the sessions of this user and, if they allow it, other listeners who allow it."""
    from echotune.tools.recommender.collab import CoPlay, sessions
    from echotune.tools.settings import read_settings

    users = [ctx.user]
    if settings.privacy.listeners_like_you:
        users += [
            u for u in ctx.store.ab.listeners() if u != ctx.user and read_settings(ctx, u)[1].privacy.listeners_like_you
        ]
    signature = tuple((u, ctx.store.plays.count(u)) for u in users)
    if not any(n for _, n in signature):
        return None
    cache: dict[tuple, CoPlay] = ctx.lazy("recommend.coplay", dict)
    key = (signature, rec.size)
    if key not in cache:
        from echotune.tools.recommender.profile import MAX_PLAYS

        cache.clear()
        all_sessions = []
        for u in users:
            all_sessions += sessions(ctx.store.plays.list(u, limit=MAX_PLAYS * 4), rec.row_of)
        cache[key] = CoPlay.fit(all_sessions, rec.size)
    model = cache[key]
    return model if model.neighbours else None


def _resolve_artist(rec: Recommender, ref: str) -> list[int]:
    from echotune.tools.text import normalize

    ref = ref.strip()
    key = ref.removeprefix("spotify:artist:")
    rows = rec.artist_rows(key) or rec.artist_rows(normalize(ref))
    if rows:
        return rows
    from rapidfuzz import fuzz, process

    from echotune.tools.models import SPOTIFY_ID

    # normalised names only: not "name:" keys, not Spotify ids (mixed case; normalised names are lowercase)
    names = [
        k
        for k in rec.artist_keys()
        if k and not k.startswith("name:") and not (SPOTIFY_ID.match(k) and not k.islower())
    ]
    best = process.extractOne(normalize(ref), names, scorer=fuzz.ratio, score_cutoff=85)
    if best:
        return rec.artist_rows(best[0])
    raise NotFoundError(f"No artist {ref!r} in the catalog", hint="check the spelling, or search with `catalog search`")


def _resolve_track(ctx: Context, rec: Recommender, ref: str) -> int:
    track_id = parse_ref(ref, "track")
    row = rec.row_of.get(track_id)
    if row is None:
        raise NotFoundError(
            f"No track {track_id} in the catalog", hint="find one with `echotune catalog search`, then use its id"
        )
    return row


def _unit(v: np.ndarray) -> np.ndarray:
    import numpy as np

    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def build_query(ctx: Context, rec: Recommender, args: RecommendInput, profile: Profile) -> tuple[Query, str]:
    """Resolve the request into a ranking query and a short description of what it is based on."""
    import numpy as np

    from echotune.tools.recommender.rank import Query

    parts: list[np.ndarray] = []
    anchors: list[int] = []
    exclude: set[int] = set()
    said: list[str] = []
    kind = "taste"
    if args.seed_tracks or args.seed_artists:
        kind = "seed"
        rows = [_resolve_track(ctx, rec, r) for r in args.seed_tracks]
        for a in args.seed_artists:
            rows += _resolve_artist(rec, a)
        rows = list(dict.fromkeys(rows))
        parts.append(_unit(rec.vectors[rows].mean(axis=0)))
        anchors += rows
        exclude |= set(rows[: len(args.seed_tracks)]) if not args.seed_artists else set(rows)
        said += [f"{len(args.seed_tracks)} seed track(s)"] * bool(args.seed_tracks)
        said += [f"artist(s) {', '.join(args.seed_artists)}"] * bool(args.seed_artists)
    if args.this_week:
        since = ctx.clock() - timedelta(days=7)
        counts: dict[int, int] = {}
        for p in ctx.store.plays.list(ctx.user, since=since):
            row = rec.row_of.get(p.track_id or "")
            if row is not None and not p.skipped:
                counts[row] = counts.get(row, 0) + 1
        if not counts:
            raise NotFoundError(
                "You played nothing from the catalog in the last 7 days",
                hint="import your listening history (`echotune history import`), or give seed tracks",
            )
        rows = sorted(counts, key=lambda r: -counts[r])
        parts.append(_unit(np.array([counts[r] for r in rows], np.float32) @ rec.vectors[rows]))
        anchors += rows
        exclude |= set(rows)
        kind = "played" if kind == "taste" else kind
        said.append(f"{len(rows)} track(s) you played this week")
    if args.text:
        parts.append(rec.text_query(args.text.strip()))
        kind = "text" if kind == "taste" else kind
        said.append(f"“{args.text.strip()}”")
    targets = args.targets()
    taste = profile.taste(rec)
    if targets:
        said.append("mood " + ", ".join(f"{k} {v:g}" for k, v in targets.items()))
        vector = _unit(sum(parts)) if parts else taste
        return Query(
            kind="mood" if kind == "taste" else kind,
            targets=targets,
            taste=vector,
            anchors=anchors,
            exclude=exclude,
            text=args.text,
        ), "; ".join(said)
    if parts:
        vector = _unit(sum(parts))
        if taste is not None:
            vector = _unit(vector + 0.2 * taste)
        return Query(kind=kind, vector=vector, anchors=anchors, exclude=exclude, text=args.text), "; ".join(said)
    if taste is not None:
        liked = profile.liked[:20]
        anchors = liked + [r for r in profile.positive_rows() if r not in liked]
        return (
            Query(kind="taste", vector=taste, anchors=anchors[:200], liked=set(liked)),
            "your listening history and feedback",
        )
    return Query(kind="popular"), "popularity (no listening history or feedback yet)"


def recommend(ctx: Context, args: RecommendInput, *, variant: str | None = None) -> RecommendOutput:
    """Rank, explain and record the exposure of one recommendation list."""
    from echotune.tools.recommender.profile import profile_of
    from echotune.tools.recommender.rank import Options, explain, rank
    from echotune.tools.settings import read_settings

    rec = recommender_of(ctx)
    if rec.size == 0:
        raise NotFoundError("The catalog is empty: there is nothing to recommend from", hint="run `echotune doctor`")
    version, settings, _ = read_settings(ctx)
    weights = settings.recommendation
    variant = variant or variant_of(ctx, settings)
    key = _cache_key(ctx, rec, args, variant, version)
    cached = ctx.cache.get(ctx.user, key)
    if cached is not None:  # the same list, already exposed when it was made
        return RecommendOutput.model_validate_json(cached)
    strategy = STRATEGIES[variant]
    profile = profile_of(ctx, rec)
    query, based_on = build_query(ctx, rec, args, profile)
    options = Options(
        k=args.limit,
        content=weights.content,
        collaborative=weights.collaborative if strategy.collaborative else 0.0,
        popularity=weights.popularity if strategy.popularity else 0.0,
        diversity=weights.diversity if strategy.mmr else 0.0,
        max_per_artist=weights.max_per_artist,
        allow_explicit=settings.content.allow_explicit,
        exclude_heard=weights.exclude_heard if args.exclude_heard is None else args.exclude_heard,
    )
    coplay = coplay_of(ctx, rec, settings) if strategy.collaborative else None
    results = rank(rec, query, options, profile, coplay)
    explain(rec, query, results, options, coplay)
    request_id = uuid.uuid4().hex[:16]
    tracks = _to_output(ctx, rec, results)
    at = ctx.clock()
    ctx.store.ab.expose(
        [
            Exposure(
                user=ctx.user,
                experiment=EXPERIMENT,
                variant=variant,
                request_id=request_id,
                track_id=t.id,
                position=i,
                at=at,
            )
            for i, t in enumerate(tracks)
        ]
    )
    out = RecommendOutput(based_on=based_on, variant=variant, request_id=request_id, tracks=tracks)
    ctx.cache.set(ctx.user, key, out.model_dump_json().encode(), ttl_s=CACHE_TTL_S)
    return out


CACHE_TTL_S = 600.0


def _cache_key(ctx: Context, rec: Recommender, args: RecommendInput, variant: str, settings_version: int) -> str:
    """Everything a list depends on: the request, the variant, the settings, the plays, the feedback, the
    catalog size and the day (this_week moves with it). Feedback also invalidates the user's entries."""
    import hashlib

    parts = [
        args.model_dump_json(),
        variant,
        settings_version,
        ctx.store.plays.revision(ctx.user),
        len(ctx.store.feedback.for_user(ctx.user)),
        rec.size,
        ctx.clock().date().isoformat(),
    ]
    return "recommend:" + hashlib.sha1(repr(parts).encode()).hexdigest()


def _to_output(ctx: Context, rec: Recommender, results: list[Ranked]) -> list[Recommendation]:
    ids = [str(rec.items.ids[r.row]) for r in results]
    named = [str(rec.items.ids[r.reason_row]) for r in results if r.reason_row is not None]
    tracks = ctx.store.catalog.get_many(ids + named)
    out = []
    for r, track_id in zip(results, ids, strict=True):
        t = tracks.get(track_id)
        if t is None:
            continue
        reason = r.reason
        if "{track}" in reason:
            named_track = tracks.get(str(rec.items.ids[r.reason_row])) if r.reason_row is not None else None
            reason = reason.format(track=named_track.label() if named_track else "a track you know")
        out.append(
            Recommendation(
                id=t.id,
                uri=t.uri,
                title=t.title,
                artists=t.artist_names,
                year=t.year,
                genres=t.genres[:3],
                explicit=t.explicit,
                score=r.score,
                reason=reason,
                parts=ScoreParts(content=r.content, collaborative=r.collaborative, popularity=r.popularity),
            )
        )
    return out


@tool(
    cli=("recommend", "tracks"),
    cli_args=(),
    examples=(
        "recommend songs like hey jude",
        "play me something like daft punk",
        "rainy sunday jazz",
        "upbeat 80s for running",
        "more like what I played this week",
        "something calm to focus",
        "what should I listen to next",
    ),
)
def recommend_tracks(ctx: Context, args: RecommendInput) -> RecommendOutput:
    """Recommend tracks from the catalog, each with a short reason. Give seed tracks or artists ("songs like
    X"), free text ("rainy sunday jazz"), this_week ("more like what I played this week"), an activity or mood
    targets (energy, valence, tempo), or nothing to use the listener's taste. Ranking blends sound-and-
    description similarity, what is played together in listening sessions and popularity, by the listener's
    recommendation settings; disliked tracks never come back."""
    return recommend(ctx, args)


class RecommendPlaylistInput(RecommendInput):
    name: str | None = Field(
        None, min_length=1, max_length=100, description="The playlist's name; default: made from the request."
    )
    limit: int = Field(20, ge=1, le=50, description="How many songs the playlist gets.")


class RecommendPlaylistOutput(BaseModel):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend",)

    backend: str = Field(description="Where the playlist was made: spotify (the linked account) or local.")
    message: str = Field(description="What happened, in one sentence.")
    playlist: PlaylistInfo
    based_on: str = Field(description="What the songs were chosen from.")
    tracks: list[Recommendation]


@tool(
    effect="act",
    open_world=True,
    cli=("recommend", "playlist"),
    examples=(
        "make a playlist of 20 songs like hey jude",
        "create a running playlist",
        "build me a playlist of rainy sunday jazz called Rainy Days",
        "put 15 songs like what I played this week in a new playlist",
    ),
)
def recommend_playlist(ctx: Context, args: RecommendPlaylistInput) -> RecommendPlaylistOutput:
    """Make a new playlist of recommended songs (like given tracks or artists, a free-text request, a mood or
    activity, or the listener's taste) on Spotify when linked, else on the local player."""
    from echotune.tools.registry import call_tool

    found = recommend(ctx, RecommendInput(**args.model_dump(exclude={"name"})))
    playable = [t for t in found.tracks if t.uri]  # learnt tracks without a Spotify uri cannot go on a playlist
    if not playable:
        raise NotFoundError("No recommendations to put on a playlist", hint="try other seeds or a broader request")
    name = args.name or f"EchoTune: {found.based_on}"[:100]
    created = call_tool(
        ctx, "playlist_create", {"name": name, "description": f"Made by EchoTune from {found.based_on}."}
    )
    added = call_tool(
        ctx, "playlist_add_tracks", {"playlist": created.playlist.id, "tracks": [t.uri for t in playable]}
    )
    return RecommendPlaylistOutput(
        backend=added.backend,
        message=f"Made the playlist {name!r} with {added.changed} songs ({found.based_on}).",
        playlist=added.playlist,
        based_on=found.based_on,
        tracks=playable,
    )


# -- recommend_feedback ----------------------------------------------------------------------------------


class FeedbackInput(ToolInput):
    kind: FeedbackKind = Field(description="like, dislike (never recommend it again) or skip.")
    track: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The track: id, spotify:track: uri or open.spotify.com link; default: the track playing now.",
    )


class FeedbackOutput(BaseModel):
    message: str = Field(description="What happened, in one sentence.")
    track_id: str
    title: str
    kind: FeedbackKind
    recorded_at: str
    variant_outcome: str | None = Field(
        None, description="The A/B variant that had recommended this track, when it had (its outcome is counted)."
    )
    queued: bool = Field(False, description="True when it travels through the feedback stream (applied in a moment).")


_OUTCOME_OF: dict[str, OutcomeKind] = {"like": "liked", "dislike": "disliked", "skip": "skipped"}


@tool(
    effect="act",
    cli=("recommend", "feedback"),
    cli_args=("kind", "track"),
    examples=(
        "I love this song",
        "never play that again",
        "skip this one",
        "thumbs down",
        "thumbs down for spotify:track:3e9HZxeyfWwjeyPAMmWSSQ",
    ),
)
def recommend_feedback(ctx: Context, args: FeedbackInput) -> FeedbackOutput:
    """Tell the recommender you like, dislike or skipped a track. It takes effect at once: the next
    recommendations move toward liked tracks and away from disliked ones (which are never recommended again)."""
    from echotune.tools.catalog import get_track

    track = get_track(ctx, args.track or _playing_now(ctx))
    fb = Feedback(user=ctx.user, track_id=track.id, kind=args.kind, at=ctx.clock(), event_id=uuid.uuid4().hex)
    if ctx.config.redis_url:  # many processes: a worker of the consumer group applies it (feedback_stream.py)
        from echotune.tools.feedback_stream import publish

        publish(ctx, fb)
        return FeedbackOutput(
            message=_said(track.label(), args.kind) + " (applied in a moment)",
            track_id=track.id,
            title=track.label(),
            kind=args.kind,
            recorded_at=fb.at.isoformat(),
            queued=True,
        )
    exposure = apply_feedback(ctx, fb)
    return FeedbackOutput(
        message=_said(track.label(), args.kind),
        track_id=track.id,
        title=track.label(),
        kind=args.kind,
        recorded_at=fb.at.isoformat(),
        variant_outcome=exposure.variant if exposure else None,
    )


def _said(label: str, kind: str) -> str:
    return {
        "like": f"Noted: you like {label}; recommendations move toward it.",
        "dislike": f"Noted: you dislike {label}; it will not be recommended again.",
        "skip": f"Noted: you skipped {label}; similar tracks count a little less.",
    }[kind]


def _playing_now(ctx: Context) -> str:
    from echotune.tools.errors import InvalidInputError
    from echotune.tools.registry import call_tool

    now = call_tool(ctx, "player_now_playing", {})
    if now.playing is None or now.playing.item is None:
        raise InvalidInputError("Nothing is playing, so there is no track to give feedback on", hint="name the track")
    return now.playing.item.id


def apply_feedback(ctx: Context, fb: Feedback) -> Exposure | None:
    """Store one reaction (once per event id), count it as the outcome of the A/B list that showed the track,
    and make the user's cached recommendations stale. Safe to call twice with the same event."""
    exposure = ctx.store.ab.latest_exposure(fb.user, fb.track_id, since=fb.at - OUTCOME_WINDOW)
    if ctx.store.feedback.add(fb) and exposure is not None and exposure.id is not None:
        ctx.store.ab.record_outcome(exposure.id, _OUTCOME_OF[fb.kind], fb.at)
    ctx.cache.invalidate(fb.user)
    return exposure


# -- analytics_ab ----------------------------------------------------------------------------------------


class ABInput(ToolInput):
    experiment: str = Field(EXPERIMENT, min_length=1, max_length=64, description="Which experiment to report.")


class Rate(BaseModel):
    count: int
    rate: float = Field(description="count / exposures.")
    ci_low: float = Field(description="Lower end of the Wilson 95% confidence interval.")
    ci_high: float = Field(description="Upper end of the Wilson 95% confidence interval.")


class VariantReport(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("variant", "users", "lists", "exposures", "played", "skipped", "liked")

    variant: str
    description: str
    users: int
    lists: int
    exposures: int = Field(description="Tracks shown.")
    outcomes: dict[OutcomeKind, Rate]
    played: str = Field(description="Play rate with its 95% interval, for tables.")
    skipped: str
    liked: str


class ABOutput(BaseModel):
    experiment: str
    your_variant: str
    variants: list[VariantReport]


def note_play_outcomes(ctx: Context, experiment: str) -> int:
    """Record as outcomes the plays (and skipped plays) of exposed tracks within OUTCOME_WINDOW of the exposure."""
    noted = 0
    for user, first in ctx.store.ab.exposed_users(experiment):
        for p in ctx.store.plays.list(user, since=first):
            if not p.track_id:
                continue
            exposure = ctx.store.ab.latest_exposure(user, p.track_id, since=p.played_at - OUTCOME_WINDOW)
            if exposure is None or exposure.id is None or exposure.at > p.played_at:
                continue
            noted += ctx.store.ab.record_outcome(exposure.id, "skipped" if p.skipped else "played", p.played_at)
    return noted


def _fmt_rate(r: Rate) -> str:
    return f"{r.rate:.1%} [{r.ci_low:.1%}, {r.ci_high:.1%}]"


@tool(
    cli=("analytics", "ab"),
    examples=("how are the recommendation variants doing", "show the A/B test results", "which recommender wins"),
)
def analytics_ab(ctx: Context, args: ABInput) -> ABOutput:
    """Compare the recommender's A/B variants (content-only, hybrid, hybrid with diversity): per variant the
    users, lists and tracks shown, and the rates at which shown tracks were played, skipped, liked and
    disliked, each with a 95% confidence interval."""
    note_play_outcomes(ctx, args.experiment)
    reports = []
    for c in ctx.store.ab.counts(args.experiment):
        outcomes = {}
        for kind in OUTCOMES:
            n = c.outcomes.get(kind, 0)
            lo, hi = wilson(n, c.exposures)
            outcomes[kind] = Rate(
                count=n,
                rate=round(n / c.exposures, 4) if c.exposures else 0.0,
                ci_low=round(lo, 4),
                ci_high=round(hi, 4),
            )
        reports.append(
            VariantReport(
                variant=c.variant,
                description=STRATEGIES[c.variant].description if c.variant in STRATEGIES else "",
                users=c.users,
                lists=c.lists,
                exposures=c.exposures,
                outcomes=outcomes,
                played=_fmt_rate(outcomes["played"]),
                skipped=_fmt_rate(outcomes["skipped"]),
                liked=_fmt_rate(outcomes["liked"]),
            )
        )
    if not reports and args.experiment != EXPERIMENT:
        raise NotFoundError(f"No exposures in experiment {args.experiment!r}", hint=f"the current one is {EXPERIMENT}")
    return ABOutput(experiment=args.experiment, your_variant=variant_of(ctx), variants=reports)


# -- forgetting ------------------------------------------------------------------------------------------


@on_forget
def forget_recommendations(ctx: Context, user: str) -> None:
    """Drop the user's taste profile, the co-play model built from their plays and their A/B exposures."""
    from echotune.tools.recommender.profile import forget_profile

    forget_profile(ctx, user)
    ctx.forget("recommend.coplay")
    ctx.store.ab.delete_user(user)
