"""Paths that tools read or write (history imports, exports, reports), checked in one place.

Every path is refused if it holds control characters. A remote caller (an MCP client with a token, on
another machine) may only touch files under the user's own folder in the data dir, `files/<user>/`: a token
must never let anyone read or write arbitrary files on the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from echotune.tools.errors import InvalidInputError

if TYPE_CHECKING:
    from echotune.tools.context import Context


def user_folder(ctx: Context) -> Path:
    """Where remote callers' files live: <data dir>/files/<user>/."""
    return Path(ctx.config.data_dir) / "files" / ctx.user


def user_path(ctx: Context, value: str) -> Path:
    """The path a tool may use for `value`; InvalidInputError when it is malformed or out of bounds."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidInputError(f"The path {value!r} contains control characters", hint="give a plain file path")
    if ctx.local_files:
        return Path(value).expanduser()
    base = user_folder(ctx).resolve()
    path = Path(value)
    resolved = (path if path.is_absolute() else base / path).resolve()
    if not resolved.is_relative_to(base):
        raise InvalidInputError(
            f"Over a remote connection, files can only be read and written under your folder {base}",
            hint="give a file name relative to that folder",
        )
    base.mkdir(parents=True, exist_ok=True)
    return resolved
