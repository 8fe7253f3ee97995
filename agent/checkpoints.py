"""Where conversations are kept between turns and processes: LangGraph checkpointers.

SQLite by default, in its own file beside EchoTune's store (`<data dir>/checkpoints.sqlite3`), one thread per
session (`<user>:<session>`); Redis when `redis_url` is configured, so every server process resumes every
session (plain Redis: the official saver needs Redis modules; sessions expire after SESSION_TTL_S unused).
`memory` keeps them in the process (tests, throwaway bots).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from echotune.tools.config import Config

Kind = Literal["auto", "sqlite", "redis", "memory"]
SESSION_TTL_S = 30 * 24 * 3600
REDIS_PREFIX = "echotune:lg"


def open_checkpointer(config: Config, kind: Kind = "auto") -> BaseCheckpointSaver:
    """A checkpointer for the agent graph ("auto": Redis when configured, else SQLite); safe across threads."""
    if kind == "auto":
        kind = "redis" if config.redis_url else "sqlite"
    if kind == "redis":
        from langgraph_checkpoint_plainredis import RedisSaver

        from echotune.tools.errors import NotConfiguredError

        if not config.redis_url:
            raise NotConfiguredError("Redis checkpoints need a Redis URL", hint="set ECHOTUNE_REDIS_URL")
        return RedisSaver(url=config.redis_url, prefix=REDIS_PREFIX, ttl=SESSION_TTL_S)
    if kind == "memory":
        from langgraph.checkpoint.memory import InMemorySaver

        return InMemorySaver()
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = config.checkpoints_path
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


def close_checkpointer(saver: BaseCheckpointSaver) -> None:
    conn = getattr(saver, "conn", None)
    if isinstance(conn, sqlite3.Connection):
        conn.close()
    client = getattr(saver, "client", None) or getattr(saver, "_client", None)
    if client is not None and hasattr(client, "close"):
        client.close()


def thread_id(user: str, session: str) -> str:
    """The LangGraph thread of one person's named session."""
    return f"{user}:{session}"
