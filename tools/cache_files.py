"""Files derived from EchoTune's own sources and kept in the data folder's cache/ (the tool listings, the MCP
handshake): named by a hash of what they derive from, so an edited source never meets a stale file, written
atomically (two processes starting together write the same content), and older versions removed. A file that
cannot be read or written costs the next process time, never correctness: it is derived again."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger("echotune")
T = TypeVar("T")


def hash_sources(digest: Any, folders: Iterable[str | Path], suffixes: tuple[str, ...] = (".py",)) -> None:
    """Feed every file under `folders` with one of `suffixes` (its relative path and bytes) into `digest`."""
    for folder in map(Path, folders):
        for path in sorted(p for p in folder.rglob("*") if p.suffix in suffixes):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def read_cached(path: Path, parse: Callable[[bytes], T], what: str) -> T | None:
    """`parse` of the file, or None when there is none or it cannot be read or parsed (logged)."""
    try:
        return parse(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("ignoring the unreadable %s cache %s: %s", what, path, exc)
        return None


def write_cached(path: Path, data: bytes, prefix: str, what: str) -> None:
    """Write `path` atomically and drop the other `prefix`*.json files beside it (a failure is logged)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        for old in path.parent.glob(f"{prefix}*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not cache the %s in %s: %s", what, path.parent, exc)
