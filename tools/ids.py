"""Spotify ids, uris and links: validated before any request is sent or any row is read.

A Spotify id is 22 base62 characters. People and models pass ids, `spotify:KIND:ID` uris and
open.spotify.com links interchangeably; every tool accepts all three and refuses anything else with a message
that says which form it wanted. Local playlists (the local player's) are `echotune:playlist:<id>`.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from echotune.tools.errors import InvalidInputError
from echotune.tools.models import SPOTIFY_ID

KINDS = ("track", "album", "artist", "playlist", "episode", "show")
_KIND = "|".join(KINDS)
_URI = re.compile(rf"^spotify:(?P<kind>{_KIND}):(?P<id>[0-9A-Za-z]+)$")
_URL = re.compile(
    rf"^https?://open\.spotify\.com/(?:intl-[a-z-]+/)?(?P<kind>{_KIND})/"
    r"(?P<id>[0-9A-Za-z]+)(?:[?#].*)?$"
)
LOCAL_PREFIX = "local:"
LOCAL_PLAYLIST_PREFIX = "echotune:playlist:"
_LOCAL_PLAYLIST = re.compile(r"^echotune:playlist:(?P<id>[0-9A-Za-z]+)$")
_DEVICE = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")


def parse_ref(value: str, kind: str = "track") -> str:
    """The bare id from an id, a `spotify:KIND:ID` uri or an open.spotify.com link; local ids pass through."""
    value = value.strip()
    if kind == "track" and value.startswith(LOCAL_PREFIX) and len(value) > len(LOCAL_PREFIX):
        return value
    if kind == "playlist" and (local := _LOCAL_PLAYLIST.match(value)):
        value = local["id"]
    match = _URI.match(value) or _URL.match(value)
    if match:
        if match["kind"] != kind:
            raise InvalidInputError(f"{value!r} is a Spotify {match['kind']}, not a {kind}")
        value = match["id"]
    if not SPOTIFY_ID.match(value):
        raise InvalidInputError(
            f"{value!r} is not a Spotify {kind} id",
            hint=f"use 22 letters and digits, spotify:{kind}:<id> or an open.spotify.com/{kind}/ link",
        )
    return value


def to_uri(track_id: str, kind: str = "track") -> str:
    return f"spotify:{kind}:{parse_ref(track_id, kind)}"


def looks_like_ref(value: str) -> bool:
    """True when `value` is meant as an id, uri or link (and must then be valid), False for free text to search.

    A value that starts like a uri or link is a reference even when malformed, so `spotify:track:abc` is
    refused rather than searched for.
    """
    v = value.strip()
    return (
        v.startswith(("spotify:", LOCAL_PREFIX, "echotune:", "http://", "https://", "open.spotify.com"))
        or SPOTIFY_ID.match(v) is not None
    )


def parse_uri(value: str, kinds: Collection[str], default: str = "track") -> tuple[str, str]:
    """(kind, id) of an id, uri or link whose kind is one of `kinds`; a bare id is of kind `default`.

    Local track ids (`local:...`) come back as ("track", value); local playlists as ("playlist", id).
    """
    v = value.strip()
    if v.startswith("open.spotify.com"):
        v = "https://" + v
    if v.startswith(LOCAL_PREFIX) and "track" in kinds and len(v) > len(LOCAL_PREFIX):
        return "track", v
    if (local := _LOCAL_PLAYLIST.match(v)) and "playlist" in kinds:
        return "playlist", parse_ref(local["id"], "playlist")
    match = _URI.match(v) or _URL.match(v)
    if match:
        if match["kind"] not in kinds:
            raise InvalidInputError(
                f"{value!r} is a Spotify {match['kind']}; expected a {' or '.join(kinds)}",
            )
        return match["kind"], parse_ref(match["id"], match["kind"])
    if v.startswith(("spotify:", "echotune:", "http://", "https://")):
        raise InvalidInputError(
            f"{value!r} is not a valid Spotify uri or link",
            hint="a uri looks like spotify:track:<22 letters and digits>; a link like https://open.spotify.com/track/<id>",
        )
    return default, parse_ref(v, default)


def track_uri(value: str) -> str:
    """A validated track uri (`spotify:track:<id>`), or a local track id unchanged."""
    kind, id_ = parse_uri(value, ("track",))
    return id_ if id_.startswith(LOCAL_PREFIX) else f"spotify:{kind}:{id_}"


def uri_of(kind: str, id_: str) -> str:
    return id_ if id_.startswith(LOCAL_PREFIX) else f"spotify:{kind}:{id_}"


def device_ref(value: str) -> str:
    """A device id or name: printable, 1-100 characters."""
    v = value.strip()
    if not _DEVICE.match(v):
        raise InvalidInputError(
            f"{value!r} is not a device id or name", hint="list devices with `echotune devices list`"
        )
    return v
