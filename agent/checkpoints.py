"""Where conversations are kept between turns and processes: LangGraph checkpointers.

SQLite by default, in its own file beside EchoTune's store (`<data dir>/checkpoints.sqlite3`), one thread per
session (`<user>:<session>`). `memory` keeps them in the process (tests, throwaway bots). A Redis saver plugs in
here when the scale-out work configures one.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from echotune.tools.config import Config

Kind = Literal["sqlite", "memory"]


def open_checkpointer(config: Config, kind: Kind = "sqlite") -> BaseCheckpointSaver:
    """A checkpointer for the agent graph; the SQLite one is safe to share between threads."""
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


def thread_id(user: str, session: str) -> str:
    """The LangGraph thread of one person's named session."""
    return f"{user}:{session}"
