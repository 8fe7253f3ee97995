"""Catalog entities named in a request: tracks (fuzzy title match through the catalog index), artists and genres
(vocabularies built once from the catalog), and explicit Spotify ids, uris and links."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import orjson

from echotune.tools.text import normalize, song_name

if TYPE_CHECKING:
    from echotune.tools.context import Context
    from echotune.tools.models import Track

TRACK_REF = re.compile(
    r"(?:spotify:track:|open\.spotify\.com/(?:intl-[a-z-]+/)?track/)?\b((?=[0-9A-Za-z]*\d)(?=[0-9A-Za-z]*[A-Z])"
    r"[0-9A-Za-z]{22})\b"
)
# Artist names that are also everyday words: only taken as an artist after "by", "from", "like" or "some".
COMMON_WORDS = {
    "queen", "europe", "heart", "america", "yes", "train", "poison", "live", "bush", "chicago", "boston", "kansas",
    "berlin", "journey", "genesis", "free", "war", "love", "air", "bread", "cream", "family", "low", "tonight",
    "sugar", "muse", "texas", "alabama", "shaggy", "seal", "prince", "madness", "blue", "now", "halo", "home",
    "music", "songs", "the", "you", "me", "my", "it", "this", "that", "all", "one", "two", "three", "more", "next",
    "play", "shuffle", "top", "hits", "time", "today", "yesterday", "week", "month", "year",
    "pls", "plz", "thx", "btw", "lol", "omg", "idk", "hmm", "brb", "tbh", "rn", "smth",
}  # fmt: skip
MIN_TRACK_SCORE = 72.0
MIN_ARTIST_SCORE = 88.0


@dataclass
class Entities:
    """Vocabularies over one Context's catalog: song titles, artists, genres.

    They are cached on disk (keyed by the catalog's size and build), so a new process can route a request
    without building the catalog's search index; the index loads only when a track must be looked up.
    """

    ctx: Context

    @cached_property
    def _vocab(self) -> dict[str, Any]:
        store = self.ctx.store
        key = f"{store.meta.get('catalog.bundled_sha256')}:{store.catalog.count()}"
        path = self.ctx.config.cache_dir / "offline-vocab.json"
        try:
            data = orjson.loads(path.read_bytes())
            if data.get("key") == key:
                return data
        except (OSError, orjson.JSONDecodeError):
            pass
        data = self._build(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(data))
        os.replace(tmp, path)
        return data

    def _build(self, key: str) -> dict[str, Any]:
        index = self.ctx.catalog
        names: dict[str, str] = {}
        raw_genres: set[str] = set()
        for entry in index.entries:
            raw_genres.update(entry.genres)
            for name in entry.artist_names:
                if name not in names:
                    names[name] = normalize(name)
        artists: dict[str, str] = {}
        for name, norm in names.items():
            if norm:
                artists.setdefault(norm, name)
        return {
            "key": key,
            "titles": sorted(set(index.titles) - {""}),  # the index's normalised song names
            "artists": artists,
            "genres": sorted({normalize(g) for g in raw_genres} - {""}),
        }

    @cached_property
    def artists(self) -> dict[str, str]:
        """normalised artist name -> display name."""
        return self._vocab["artists"]

    @cached_property
    def artist_keys(self) -> list[str]:
        return list(self.artists)

    @cached_property
    def titles(self) -> set[str]:
        """Normalised song names of the catalog (without version decorations)."""
        return set(self._vocab["titles"])

    def is_title(self, phrase: str) -> bool:
        """Whether the phrase is exactly a catalog song's name (version decorations aside)."""
        return normalize(song_name(phrase)) in self.titles

    @cached_property
    def common_words(self) -> set[str]:
        """Whole words of MiniLM's vocabulary: everyday words ("yesterday", "help") that single-word titles
        share, so masking them would hide what a request means."""
        from tokenizers import Tokenizer

        from echotune.agent.offline.embed import model_dir

        vocab = Tokenizer.from_file(str(model_dir() / "tokenizer.json")).get_vocab()
        return {w for w in vocab if w.isalpha()}

    @cached_property
    def phrases_by_word(self) -> dict[str, list[str]]:
        """Catalog titles, artist names and genres by each word in them."""
        index: dict[str, list[str]] = {}
        for phrase in (*self.titles, *self.artists, *self.genres):
            for word in set(phrase.split()):
                index.setdefault(word, []).append(phrase)
        return index

    def is_word(self, word: str, text: str) -> bool:
        """Whether a word of normalised `text` is meant as written: a dictionary word (MiniLM's vocabulary), or
        part of a catalog title or name the text gives in full ("mc serch" is a name; "serch for" a typo)."""
        if word in self.common_words or word in COMMON_WORDS:
            return True
        padded = f" {text} "
        return any(f" {phrase} " in padded for phrase in self.phrases_by_word.get(word, ()))

    @cached_property
    def genres(self) -> set[str]:
        return set(self._vocab["genres"])

    def mentions(self, text: str) -> bool:
        """Whether text names a catalog song or artist (single everyday words like "rome" do not count)."""
        words = text.split()
        for size in range(min(6, len(words)), 0, -1):
            for i in range(len(words) - size + 1):
                phrase = " ".join(words[i : i + size])
                if size == 1 and (phrase in self.common_words or phrase in COMMON_WORDS or len(phrase) < 4):
                    continue
                if size == 2 and all(w in COMMON_WORDS or w in self.common_words for w in words[i : i + size]):
                    continue  # "tell me", "hey you": everyday speech as much as titles
                if phrase in self.titles or phrase in self.artists:
                    return True
        return False

    def mask(self, text: str) -> str:
        """Normalised text with catalog titles and artist names replaced by "something", so that the words of a
        request, not the song it names, decide which tool it wants ("like hey jude" vs "play hey jude")."""
        words = text.split()
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(6, len(words) - i), 0, -1):
                phrase = " ".join(words[i : i + size])
                if size == 1 and (len(phrase) < 4 or phrase in COMMON_WORDS or phrase.isdigit()):
                    continue
                if size > 1 and all(w in COMMON_WORDS for w in words[i : i + size]):
                    continue
                rare = size == 1 and phrase not in self.common_words  # "wonderwall", not "yesterday"
                if ((size > 1 or rare) and phrase in self.titles) or phrase in self.artists:
                    out.append("something")
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)

    def artist(self, phrase: str) -> str | None:
        """The catalog artist a phrase names (typos tolerated), or None."""
        from rapidfuzz import fuzz, process

        key = normalize(phrase)
        if not key:
            return None
        if key in self.artists:
            return self.artists[key]
        if key.startswith("the ") and key[4:] in self.artists:
            return self.artists[key[4:]]
        if f"the {key}" in self.artists:
            return self.artists[f"the {key}"]
        if len(key) < 4:
            return None
        best = process.extractOne(key, self.artist_keys, scorer=fuzz.ratio, score_cutoff=MIN_ARTIST_SCORE)
        return self.artists[best[0]] if best else None

    def artist_in(self, words: list[str], *, allow_common: bool = False) -> tuple[str, int, int] | None:
        """The longest run of words that is exactly an artist's name: (display name, start, end) word indexes."""
        for size in range(min(5, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                phrase = " ".join(words[start : start + size])
                if size == 1 and (len(phrase) < 3 or (phrase in COMMON_WORDS and not allow_common)):
                    continue
                if phrase in COMMON_WORDS and not allow_common:
                    continue
                name = self.artists.get(phrase) or self.artists.get(f"the {phrase}")
                if name:
                    return name, start, start + size
        return None

    def genre_in(self, words: list[str]) -> tuple[str, int, int] | None:
        """The longest run of words that is a catalog genre: (genre, start, end)."""
        joined_words = [w.replace("-", " ") for w in words]
        for size in range(min(4, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                phrase = " ".join(joined_words[start : start + size])
                for candidate in (phrase, phrase.replace(" ", "-"), phrase.replace(" and ", " & ")):
                    if candidate in self.genres:
                        return candidate, start, start + size
        return None

    def tracks(self, title: str, artist: str | None = None, limit: int = 5) -> list[tuple[Track, float]]:
        """Catalog tracks whose title (and artist) match, best first, good matches only."""
        if not title.strip() and not artist:
            return []
        found = self.ctx.catalog.search(title, artist=artist, limit=limit)
        return [(t, s) for t, s in found if s >= MIN_TRACK_SCORE]


def track_refs(raw: str) -> list[str]:
    """Spotify track ids named in raw text (bare ids, spotify:track: uris, open.spotify.com links)."""
    return TRACK_REF.findall(raw)
