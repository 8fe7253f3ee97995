"""Spotify ids, uris and links: validated before any request is sent or any row is read."""

from __future__ import annotations

import re

from echotune.tools.errors import InvalidInputError
from echotune.tools.models import SPOTIFY_ID

_URI = re.compile(r"^spotify:(?P<kind>track|album|artist|playlist|episode|show):(?P<id>[0-9A-Za-z]+)$")
_URL = re.compile(
    r"^https?://open\.spotify\.com/(?:intl-[a-z-]+/)?(?P<kind>track|album|artist|playlist|episode|show)/"
    r"(?P<id>[0-9A-Za-z]+)(?:[?#].*)?$"
)
LOCAL_PREFIX = "local:"


def parse_ref(value: str, kind: str = "track") -> str:
    """The bare id from an id, a `spotify:KIND:ID` uri or an open.spotify.com link; local ids pass through."""
    value = value.strip()
    if kind == "track" and value.startswith(LOCAL_PREFIX) and len(value) > len(LOCAL_PREFIX):
        return value
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
