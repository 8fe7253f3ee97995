"""A listener's taste, from their plays and feedback: the taste vector, what they heard, liked and disliked.

Plays count with a recency decay (a skipped play counts against); likes pull strongly, dislikes and skips push
away; the current listening session (plays within the last SESSION_GAP) blends in. Feedback is applied the
moment it is stored: each request reads only the feedback newer than what the cached profile has seen, so
the next ranking already reflects a like or a dislike, in this process or another one.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from echotune.tools.recommender.collab import SESSION_GAP

if TYPE_CHECKING:
    import numpy as np

    from echotune.tools.context import Context
    from echotune.tools.models import Feedback
    from echotune.tools.recommender.engine import Recommender

MAX_PLAYS = 5000
SESSION_PLAYS = 200
TASTE_DIR = "taste"
HALF_LIFE_DAYS = 90.0
FEEDBACK_WEIGHT = {"like": 4.0, "dislike": -3.0, "skip": -1.0}
SKIPPED_PLAY = -0.3
SESSION_SHARE = 0.35


@dataclass
class Profile:
    user: str
    plays_count: int
    played: dict[int, float] = field(default_factory=dict)
    """row -> decayed play weight (skipped plays negative)."""
    recent: list[int] = field(default_factory=list)
    """rows of the latest plays, newest first, distinct."""
    session: list[int] = field(default_factory=list)
    heard: set[int] = field(default_factory=set)
    liked: list[int] = field(default_factory=list)
    disliked: set[int] = field(default_factory=set)
    skipped: dict[int, int] = field(default_factory=dict)
    feedback_at: datetime | None = None
    feedback_edge: int = 0
    """How many feedback rows stamped exactly `feedback_at` are already applied."""

    def apply(self, fb: Feedback, rec: Recommender) -> None:
        row = rec.row_of.get(fb.track_id)
        if row is not None:
            if fb.kind == "like":
                self.liked = [row, *[r for r in self.liked if r != row]]
                self.disliked.discard(row)
            elif fb.kind == "dislike":
                self.disliked.add(row)
                self.liked = [r for r in self.liked if r != row]
            else:
                self.skipped[row] = self.skipped.get(row, 0) + 1
        if self.feedback_at is None or fb.at > self.feedback_at:
            self.feedback_at, self.feedback_edge = fb.at, 1
        elif fb.at == self.feedback_at:
            self.feedback_edge += 1

    def weights(self) -> dict[int, float]:
        """Long-term weight per row: plays, likes, dislikes and skips together."""
        w = dict(self.played)
        for row in self.liked:
            w[row] = w.get(row, 0.0) + FEEDBACK_WEIGHT["like"]
        for row in self.disliked:
            w[row] = w.get(row, 0.0) + FEEDBACK_WEIGHT["dislike"]
        for row, n in self.skipped.items():
            w[row] = w.get(row, 0.0) + FEEDBACK_WEIGHT["skip"] * n
        return w

    def taste(self, rec: Recommender) -> np.ndarray | None:
        """The unit taste vector, or None for a listener with nothing positive yet."""
        import numpy as np

        w = self.weights()
        if not any(v > 0 for v in w.values()):
            return None
        rows = np.fromiter(w.keys(), dtype=np.int64)
        long_term = np.fromiter(w.values(), dtype=np.float32) @ rec.vectors[rows]
        vec = _unit(long_term)
        if self.session:
            vec = _unit((1 - SESSION_SHARE) * vec + SESSION_SHARE * _unit(rec.vectors[self.session].sum(axis=0)))
        return vec if np.isfinite(vec).all() and np.linalg.norm(vec) > 0 else None

    def positive_rows(self) -> list[int]:
        """Rows the listener is drawn to, strongest first (for "because you played X" reasons)."""
        w = self.weights()
        return [r for r, v in sorted(w.items(), key=lambda x: -x[1]) if v > 0]


def _unit(v: np.ndarray) -> np.ndarray:
    import numpy as np

    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 0 else v.astype(np.float32)


def _taste_path(folder: Path | None, user: str) -> Path | None:
    if folder is None:
        return None
    return folder / TASTE_DIR / f"{hashlib.sha256(user.encode()).hexdigest()[:24]}.json"


def _from_plays(
    ctx: Context, rec: Recommender, user: str, plays_count: int
) -> tuple[dict[int, float], list[int], set[int]]:
    """(decayed play weight per row, recent rows, heard rows). Parsing thousands of plays takes a while, so the
    result is kept on disk per user (derived data: `forget` deletes it) and reused the same day while the plays
    and the index are unchanged."""
    import orjson

    key = {"plays": plays_count, "day": ctx.clock().date().isoformat(), "catalog": rec.catalog_sha256, "rows": rec.size}
    path = _taste_path(rec.folder, user)
    if path is not None and path.exists():
        try:
            data = orjson.loads(path.read_bytes())
            if data["key"] == key:
                return {int(r): w for r, w in data["played"].items()}, data["recent"], set(data["heard"])
        except (OSError, ValueError, KeyError):
            pass
    now = ctx.clock()
    played: dict[int, float] = {}
    recent: list[int] = []
    heard: set[int] = set()
    for p in ctx.store.plays.list(user, limit=MAX_PLAYS):  # newest first
        row = rec.row_of.get(p.track_id or "")
        if row is None:
            continue
        age_days = max((now - p.played_at).total_seconds() / 86400, 0.0)
        weight = (SKIPPED_PLAY if p.skipped else 1.0) * math.pow(0.5, age_days / HALF_LIFE_DAYS)
        played[row] = played.get(row, 0.0) + weight
        if not p.skipped:
            heard.add(row)
            if row not in recent and len(recent) < 50:
                recent.append(row)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(
            orjson.dumps(
                {"key": key, "played": {str(r): w for r, w in played.items()}, "recent": recent, "heard": sorted(heard)}
            )
        )
        tmp.replace(path)
    return played, recent, heard


def build_profile(ctx: Context, rec: Recommender, user: str) -> Profile:
    now = ctx.clock()
    profile = Profile(user=user, plays_count=ctx.store.plays.count(user))
    profile.played, profile.recent, profile.heard = _from_plays(ctx, rec, user, profile.plays_count)
    # the current session: the newest plays, while no gap between two is longer than SESSION_GAP
    latest = ctx.store.plays.list(user, limit=SESSION_PLAYS)
    session_open = bool(latest) and now - latest[0].played_at <= SESSION_GAP
    previous = latest[0].played_at if latest else None
    for p in latest:
        session_open = session_open and previous is not None and previous - p.played_at <= SESSION_GAP
        previous = p.played_at
        if not session_open:
            break
        row = rec.row_of.get(p.track_id or "")
        if row is not None and not p.skipped and row not in profile.session:
            profile.session.append(row)
    for fb in ctx.store.feedback.for_user(user):
        profile.apply(fb, rec)
    return profile


def profile_of(ctx: Context, rec: Recommender, user: str | None = None) -> Profile:
    """The listener's profile, cached per Context and brought up to date with new plays and feedback."""
    user = user or ctx.user
    cache: dict[str, Profile] = ctx.lazy("recommend.profiles", dict)
    profile = cache.get(user)
    if profile is None or profile.plays_count != ctx.store.plays.count(user):
        profile = build_profile(ctx, rec, user)
        cache[user] = profile
        return profile
    if profile.feedback_at is None:
        fresh = ctx.store.feedback.for_user(user)
    else:
        fresh = ctx.store.feedback.for_user(user, since=profile.feedback_at)
        skip = profile.feedback_edge
        fresh = [fb for fb in fresh if not (fb.at == profile.feedback_at and (skip := skip - 1) >= 0)]
    for fb in fresh:
        profile.apply(fb, rec)
    return profile


def forget_profile(ctx: Context, user: str) -> None:
    """Drop the user's cached profile, in memory and on disk."""
    from echotune.tools.recommender.engine import folder_of

    ctx.lazy("recommend.profiles", dict).pop(user, None)
    path = _taste_path(folder_of(ctx), user)
    if path is not None:
        path.unlink(missing_ok=True)
