"""Files derived from EchoTune's own sources and kept in the data folder's cache/ (the tool listings, the MCP
handshake): named by a hash of what they derive from, so an edited source never meets a stale file, written
atomically (two processes starting together write the same content), and older versions removed."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger("echotune")


def hash_sources(digest: Any, folders: Iterable[str | Path], suffixes: tuple[str, ...] = (".py",)) -> None:
    """Feed every file under `folders` with one of `suffixes` (its relative path and bytes) into `digest`."""
    for folder in map(Path, folders):
        for path in sorted(p for p in folder.rglob("*") if p.suffix in suffixes):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def write_cached(path: Path, data: bytes, prefix: str, what: str) -> None:
    """Write `path` atomically and drop the other `prefix`*.json files beside it. A cache that cannot be written
    costs the next process time, never correctness: the failure is logged, not raised."""
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
        log.warning("could not cache %s in %s: %s", what, path.parent, exc)
