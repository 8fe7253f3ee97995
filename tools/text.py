"""Text normalisation shared by catalog search and play matching, so "Beyoncé" and "beyonce" meet."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_APOSTROPHE = re.compile(r"['’`´]")
# " - Remastered 2011", " - Live", "(feat. X)", "[Karaoke Version]": versions of a song, not its name.
_VERSION = re.compile(
    r"\s+-\s+.*$|\s*[(\[][^)\]]*(?:feat|with|remaster|version|live|edit|mix|mono|stereo)[^)\]]*[)\]]", re.I
)


def normalize(text: str) -> str:
    """Casefold, strip accents and punctuation, collapse spaces: "Beyoncé – Halo!" -> "beyonce halo"."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = _APOSTROPHE.sub("", text)
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).replace("_", " ").split())


def song_name(title: str) -> str:
    """A title without its version decorations: "Don't Stop Me Now - Remastered" -> "Don't Stop Me Now"."""
    return _VERSION.sub("", title).strip() or title


def match_key(title: str, artist: str) -> str:
    """The key that links a play without a Spotify uri to a catalog track: normalised title and first artist."""
    return f"{normalize(title)}|{normalize(artist)}"
