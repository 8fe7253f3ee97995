"""Feedback as events on a Redis Stream, for many server processes: `recommend_feedback` publishes (XADD) and
the workers of one consumer group apply (`echotune worker`, as many as you like).

Delivery is at least once and handling is idempotent, so no event is lost and none counts twice: an event is
acknowledged (XACK) only after it is applied; a worker that died holding events leaves them pending, and the
next one reclaims them (its own with XREADGROUP from 0, other consumers' idle ones with XAUTOCLAIM); applying
stores the feedback once per event id. An event that can never apply (malformed, unknown track) goes to a
dead-letter stream with the reason instead of blocking the group.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from echotune.tools.errors import EchoTuneError, NotConfiguredError, NotFoundError
from echotune.tools.models import Feedback

if TYPE_CHECKING:
    import redis

    from echotune.tools.context import Context

STREAM = "echotune:feedback"
DEAD_LETTERS = "echotune:feedback:dead"
GROUP = "taste"
CRASH_AFTER_ENV = "ECHOTUNE_WORKER_CRASH_AFTER"
"""Fault injection for tests: exit abruptly after applying this many events, before acknowledging the last."""

log = logging.getLogger("echotune.worker")


def redis_of(ctx: Context) -> redis.Redis:
    if not ctx.config.redis_url:
        raise NotConfiguredError("The feedback stream needs Redis", hint="set ECHOTUNE_REDIS_URL")
    import redis

    url = ctx.config.redis_url
    return ctx.lazy("redis.client", lambda: redis.Redis.from_url(url, socket_connect_timeout=2))


def publish(ctx: Context, fb: Feedback) -> str:
    """Append one feedback event to the stream; returns its stream id."""
    return redis_of(ctx).xadd(STREAM, {"event": fb.model_dump_json()}).decode()


def backlog(ctx: Context) -> dict[str, int]:
    """How the group is doing: events in the stream, not yet delivered (lag), delivered but unacknowledged
    (pending), consumers, dead letters. For doctor and the benchmark."""
    r = redis_of(ctx)
    groups = {g["name"].decode(): g for g in r.xinfo_groups(STREAM)} if r.exists(STREAM) else {}
    g = groups.get(GROUP, {})
    return {
        "events": r.xlen(STREAM) if r.exists(STREAM) else 0,
        "lag": int(g.get("lag") or 0),
        "pending": int(g.get("pending") or 0),
        "consumers": int(g.get("consumers") or 0),
        "dead_letters": r.xlen(DEAD_LETTERS) if r.exists(DEAD_LETTERS) else 0,
    }


@dataclass
class FeedbackWorker:
    """One consumer of the group. `run` applies events until `stop` is set (or, with once=True, until the
    stream has nothing more for it)."""

    ctx: Context
    consumer: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    min_idle_ms: int = 5_000
    block_ms: int = 500
    batch: int = 100
    applied: int = 0

    def __post_init__(self) -> None:
        self.r = redis_of(self.ctx)
        self._crash_after = int(os.environ.get(CRASH_AFTER_ENV) or 0)

    def ensure_group(self) -> None:
        import redis

        try:
            self.r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def run(self, *, stop: threading.Event | None = None, once: bool = False) -> int:
        self.ensure_group()
        stop = stop or threading.Event()
        self._handle(self._read("0"))  # what this consumer held when it last stopped
        while not stop.is_set():
            _, reclaimed, _ = self.r.xautoclaim(STREAM, GROUP, self.consumer, self.min_idle_ms, "0-0", count=self.batch)
            self._handle(reclaimed)
            fresh = self._read(">", block=not once)
            self._handle(fresh)
            if once and not fresh and not reclaimed:
                break
        return self.applied

    def _read(self, start: str, block: bool = False) -> list[tuple[bytes, dict[bytes, bytes]]]:
        got = self.r.xreadgroup(GROUP, self.consumer, {STREAM: start}, count=self.batch,
                                block=self.block_ms if block else None)  # fmt: skip
        return list(got[0][1]) if got else []

    def _handle(self, messages: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        from echotune.tools.recommend import apply_feedback

        for message_id, fields in messages:
            if not fields:  # deleted from the stream while pending
                self.r.xack(STREAM, GROUP, message_id)
                continue
            try:
                fb = Feedback.model_validate_json(fields[b"event"])
                apply_feedback(self.ctx.for_user(fb.user), fb)
            except (KeyError, ValidationError, NotFoundError) as exc:
                self._dead_letter(message_id, fields, exc)
            except EchoTuneError:
                raise  # the store or a service failed: leave the event pending for a later attempt
            else:
                self.applied += 1
                if self._crash_after and self.applied >= self._crash_after:
                    os._exit(17)  # applied but not acknowledged: the next worker must not apply it twice
            self.r.xack(STREAM, GROUP, message_id)

    def _dead_letter(self, message_id: bytes, fields: dict[bytes, bytes], exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"[:500]
        log.warning("feedback event %s cannot apply, moved to %s: %s", message_id.decode(), DEAD_LETTERS, reason)
        payload: dict[Any, Any] = {**fields, b"reason": reason.encode(), b"id": message_id}
        self.r.xadd(DEAD_LETTERS, payload)
