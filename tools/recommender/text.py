"""How a track is described to the embedding model, and its audio features as numbers on one scale.

The description (title, artists, genres, era, mood and activity words derived from the audio features) is what
free text like "rainy sunday jazz" or "upbeat 80s for running" meets in the vector space; the scaled audio
features make "same mood as Y" mean the same energy, valence and tempo, not only the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from echotune.tools.models import AudioFeatures, Track

TEXT_RECIPE = 1
"""Bump when track_text or the vector layout changes: shipped vectors record it and are refused if stale."""

FEATURES: tuple[str, ...] = (
    "danceability",
    "energy",
    "valence",
    "acousticness",
    "instrumentalness",
    "speechiness",
    "liveness",
    "loudness",
    "tempo",
)
"""The audio features that join the text embedding, in vector order."""

TEXT_WEIGHT = 0.85
AUDIO_WEIGHT = 0.5
"""The text part and the audio part are scaled so that, for typical tracks, words carry about three quarters
of the similarity and sound one quarter; the joined vector is then normalised."""

ERA_WORDS = {
    1950: "fifties",
    1960: "sixties",
    1970: "seventies",
    1980: "eighties",
    1990: "nineties",
    2000: "two thousands",
    2010: "twenty tens",
}


def mood_words(f: AudioFeatures | None) -> list[str]:
    """Words a person would use for how a track feels, from Spotify's audio features."""
    if f is None:
        return []
    words: list[str] = []
    if f.energy >= 0.75:
        words += ["energetic", "intense"]
    elif f.energy <= 0.35:
        words += ["calm", "mellow"]
    if f.valence >= 0.7:
        words += ["happy", "cheerful", "upbeat"]
    elif f.valence <= 0.3:
        words += ["sad", "melancholic", "dark"]
    if f.danceability >= 0.7:
        words += ["danceable", "groovy"]
    if f.acousticness >= 0.7:
        words.append("acoustic")
    if f.instrumentalness >= 0.5:
        words.append("instrumental")
    if f.speechiness >= 0.33:
        words.append("spoken, rap vocals")
    if f.liveness >= 0.8:
        words.append("live recording")
    if f.tempo >= 140:
        words.append("fast tempo")
    elif 0 < f.tempo <= 85:
        words.append("slow tempo")
    return words


def activity_words(f: AudioFeatures | None) -> list[str]:
    """Situations a track suits: running, party, relaxing, focus, rainy day."""
    if f is None:
        return []
    out: list[str] = []
    if f.energy >= 0.75 and f.tempo >= 115:
        out.append("workout, running")
    if f.danceability >= 0.7 and f.energy >= 0.65 and f.valence >= 0.55:
        out.append("party")
    if f.energy <= 0.35 and f.acousticness >= 0.5:
        out.append("relaxing, sleep")
    if f.instrumentalness >= 0.5 and f.energy <= 0.5:
        out.append("study, focus")
    if f.valence <= 0.35 and f.energy <= 0.5:
        out.append("rainy day")
    return out


def era(year: int | None) -> str:
    if not year:
        return ""
    decade = year // 10 * 10
    word = ERA_WORDS.get(decade, "")
    return f"{decade}s {str(decade)[2:]}s {word}".strip()


def track_text(track: Track) -> str:
    """The description embedded for a track, e.g.
    "Hey Jude by The Beatles. british invasion, merseybeat, rock. 1960s 60s sixties, 1968. calm, happy"."""
    parts = [f"{track.title} by {track.artist_names or 'unknown artist'}."]
    if track.genres:
        parts.append(", ".join(track.genres[:5]) + ".")
    if track.year:
        parts.append(f"{era(track.year)}, {track.year}.")
    feel = mood_words(track.features) + activity_words(track.features)
    if feel:
        parts.append(", ".join(feel) + ".")
    return " ".join(parts)


def raw_features(tracks: Sequence[Track]) -> tuple[np.ndarray, np.ndarray]:
    """(values, present): the FEATURES of each track as float32 rows, and which tracks have any."""
    import numpy as np

    values = np.zeros((len(tracks), len(FEATURES)), dtype=np.float32)
    present = np.zeros(len(tracks), dtype=bool)
    for i, t in enumerate(tracks):
        if t.features is not None:
            values[i] = [getattr(t.features, name) for name in FEATURES]
            present[i] = True
    return values, present


def scale_features(values: np.ndarray, present: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Standardise with the catalog's mean and spread; a track without features sits at the mean (zeros).
    Divided by sqrt(len(FEATURES)) so a typical track's audio part has a norm near 1."""
    import numpy as np

    z = (values - mean) / np.where(std > 0, std, 1.0)
    z = np.clip(z, -3.0, 3.0) / np.sqrt(len(FEATURES))
    z[~present] = 0.0
    return z.astype(np.float32)


def join(text_vectors: np.ndarray, audio: np.ndarray) -> np.ndarray:
    """One unit vector per track: the weighted text embedding beside the weighted scaled audio features."""
    import numpy as np

    out = np.hstack([TEXT_WEIGHT * text_vectors, AUDIO_WEIGHT * audio]).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)
