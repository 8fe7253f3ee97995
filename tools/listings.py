"""Tool listings: what a face needs to list the registry's tools (name, description, schemas, effect), cached on
disk so a server can answer `tools/list` without importing a single tool module.

Importing the capability modules (the pydantic models of every area) and generating their input and output
JSON schemas cost about 0.6 s of the MCP server's cold start, more than half of EchoTune's own share. A listing
is derived from the registry's `ToolSpec`s, never written by hand, and cached in the data folder under a key
that hashes every source file of `echotune.tools` with the EchoTune, pydantic and Python versions: an edited
tool or model gives a new key, so a stale listing is never served. Calling a tool still goes through the
registry (`call_tool`), which imports the modules on first use.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

import echotune.tools
from echotune import __version__
from echotune.tools.cache_files import hash_sources, read_cached, write_cached

if TYPE_CHECKING:
    from echotune.tools.registry import Effect, ToolSpec

FORMAT = 3
"""Bump when ToolListing's fields change: old cache files then no longer match."""
PREFIX = "tool-listings-"


@dataclass(frozen=True)
class ToolListing:
    """One registry tool as it is listed: everything but the function (see ToolSpec for the meaning of each)."""

    name: str
    description: str
    module: str
    cli: tuple[str, str] | None
    effect: Effect
    idempotent: bool
    open_world: bool
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    quick: bool = False

    @property
    def read_only(self) -> bool:
        return self.effect == "read"

    @classmethod
    def of(cls, spec: ToolSpec) -> ToolListing:
        return cls(
            name=spec.name,
            description=spec.description,
            module=spec.module,
            cli=spec.cli,
            effect=spec.effect,
            idempotent=spec.idempotent,
            open_world=spec.open_world,
            input_schema=spec.input_schema(),
            output_schema=spec.output_schema(),
            quick=spec.quick,
        )


def source_key(folders: Iterable[str | Path] | None = None) -> str:
    """A hash of what the listings are derived from: every source file of echotune.tools (the registry, the
    tools and their models: nothing there imports from other packages) and the versions of EchoTune, pydantic
    (it writes the schemas) and Python. folders: the package's folders (tests point it at a copy); the installed
    package's key is computed once per process (a server's start-up asks for it twice)."""
    return _installed_key() if folders is None else _key(folders)


@cache
def _installed_key() -> str:
    return _key(echotune.tools.__path__)


def _key(folders: Iterable[str | Path]) -> str:
    from pydantic.version import VERSION as PYDANTIC_VERSION

    digest = hashlib.sha256(f"{FORMAT} {__version__} {PYDANTIC_VERSION} {sys.version_info[:2]}".encode())
    hash_sources(digest, folders)
    return digest.hexdigest()[:32]


def derive() -> dict[str, ToolListing]:
    """Every tool's listing from the registry itself (imports every tool module)."""
    from echotune.tools.registry import all_tools

    return {name: ToolListing.of(spec) for name, spec in all_tools().items()}


def tool_listings(cache_dir: Path | None = None) -> dict[str, ToolListing]:
    """Every registry tool's listing, by name, in registry order.

    With a cache_dir: read from there when the sources are unchanged, else derived and written there for the
    next process. The registry learns from them which module declares each tool (`know_modules`), so whoever
    reads the listings first (the CLI, a server, `call_tool`) spares every later call importing all modules.
    """
    from echotune.tools.registry import know_modules

    if cache_dir is None:
        return derive()
    path = cache_dir / f"{PREFIX}{source_key()}.json"
    listings = read_cached(path, lambda data: {item["name"]: _listing(item) for item in orjson.loads(data)},
                           "tool listing")  # fmt: skip
    if listings is None:
        listings = derive()
        write_cached(path, orjson.dumps([asdict(listing) for listing in listings.values()]), PREFIX, "tool listing")
    know_modules({name: listing.module for name, listing in listings.items()})
    return listings


def _listing(item: dict[str, Any]) -> ToolListing:
    cli = item.pop("cli")
    return ToolListing(**item, cli=None if cli is None else (cli[0], cli[1]))
