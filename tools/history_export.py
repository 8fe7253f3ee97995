"""Everything EchoTune stores about one user, as one JSON file (data portability): plays with their context,
the settings document and its change log, feedback, and the user's tool-call events.

Plays are written month by month, so a 200,000-play history never sits in memory as objects all at once.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from echotune.tools.errors import InvalidInputError

if TYPE_CHECKING:
    from echotune.tools.context import Context

FORMAT = "echotune-user-export"
VERSION = 1


def _dump(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z)


def _months(first: datetime, last: datetime) -> list[tuple[datetime, datetime]]:
    out = []
    start = datetime(first.year, first.month, 1, tzinfo=UTC)
    while start <= last:
        end = (start + timedelta(days=32)).replace(day=1)
        out.append((start, end))
        start = end
    return out


def export_user(ctx: Context, path: Path) -> dict[str, Any]:
    """Write the export to `path` (atomically: a temporary file renamed at the end); returns its counts."""
    from echotune.tools.settings import read_settings

    user = ctx.user
    if path.exists() and path.is_dir():
        raise InvalidInputError(f"{path} is a folder", hint="give a file name, e.g. my-echotune-data.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    version, settings, updated_at = read_settings(ctx)
    changes = ctx.store.settings.history(user, limit=1_000_000)
    feedback = ctx.store.feedback.for_user(user)
    events = [e for e in ctx.store.events.list(limit=10_000_000) if e.user == user]
    newest = ctx.store.plays.list(user, limit=1)
    plays = 0
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(b'{"format":"' + FORMAT.encode() + b'","version":' + str(VERSION).encode())
        fh.write(b',"user":' + _dump(user) + b',"exported_at":' + _dump(ctx.clock()))
        fh.write(b',"settings":' + _dump({"version": version, "updated_at": updated_at, **settings.model_dump()}))
        fh.write(b',"settings_changes":' + _dump([c.model_dump() for c in changes]))
        fh.write(b',"feedback":' + _dump([f.model_dump() for f in feedback]))
        fh.write(b',"events":' + _dump([e.model_dump() for e in events]))
        fh.write(b',"plays":[')
        if newest:
            first = _first_play(ctx, user)
            for since, until in _months(first, newest[0].played_at):
                batch = ctx.store.plays.list(user, since=since, until=until)
                batch.reverse()  # oldest first in the file
                for p in batch:
                    fh.write((b"," if plays else b"") + _dump(p.model_dump(exclude={"user"})))
                    plays += 1
        fh.write(b"]}")
    os.replace(tmp, path)
    return {
        "path": str(path),
        "plays": plays,
        "settings_changes": len(changes),
        "feedback": len(feedback),
        "events": len(events),
        "bytes": path.stat().st_size,
    }


def _first_play(ctx: Context, user: str) -> datetime:
    from echotune.tools.history_frame import frame

    f = frame(ctx, user)
    return datetime.fromtimestamp(int(f.at[0]) / 1000, UTC) if len(f) else ctx.clock()
