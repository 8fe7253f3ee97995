"""The feedback stream: recommend_feedback publishes to Redis, workers of one consumer group apply; a worker
killed mid-stream loses nothing and a restarted one applies nothing twice; unusable events go to dead letters."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from echotune.tools.config import load_config
from echotune.tools.context import Context
from echotune.tools.feedback_stream import CRASH_AFTER_ENV, DEAD_LETTERS, FeedbackWorker, backlog, publish
from echotune.tools.models import Feedback
from echotune.tools.registry import call_tool

EXE = str(Path(sys.executable).parent / "echotune")
HEY_JUDE = "1eT2CjXwFXNx6oY5ydvzKU"


@pytest.fixture
def data(tmp_path: Path, catalog_db: Path) -> Path:
    folder = tmp_path / "shared-store"
    folder.mkdir()
    shutil.copy(catalog_db, folder / "echotune.sqlite3")
    return folder


@pytest.fixture
def sctx(data: Path, fresh_redis: str) -> Iterator[Context]:
    env = {"ECHOTUNE_DATA_DIR": str(data), "ECHOTUNE_REDIS_URL": fresh_redis}
    ctx = Context.from_config(load_config(environ=env, config_file=data / "absent.toml"))
    yield ctx
    ctx.close()


def run_worker(
    data: Path, redis_url: str, *args: str, crash_after: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOTUNE_")}
    env |= {
        "ECHOTUNE_DATA_DIR": str(data),
        "ECHOTUNE_CONFIG": str(data / "absent.toml"),
        "ECHOTUNE_REDIS_URL": redis_url,
    }
    if crash_after:
        env[CRASH_AFTER_ENV] = str(crash_after)
    return subprocess.run([EXE, "worker", "--once", *args], env=env, capture_output=True, text=True, timeout=300)


def likes(ctx: Context, n: int) -> list[Feedback]:
    ids = [t.id for t in ctx.catalog.entries[:n]]
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        Feedback(user=f"user{i % 3}", track_id=tid, kind="like", at=t0 + timedelta(seconds=i), event_id=f"e{i}")
        for i, tid in enumerate(ids)
    ]


def stored_events(ctx: Context) -> list[str]:
    return [f.event_id for user in ("user0", "user1", "user2") for f in ctx.store.feedback.for_user(user)]


def test_a_killed_worker_loses_nothing_and_a_restart_applies_nothing_twice(
    sctx: Context, data: Path, fresh_redis: str
) -> None:
    events = likes(sctx, 120)
    for fb in events:
        publish(sctx, fb)
    first = run_worker(data, fresh_redis, "--consumer", "a", crash_after=40)
    assert first.returncode == 17, first.stderr
    assert len(stored_events(sctx)) == 40 and backlog(sctx)["pending"] >= 1, "the 40th was applied, not acknowledged"

    second = run_worker(data, fresh_redis, "--consumer", "a")  # the same consumer restarts
    assert second.returncode == 0, second.stderr
    stored = stored_events(sctx)
    assert sorted(stored) == sorted(fb.event_id for fb in events), "every event applied exactly once"
    assert backlog(sctx) | {"events": 0} == {"events": 0, "lag": 0, "pending": 0, "consumers": 1, "dead_letters": 0}


def test_another_consumer_reclaims_a_dead_consumers_events(sctx: Context, data: Path, fresh_redis: str) -> None:
    events = likes(sctx, 60)
    for fb in events:
        publish(sctx, fb)
    assert run_worker(data, fresh_redis, "--consumer", "doomed", crash_after=25).returncode == 17
    rescuer = FeedbackWorker(sctx, consumer="rescuer", min_idle_ms=0)
    rescuer.run(once=True)
    assert sorted(stored_events(sctx)) == sorted(fb.event_id for fb in events)
    assert backlog(sctx)["pending"] == 0


def test_unusable_events_go_to_dead_letters_without_blocking(sctx: Context) -> None:
    from echotune.tools.feedback_stream import STREAM, redis_of

    r = redis_of(sctx)
    r.xadd(STREAM, {"event": b"{not json"})
    publish(sctx, Feedback(user="u", track_id="0" * 22, kind="like", at=datetime.now(UTC), event_id="ghost"))
    publish(sctx, Feedback(user="u", track_id=HEY_JUDE, kind="like", at=datetime.now(UTC), event_id="good"))
    assert FeedbackWorker(sctx, consumer="w").run(once=True) == 1
    assert [f.event_id for f in sctx.store.feedback.for_user("u")] == ["good"]
    dead = r.xrange(DEAD_LETTERS)
    assert len(dead) == 2 and b"NotFoundError" in dead[1][1][b"reason"]
    assert backlog(sctx)["pending"] == 0 and backlog(sctx)["dead_letters"] == 2


def test_feedback_through_the_stream_changes_the_next_recommendations(sctx: Context) -> None:
    before = call_tool(sctx, "recommend_tracks", {"seed_tracks": [HEY_JUDE], "limit": 5})
    victim = before.tracks[0].id
    answer = call_tool(sctx, "recommend_feedback", {"track": victim, "kind": "dislike"})
    assert answer.queued and sctx.store.feedback.for_user(sctx.user) == [], "published, not yet applied"
    assert call_tool(sctx, "recommend_tracks", {"seed_tracks": [HEY_JUDE], "limit": 5}).tracks[0].id == victim, (
        "until a worker applies it, the cached list stands"
    )
    FeedbackWorker(sctx, consumer="w").run(once=True)
    after = call_tool(sctx, "recommend_tracks", {"seed_tracks": [HEY_JUDE], "limit": 5})
    assert victim not in [t.id for t in after.tracks]
    assert [f.kind for f in sctx.store.feedback.for_user(sctx.user)] == ["dislike"]


def test_worker_needs_redis(data: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOTUNE_")}
    env |= {"ECHOTUNE_DATA_DIR": str(data), "ECHOTUNE_CONFIG": str(data / "absent.toml")}
    done = subprocess.run([EXE, "worker", "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 5 and "ECHOTUNE_REDIS_URL" in done.stderr
