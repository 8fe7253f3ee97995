"""The offline model's answers, written from tool results only (it invents nothing).

Known shapes get a natural sentence (a list of tracks, a settings document, a change, a count table); anything
else is rendered generically from the result's lists and values, so tools merged later still get a readable
answer. Text inside results is quoted as data: it is never read as an instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_ITEMS = 10


@dataclass
class Outcome:
    tool: str
    args: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    effect: str = "read"


ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
QUIET_KEYS = ("id", "uri", "user", "at", "updated_at", "timezone", "backend")


def _num(value: Any) -> str:
    if isinstance(value, str) and (m := ISO_TIME.match(value)):
        return f"{m.group(1)} {m.group(2)}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def is_track(item: Any) -> bool:
    return isinstance(item, dict) and "title" in item and ("artists" in item or "artist" in item)


def track_label(item: dict[str, Any]) -> str:
    artists = item.get("artists") or item.get("artist") or ""
    if isinstance(artists, list):
        artists = ", ".join(a.get("name", str(a)) if isinstance(a, dict) else str(a) for a in artists)
    year = f" ({item['year']})" if item.get("year") else ""
    return f"{item['title']} — {artists}{year}" if artists else f"{item['title']}{year}"


NUMBER_KEYS = ("plays", "count", "tracks", "minutes", "hours", "ms_played", "score", "play_count", "listens")


def item_label(item: Any) -> str:
    if not isinstance(item, dict):
        return _num(item)
    if is_track(item):
        extra = next((f"{_num(item[k])} {k.replace('_', ' ')}" for k in ("plays", "play_count") if k in item), "")
        reason = f": {item['reason']}" if isinstance(item.get("reason"), str) else ""
        return track_label(item) + (f", {extra}" if extra else "") + reason
    for key in ("track", "item"):
        if is_track(item.get(key)):
            rest = {k: v for k, v in item.items() if k != key}
            return track_label(item[key]) + _extras(rest)
    if "key" in item and "new" in item:
        return f"{item['key']}: {_num(item.get('old'))} → {_num(item['new'])}"
    name = next((item[k] for k in ("name", "genre", "artist", "label", "title", "tool", "provider", "variant", "hour",
                                   "weekday", "day", "month") if k in item), None)  # fmt: skip
    if name is not None:
        return f"{_num(name)}" + _extras({k: v for k, v in item.items() if item.get(k) is not name})
    if "start" in item and "end" in item:  # a span of time: "2024-12-28 11:13 → 20:21"
        start, end = _num(item["start"]), _num(item["end"])
        end = end[11:] if end[:10] == start[:10] else end
        rest = {k: v for k, v in item.items() if k not in ("start", "end")}
        return f"{start} → {end}" + _extras(rest)
    scalars = [(k, v) for k, v in item.items() if isinstance(v, str | int | float | bool) and k not in ("id", "uri")]
    return ", ".join(f"{k.replace('_', ' ')} {_num(v)}" for k, v in scalars[:3])


def _extras(rest: dict[str, Any]) -> str:
    nums = [(k, v) for k, v in rest.items() if k in NUMBER_KEYS and isinstance(v, int | float)]
    if not nums:
        nums = [(k, v) for k, v in rest.items() if isinstance(v, int | float) and not isinstance(v, bool)][:1]
    return "".join(f" ({_num(v)} {k.replace('_', ' ')})" for k, v in nums[:2])


def numbered(items: list[Any]) -> str:
    if items and all(isinstance(x, int | float) for x in items):  # a series (plays per hour): say its shape
        peak = max(range(len(items)), key=lambda i: items[i])
        return f"{len(items)} values, highest {_num(items[peak])} at position {peak}"
    lines = [f"{i}. {item_label(x)}" for i, x in enumerate(items[:MAX_ITEMS], 1)]
    if len(items) > MAX_ITEMS:
        lines.append(f"… and {len(items) - MAX_ITEMS} more.")
    return "\n".join(lines)


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


# -- known shapes -------------------------------------------------------------------------------------------
def _search(o: Outcome) -> str | None:
    tracks = (o.result or {}).get("tracks")
    if not isinstance(tracks, list) or (tracks and not is_track(tracks[0])):
        return None
    what = " ".join(str(o.args[k]) for k in ("query", "artist", "genre") if o.args.get(k)) or "that"
    years = ""
    if o.args.get("year_from") or o.args.get("year_to"):
        years = f", {o.args.get('year_from') or '…'}–{o.args.get('year_to') or '…'}"
    if not tracks:
        if o.tool.startswith("recommend"):
            return "I have no recommendations for that yet."
        return f"I found nothing for “{what}{years}”. Try fewer or different words."
    if o.tool.startswith("recommend"):
        head = f"Here {'is' if len(tracks) == 1 else 'are'} {len(tracks)} track{'s' if len(tracks) != 1 else ''} you may like:"
    elif o.tool.startswith(("catalog", "spotify")):
        head = f"I found {len(tracks)} track{'s' if len(tracks) != 1 else ''} for “{what}{years}”:"
    else:
        head = f"{len(tracks)} track{'s' if len(tracks) != 1 else ''}:"
    return f"{head}\n{numbered(tracks)}"


def _one_track(o: Outcome) -> str | None:
    track = (o.result or {}).get("track")
    if not is_track(track):
        return None
    parts = [track_label(track) + "."]
    if track.get("genres"):
        parts.append(f"Genres: {', '.join(track['genres'][:4])}.")
    if track.get("popularity") is not None:
        parts.append(f"Popularity {track['popularity']}/100.")
    f = track.get("features")
    if isinstance(f, dict):
        parts.append(
            f"Tempo {f['tempo']:.0f} bpm, energy {f['energy']:.2f}, danceability {f['danceability']:.2f}, "
            f"valence (mood) {f['valence']:.2f}, acousticness {f['acousticness']:.2f}."
        )
    if track.get("explicit"):
        parts.append("Marked explicit.")
    if track.get("uri"):
        parts.append(f"({track['uri']})")
    return " ".join(parts)


def _settings(o: Outcome) -> str | None:
    r = o.result or {}
    if not isinstance(r.get("settings"), dict) or "version" not in r:
        return None
    if o.effect != "read" and isinstance(o.args.get("key"), str):
        value = _flat(r["settings"]).get(o.args["key"], o.args.get("value"))
        return f"Done: {o.args['key']} is now {_num(value)} (settings version {r['version']})."
    s = _flat(r["settings"])
    groups: dict[str, list[str]] = {}
    for key, value in s.items():
        section, _, leaf = key.rpartition(".")
        groups.setdefault(section, []).append(
            f"{leaf.replace('_', ' ')} {_num(value) if value is not None else 'default'}"
        )
    lines = [f"Your settings (version {r['version']}):"]
    for section, items in groups.items():
        lines.append(f"- {section + ': ' if section else ''}{', '.join(items)}")
    return "\n".join(lines)


def _stats(o: Outcome) -> str | None:
    r = o.result or {}
    if "tracks" not in r or "top_genres" not in r:
        return None
    genres = ", ".join(f"{g['genre']} ({_num(g['tracks'])})" for g in r["top_genres"][:5])
    years = f", {r['year_min']}–{r['year_max']}" if r.get("year_min") else ""
    return f"The catalog has {_num(r['tracks'])} tracks by {_num(r['artists'])} artists{years}. Most common genres: {genres}."


def _changes(o: Outcome) -> str | None:
    changes = (o.result or {}).get("changes")
    if not isinstance(changes, list):
        return None
    if not changes:
        return "No settings changes yet."
    lines = [
        f"{i}. version {c.get('version')}, {str(c.get('at', ''))[:16].replace('T', ' ')}: {c.get('key')} "
        f"{_num(c.get('old'))} → {_num(c.get('new'))}"
        for i, c in enumerate(changes[:MAX_ITEMS], 1)
    ]
    return "Settings changes, newest first:\n" + "\n".join(lines)


def _generic(o: Outcome) -> str:
    r = o.result or {}
    message = next((r[k] for k in ("message", "summary") if isinstance(r.get(k), str) and r[k].strip()), None)
    if message is not None:  # the tool's own sentence for people, plus what it lists
        lists = [(k, v) for k, v in r.items() if isinstance(v, list) and v and isinstance(v[0], dict | str)]
        parts = [message.strip()]
        parts.extend(f"{k.replace('_', ' ').capitalize()}:\n{numbered(v)}" for k, v in lists[:1])
        return "\n".join(parts)
    lists = [(k, v) for k, v in r.items() if isinstance(v, list) and v and isinstance(v[0], dict | str)]
    empty_lists = [k for k, v in r.items() if isinstance(v, list) and not v]
    scalars = {
        k: v
        for k, v in _flat({k: v for k, v in r.items() if not isinstance(v, list)}).items()
        if v is not None and k.rsplit(".", 1)[-1] not in QUIET_KEYS and not isinstance(v, list)
    }
    parts: list[str] = []
    if o.effect != "read":
        parts.append("Done.")
    if scalars:
        shown = list(scalars.items())[:8]
        parts.append("; ".join(f"{k.replace('_', ' ').replace('.', ' ')}: {_num(v)}" for k, v in shown) + ".")
    for key, items in lists[:2]:
        parts.append(f"{key.replace('_', ' ').capitalize()}:\n{numbered(items)}")
    if not lists and empty_lists and not scalars:
        parts.append(f"No {empty_lists[0].replace('_', ' ')} found.")
    return "\n".join(parts) if parts else "Done."


SHAPES = (_search, _one_track, _settings, _stats, _changes)


def describe_call(tool: str, args: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in list(args.items())[:3])
    return f"{tool}({shown})"


def render(o: Outcome) -> str:
    if o.error is not None:
        if o.error.get("error") == "declined":
            return f"OK, I did not run {describe_call(o.tool, o.args)}; nothing changed."
        hint = f" {o.error['hint'][0].upper()}{o.error['hint'][1:]}." if o.error.get("hint") else ""
        return f"That didn't work: {o.error.get('message', o.error.get('error'))}.{hint}".replace("..", ".")
    for shape in SHAPES:
        text = shape(o)
        if text is not None:
            return text
    return _generic(o)


def compose(outcomes: list[Outcome], notes: list[str]) -> str:
    """The answer to a turn from its tool outcomes, in order, plus anything the model could not resolve."""
    parts = [render(o) for o in outcomes]
    parts.extend(n for n in notes if n)
    return "\n\n".join(p for p in parts if p).strip() or "Done."
