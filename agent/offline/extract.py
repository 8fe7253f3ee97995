"""Argument extraction: fill a tool's input from the words of a request, driven by the tool's input schema.

Each field is classified by its name, type, enum and bounds (a `limit` integer is a count, a `track` string is a
catalog track, an enum takes one of its values, a `query` string takes what is left of the request...), and the
matching extractor looks for it. A few named extractors know EchoTune's vocabulary (catalog artists and genres,
settings keys and their types, periods). Extractors run in a fixed order and mark the words they used, so the
free-text fields get only what is left. What a required field cannot get becomes a clarifying question.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from echotune.agent.offline.entities import Entities, track_refs
from echotune.agent.offline.lexicon import FILLER, NUMBER_WORDS, ORDINALS, REFERENCE, TITLE_LIST
from echotune.agent.offline.periods import Period, find_period
from echotune.agent.offline.toolinfo import FieldSpec, ToolInfo, field_specs
from echotune.tools.text import normalize

MISSING: Any = object()

# -- leading and trailing words that carry intent or politeness, not the thing asked about --------------------
_NUMS = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
LEAD = re.compile(
    r"^(?:(?:please|pls|kindly|ok|okay|echotune|hey echotune|hi echotune|so|now|just|also|then|and|but|y|und|et|actually|"
    r"oh|hmm|hm|well|um|uh|alright|right)\s+"
    r"|(?:can|could|would|will) (?:you|i|we)\s+"
    r"|(?:i want to|i wanna|id like to|i would like to|i need to|i want|id like|i would like|lets|let s|go ahead and)\s+"
    r"|(?:(?:have|did|do) i (?:ever )?(?:listen(?:ed)?|play(?:ed)?|hear(?:d)?)(?: to)?|when did i (?:last )?"
    r"(?:listen(?:ed)?|play(?:ed)?|hear(?:d)?)(?: to)?|how (?:often|many times) (?:did|have) i (?:play(?:ed)?|"
    r"listen(?:ed)? to|hear(?:d)?))\s+"
    r"|(?:do you know|have you heard(?: of)?|find|search(?: for| the catalog(?:ue)? for)?|look(?: up| for)?|remove|take|drop|save|unsave|unlike|heart|put(?: on)?|lookup|show(?: me)?|give(?: me)?|get(?: me)?|tell me(?: more)?"
    r"(?: about)?|list|do you have|is there|are there|have you got|play|put on|start playing|queue(?: up)?|add|"
    r"recommend(?: me)?|suggest(?: me)?|what about|how about|busca(?:r)?|pon(?:me)?|reproduce|spiele?|such(?:e)?|"
    r"cherche|joue|toca|suona|cerca|procura|adiciona|agrega|anade|ajoute|aggiungi)\s+"
    r"|(?:a|an|the|some|any|my|me|us|un|una|unos|unas|el|la|los|las|ein|eine|einige|der|die|das|des|du|le|les)\s+"
    rf"|(?:\d+|{_NUMS})\s+"
    r"|(?:more\s+)?(?:songs?|tracks?|tunes?|music|something|anything|stuff|ones?|hits|canciones|cancion|lieder|"
    r"lied|chansons?|musica|titres?)(?:\s+(?:like|similar to|such as|in the style of|that sounds? like|called|"
    r"named|titled|by|from|de|von|par|como|wie|comme))?\s+"
    r"|(?:the )?(?:song|track) (?:called|named|titled)\s+)+"
)
TRAIL = re.compile(
    r"(?:\s+(?:please|for me|in (?:the|your) catalog(?:ue)?|from the catalog(?:ue)?|on spotify|to (?:the|my) queue|"
    r"na fila|a la cola|in coda|alla coda|in die warteschlange|a la file dattente|"
    r"(?:back )?(?:to|from|in|into|off|out of) my (?:library|liked songs|likes|saved songs|saved tracks|favou?rites)|"
    r"next|now|again|thanks?|thank you|right now|for me please|bitte|por favor|sil te plait|svp|pls|plz|thx|but|and|or))+$"
)
SEED_CUE = re.compile(
    r"\b(?:like|similar to|such as|in the style of|that sounds? like|reminds? me of|in the vein of|along the lines of|"
    r"reminiscent of|in the spirit of|akin to|the likes of|parecid\w* (?:com|con|a)|semelhantes? a|similares? a|"
    r"ahnlich wie|simili a|wie|como|comme)\s+"
)
ARTIST_CUE = re.compile(r"\b(?:by|from|de|von|par|di|of the artist|by the artist)\s+")
DECADE = re.compile(
    r"\b(?:from |in |of )?(?:the )?(?:(?:19|20)?(\d)0s|(?:19|20)(\d)0 s|(sixties|seventies|eighties|nineties|"
    r"sechziger|siebziger|achtziger|neunziger))\b"
)
DECADE_WORDS = {"sixties": 6, "seventies": 7, "eighties": 8, "nineties": 9, "sechziger": 6, "siebziger": 7,
                "achtziger": 8, "neunziger": 9}  # fmt: skip
YEAR_RANGE = re.compile(r"\b(?:from |between )?((?:19|20)\d\d) (?:to|and|until|till|through|-) ((?:19|20)\d\d)\b")
YEAR_AFTER = re.compile(
    r"\b(?:released |came out |out )?(?:since|after|from|newer than|later than|starting) ((?:19|20)\d\d)\b|\b((?:19|20)\d\d) (?:and|or) (?:later|"
    r"newer|after|onwards|on)\b"
)
YEAR_BEFORE = re.compile(
    r"\b(?:released |came out |out )?(?:before|until|older than|earlier than|up to|prior to) ((?:19|20)\d\d)\b"
)
YEAR_IN = re.compile(r"\b(?:released in|came out in|in|from|of) ((?:19|20)\d\d)\b")
COUNT_NOUNS = (
    r"(?:songs?|tracks?|tunes?|artists?|bands?|genres?|results?|items?|changes?|things|ones|picks|recommendations?|"
    r"plays?|entries|playlists?|sessions?|months?|albums?|canciones|lieder|titres|chansons)"
)
REF_ONLY = re.compile(
    r"^(?:(?:this|that|the|it|current|these|those|same|one|first|second|third|fourth|fifth|last|top)\s*)+"
    r"(?:one|ones|song|songs|track|tracks|tune|result|results|again)?$"
    r"|^(?:whatevers|whatever is|whats|what is|what s|the (?:song|track|thing)(?: thats| that is)?) playing(?: now)?$"
)
COMMAND_ONLY = re.compile(
    r"^(?:(?:make|create|build|generate|give|me|us|a|an|the|new|my|playlist|playlists|mix|of|with|for|some|"
    r"songs?|tracks?|please|called|named)\s*)+$"
)
TIME_POS = re.compile(
    rf"\b(\d{{1,2}}):(\d{{2}})\b|\b(\d+|{_NUMS}|an?|half an?) ?(seconds?|secs?|s|minutes?|mins?|m)\b(?! ago)"
)
QUOTED = re.compile(r"[\"“”'‘’«»]([^\"“”'‘’«»]{1,100})[\"“”'‘’«»]")

# synonyms for enum values and bools (normalised words)
ENUM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "like": ("like", "love", "thumbs up", "more like this", "me gusta", "gefallt"),
    "dislike": ("dislike", "hate", "dont like", "do not like", "thumbs down", "not my", "cant stand", "less like",
                "never play", "no me gusta"),
    "skip": ("skip", "skipped"),
    "tracks": ("songs", "tracks", "song", "track", "tunes", "canciones", "lieder", "titres"),
    "artists": ("artists", "artist", "bands", "band", "singers", "musicians", "kunstler", "artistas", "artisti",
                "artistes", "who"),
    "genres": ("genres", "genre", "styles", "kinds of music", "generos"),
    "off": ("off", "stop", "disable", "no repeat", "dont repeat", "no more", "stop repeating", "aus", "ausschalten",
            "desactiva", "desactive", "disattiva", "desliga", "apaga", "quita", "quitar", "spegni"),
    "track": ("this song", "this track", "the song", "the track", "one song", "current song", "this one",
              "this on loop", "this on repeat", "it on loop", "it on repeat", "loop this", "loop it", "repeat this"),
    "context": ("album", "playlist", "everything", "all", "the queue"),
    "album": ("albums",),
    "running": ("run", "running", "jogging", "a jog", "courir", "correr", "laufen", "joggen", "correre", "corsa"),
    "workout": ("workout", "work out", "gym", "training", "lifting", "entrenar", "entrenamiento", "sport"),
    "sleep": ("sleep", "sleeping", "bedtime", "dormir", "schlafen", "dormire"),
    "focus": ("focus", "concentrate", "studying", "study", "work", "estudiar", "lernen", "travailler", "studiare"),
    "json": ("json",),
    "shows": ("shows", "podcasts", "podcast"),
    "time": ("time listened", "listening time", "by time", "longest", "most time", "hours", "minutes"),
    "any": ("anything", "everything"),
    "csv": ("csv", "spreadsheet", "excel"),
    "html": ("html", "web page", "browser"),
}  # fmt: skip
TRUE_WORDS = re.compile(r"\b(on|enable|enabled|true|yes|allow|show|include|turn on|start|activate|use)\b")
FALSE_WORDS = re.compile(
    r"\b(off|disable|disabled|false|no|dont|do not|stop|hide|exclude|block|never|without|no longer|turn off|"
    r"deactivate|not|quita|quitar|desactiva\w*|apaga\w*|desliga\w*|spegni|disattiva\w*|ausschalten|ausmachen)\b"
)
POLITE_TAIL = re.compile(r"(?:\s+(?:please|pls|plz|thanks?|thank you|thx|bitte|por favor|svp|per favore))+$", re.I)
"""Politeness after a name ("named Sunday Coffee pls") is not part of it."""
LOCAL_NEGATION = re.compile(
    r"\b(?:no|not|dont|do not|without|skip|skipping|except|exclude|excluding|leave out|leaving out|ignore|"
    r"ignoring|never|havent|hasnt|off)\b"
)
"""Words that negate the option they stand next to ("but skip the top tracks part")."""
UNIT_WORDS = {"minutes": r"m|min|mins|minutes?", "seconds": r"s|secs?|seconds?", "hours": r"h|hrs?|hours?",
              "days": r"d|days?", "weeks": r"w|weeks?", "percent": r"%|percent"}  # fmt: skip
"""An optional number field named for its unit ("gap_minutes") takes the one number given in that unit."""
FLOAT = re.compile(r"(?<![\d.])(\d+(?:[.,]\d+)?)\s*(%|percent|prozent|por ciento)?")
SETTING_SYNONYMS: dict[str, tuple[str, ...]] = {
    "recommendation.diversity": ("diversity", "diverse", "variety", "varied", "vielfalt", "diversidad", "diversitat",
                                 "diversite", "diversita"),
    "recommendation.popularity": ("popularity", "popular", "mainstream"),
    "recommendation.collaborative": ("collaborative", "listeners like me weight", "what others play"),
    "recommendation.content": ("content weight", "sound similarity", "content similarity", "content"),
    "recommendation.exclude_heard": ("exclude heard", "already heard", "songs i know", "heard before",
                                     "already played", "songs i have heard", "exclude"),
    "recommendation.max_per_artist": ("per artist", "same artist", "max per artist", "songs per artist"),
    "privacy.store_history": ("store my history", "store history", "listening history", "history", "store",
                              "record", "keep my plays", "save my plays", "keep track", "keeping track",
                              "track what i", "record what i"),
    "privacy.listeners_like_you": ("listeners like you", "listeners like me", "people like me", "compare my taste",
                                   "compare"),
    "content.allow_explicit": ("explicit", "swearing", "parental", "clean version"),
    "provider": ("provider", "openai", "gemini", "openrouter", "offline model", "offline", "openai compatible",
                 "ollama"),
    "model": ("model",),
    "market": ("market", "country", "region"),
}  # fmt: skip
COUNTRIES = {"germany": "DE", "deutschland": "DE", "france": "FR", "spain": "ES", "espana": "ES", "italy": "IT",
             "united states": "US", "usa": "US", "america": "US", "uk": "GB", "united kingdom": "GB", "britain": "GB",
             "england": "GB", "brazil": "BR", "brasil": "BR", "mexico": "MX", "japan": "JP", "canada": "CA",
             "sweden": "SE", "netherlands": "NL", "austria": "AT", "switzerland": "CH", "portugal": "PT",
             "australia": "AU", "india": "IN", "argentina": "AR", "poland": "PL"}  # fmt: skip


_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_ONES = "one|two|three|four|five|six|seven|eight|nine"
SPELLED_AMOUNT = re.compile(
    rf"\b(?:({_TENS})[ -]({_ONES})|({_NUMS}))\s*(percent|per cent|%|minutes?|mins?|seconds?|secs?)(?!\w)", re.I
)
"""A number in words before its unit ("thirty-five percent", "ten minutes"); titles keep theirs."""


def spelled_amounts(raw: str) -> str:
    def digits(m: re.Match[str]) -> str:
        if m.group(1):
            value = NUMBER_WORDS[m.group(1).lower()] + NUMBER_WORDS[m.group(2).lower()]
        else:
            value = NUMBER_WORDS[m.group(3).lower()]
        return f"{value} {m.group(4)}"

    return SPELLED_AMOUNT.sub(digits, raw)


@dataclass
class Env:
    """One request part being read: its text, what earlier results offer, and which words are used up."""

    raw: str
    today: date
    entities: Entities | None = None
    refs: list[dict[str, Any]] = field(default_factory=list)  # items of earlier results, most recent first
    ref_results: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (tool, result), most recent first
    text: str = ""
    used: list[tuple[int, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the extractors could not resolve, said to the person

    def __post_init__(self) -> None:
        self.raw = spelled_amounts(self.raw)
        self.text = normalize(self.raw.replace("-", " ").replace("/", " "))

    def use(self, start: int, end: int) -> None:
        self.used.append((start, end))

    def free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.used)

    def search(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        for m in pattern.finditer(self.text):
            if self.free(m.start(), m.end()):
                return m
        return None

    def residual(self) -> str:
        """The longest stretch of words no extractor used, without leading and trailing intent words."""
        chars = list(self.text)
        for a, b in self.used:
            for i in range(a, b):
                chars[i] = "|"
        best = ""
        for piece in "".join(chars).split("|"):
            piece = strip_fluff(piece)
            if len(piece) > len(best):
                best = piece
        return best

    @property
    def referring(self) -> bool:
        return bool(REFERENCE.search(self.text))


def strip_fluff(text: str) -> str:
    text = " ".join(text.split())
    while True:
        stripped = TRAIL.sub("", LEAD.sub("", text + " ").strip()).strip()
        if stripped == text:
            return stripped
        text = stripped


@dataclass
class Extraction:
    args: dict[str, Any]
    missing: list[FieldSpec]
    notes: list[str]


# -- field categories -----------------------------------------------------------------------------------------
COUNT_NAMES = {"limit", "count", "n", "k", "top", "size", "number", "how_many", "max_results", "num_results",
               "max_items", "amount", "length", "num_tracks", "tracks_count"}  # fmt: skip
TEXT_NAMES = {"query", "q", "text", "prompt", "description", "request", "mood", "search", "keywords", "phrase",
              "free_text", "terms", "activity", "vibe", "message", "what", "words"}  # fmt: skip
PERIOD_NAMES = {"period", "range", "time_range", "timeframe", "window", "term", "span", "when"}
START_NAMES = {"since", "start", "from_date", "after", "start_date", "date_from", "begin", "from", "frm", "start_at"}
END_NAMES = {"until", "end", "to_date", "before", "end_date", "date_to", "to", "end_at"}
POSITION_NAMES = {"position_ms", "position", "seconds", "offset_ms", "ms", "position_s", "at", "seek_ms", "time"}
PATH_NAMES = {"path", "paths", "file", "files", "filename", "source", "folder", "directory", "zip", "out", "output",
              "out_file", "destination"}  # fmt: skip
NAME_NAMES = {"name", "title", "playlist_name", "new_name"}
TRACK_RE = re.compile(
    r"^(track|tracks|song|songs|seed_tracks|seeds|seed|track_ids?|track_uris?|uris?|items|track_id|seed_track_ids?)$"
)


def category(f: FieldSpec, tool: ToolInfo) -> str:
    n = f.name.lower()
    if n == "key" and f.examples and "value" in tool.fields:
        return "setting_key"
    if n == "value" and "key" in tool.fields and tool.fields["key"].examples:
        return "setting_value"
    if n == "expected_version" or n.endswith("_version"):
        return "version"
    if TRACK_RE.match(n) and f.kind in ("str", "list", "any"):
        return "track"
    if "artist" in n and f.kind in ("str", "list", "any"):
        return "artist"
    if "genre" in n and f.kind in ("str", "list", "any"):
        return "genre"
    if n in ("year_from", "from_year", "start_year", "min_year"):
        return "year_from"
    if n in ("year_to", "to_year", "end_year", "max_year"):
        return "year_to"
    if n in ("year", "decade"):
        return "year"
    if n in PERIOD_NAMES:
        return "period"
    if n in START_NAMES:
        return "period_start"
    if n in END_NAMES:
        return "period_end"
    if n in ("days", "last_days", "num_days", "weeks", "months"):
        return "period_length"
    if f.kind == "int" and (n in COUNT_NAMES or n.startswith("num_") or n.endswith("_count")):
        return "count"
    if n in POSITION_NAMES:
        return "position"
    if "volume" in n or n in ("percent", "level"):
        return "volume"
    if "device" in n:
        return "device"
    if n in PATH_NAMES:
        return "path"
    if "playlist" in n:
        return "playlist"
    if n in NAME_NAMES:
        return "name"
    if f.kind == "enum" or (f.kind == "list" and f.item_enum):
        return "enum"
    if n in TEXT_NAMES:
        return "text"
    if f.kind == "bool":
        return "bool"
    if f.kind in ("int", "float"):
        return "number"
    if f.kind in ("str", "any"):
        return "string"
    return "skip"


ORDER = ["setting_key", "setting_value", "version", "track_refs", "year", "year_from", "year_to", "period", "period_start",
         "period_end", "period_length", "count", "position", "volume", "path", "device", "artist", "genre", "enum",
         "bool", "number", "playlist", "name", "track", "text", "string", "skip"]  # fmt: skip


def extract(tool: ToolInfo, env: Env) -> Extraction:
    """Arguments for `tool` from the request in `env`; required fields that stay empty are reported missing."""
    args: dict[str, Any] = {}
    cats = {name: category(f, tool) for name, f in tool.fields.items()}
    for name in sorted(tool.fields, key=lambda n: ORDER.index(cats[n])):
        f = tool.fields[name]
        value = EXTRACTORS.get(cats[name], lambda f, e, t, a: MISSING)(f, env, tool, args)
        if value is not MISSING and value is not None and value != [] and value != "":
            args[name] = value
    args = clean(args)
    missing = [f for n, f in tool.fields.items() if f.required and n not in args]
    return Extraction(args, missing, env.notes)


# -- extractors: (field, env, tool, args so far) -> value or MISSING -----------------------------------------
Extractor = Callable[[FieldSpec, Env, ToolInfo, dict[str, Any]], Any]


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


def count(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    patterns = [
        re.compile(rf"\b(\d{{1,3}}|{_NUMS})\s+(?:\w+\s+){{0,2}}?{COUNT_NOUNS}\b"),
        re.compile(rf"\b(?:top|first|last|limit|show|give me|only|just)\s+(\d{{1,3}}|{_NUMS})\b"),
    ]
    for pattern in patterns:
        m = env.search(pattern)
        if m:
            n = _number(m.group(1))
            if n:
                env.use(m.start(1), m.end(1))
                return int(f.clamp(n))
    return MISSING


def _decade(env: Env) -> tuple[int, int] | None:
    m = env.search(DECADE)
    if not m:
        return None
    digit = m.group(1) or m.group(2)
    decade = int(digit) if digit else DECADE_WORDS[m.group(3)]
    century = 2000 if decade <= 2 and not re.search(r"19\d0s", m.group(0)) else 1900
    if re.search(r"\b20\d0s?\b", m.group(0)):
        century = 2000
    start = century + decade * 10
    env.use(m.start(), m.end())
    return start, start + 9


def _years(env: Env) -> tuple[int | None, int | None] | None:
    if (d := _decade(env)) is not None:
        return d
    for pattern, kind in ((YEAR_RANGE, "range"), (YEAR_AFTER, "after"), (YEAR_BEFORE, "before"), (YEAR_IN, "in")):
        m = env.search(pattern)
        if m:
            env.use(m.start(), m.end())
            if kind == "range":
                return int(m.group(1)), int(m.group(2))
            if kind == "after":
                return int(m.group(1) or m.group(2)), None
            if kind == "before":
                return None, int(m.group(1)) - 1
            return int(m.group(1)), int(m.group(1))
    return None


def _year_pair(env: Env, args: dict[str, Any]) -> tuple[int | None, int | None] | None:
    cached = args.get("__years__", MISSING)
    if cached is MISSING:
        cached = _years(env)
        args["__years__"] = cached
    return cached


def year_from(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    pair = _year_pair(env, args)
    return pair[0] if pair and pair[0] is not None else MISSING


def year_to(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    pair = _year_pair(env, args)
    return pair[1] if pair and pair[1] is not None else MISSING


def year(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    pair = _year_pair(env, args)
    if not pair:
        return MISSING
    return pair[0] if pair[0] is not None else pair[1]


def _period(env: Env, args: dict[str, Any]) -> Period | None:
    cached = args.get("__period__", MISSING)
    if cached is MISSING:
        cached = find_period(env.text, env.today)
        if cached is not None:
            at = env.text.find(cached.phrase)
            if at >= 0:
                env.use(at, at + len(cached.phrase))
        args["__period__"] = cached
    return cached


PERIOD_ENUM_DAYS = {"day": 1, "today": 1, "week": 7, "4weeks": 28, "four_weeks": 28, "short_term": 28, "month": 30,
                    "3months": 90, "quarter": 90, "6months": 182, "medium_term": 182, "half_year": 182, "year": 365,
                    "12months": 365, "long_term": 3650, "all": 100000, "all_time": 100000, "alltime": 100000,
                    "ever": 100000, "lifetime": 100000}  # fmt: skip


def _enum_for_period(values: tuple[Any, ...], p: Period) -> Any:
    """The enum value closest to a period (by length), e.g. 'last month' -> 'month' or 'short_term'."""
    want = p.days or (100000 if p.unit == "all" else {"day": 1, "week": 7, "month": 30, "year": 365}[p.unit])
    best, best_gap = MISSING, None
    for v in values:
        key = str(v).lower().replace("-", "_").replace(" ", "_")
        days = PERIOD_ENUM_DAYS.get(key)
        if days is None:
            m = re.match(r"(\d+)_?(day|week|month|year)s?$", key) or re.match(r"(\d+)(h|d|w|m|y)$", key)
            if not m:
                continue
            per = {"day": 1, "week": 7, "month": 30, "year": 365, "h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}
            days = int(m.group(1)) * per[m.group(2)]
        gap = abs(days - want) / max(days, want)
        if best_gap is None or gap < best_gap:
            best, best_gap = v, gap
    return best


def period(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    p = _period(env, args)
    if p is None:  # no date words; an enum may still be named ("short term")
        return enum(f, env, tool, args) if f.kind == "enum" else MISSING
    if f.kind == "enum":
        return _enum_for_period(f.enum, p)
    if f.kind in ("str", "any"):
        return p.canonical or p.phrase
    if f.kind == "int":
        return p.days if p.days else MISSING
    return MISSING


def period_start(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    p = _period(env, args)
    return p.start.isoformat() if p and p.start else MISSING


def period_end(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    m = re.search(r"\b(?:before|older than|prior to|vor|antes de|avant)\s+(.+)$", env.text)
    if f.name.lower() in ("before", "older_than") and m:  # "before 2020": up to the start of 2020
        named = find_period(m.group(1), env.today)
        if named is not None and named.start is not None:
            env.use(m.start(), m.end())
            return named.start.isoformat()
    p = _period(env, args)
    if not p or not p.end or p.end > env.today:
        return MISSING  # "until now" is the default of every tool that has an end
    return p.end.isoformat()


def period_length(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    p = _period(env, args)
    if not p or not p.days:
        return MISSING
    per = {"weeks": 7, "months": 30}.get(f.name, 1)
    return int(f.clamp(max(1, round(p.days / per))))


def position(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    m = TIME_POS.search(env.raw.lower())
    if not m:
        return MISSING
    if m.group(1):
        seconds = int(m.group(1)) * 60 + int(m.group(2))
    else:
        amount = m.group(3)
        n = 0.5 if amount.startswith("half") else 1 if amount in ("a", "an") else _number(amount)
        if not n:
            return MISSING
        seconds = round(n * (60 if m.group(4).startswith("m") else 1))
    if f.kind == "str":
        return str(seconds)
    value = seconds * 1000 if "ms" in f.name or "milli" in f.description.lower() else seconds
    return int(f.clamp(value))


RELATIVE_VOLUME = re.compile(
    r"\b(?P<up>louder|turn it up|turn up|up a bit|raise|lauter|mas alto|plus fort|alza|sube)\b|"
    r"\b(?P<down>quieter|softer|turn it down|turn down|down a bit|lower|leiser|mas bajo|moins fort|baja)\b"
)
VOLUME_STEP = 15


def current_volume(env: Env) -> int | None:
    """The volume an earlier result reported (a device's or the playback state's volume_percent)."""

    def find(value: Any) -> int | None:
        if isinstance(value, dict):
            if isinstance(value.get("volume_percent"), int):
                return value["volume_percent"]
            for v in value.values():
                if (got := find(v)) is not None:
                    return got
        return None

    for _, result in env.ref_results:
        if (got := find(result)) is not None:
            return got
    return None


def volume(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    if re.search(r"\b(mute|silence|silent)\b", env.text):
        return 0
    if re.search(r"\b(max|maximum|full|all the way up)\b", env.text):
        return int(f.maximum if f.maximum is not None else 100)
    m = re.search(r"\b(\d{1,3})\s*(?:%|percent)?", env.raw)
    if m:
        return int(f.clamp(int(m.group(1))))
    rel = RELATIVE_VOLUME.search(env.text)
    now = current_volume(env)
    if rel and now is not None:  # "louder": a step up from what the player reported
        return int(f.clamp(now + (VOLUME_STEP if rel.group("up") else -VOLUME_STEP)))
    return MISSING


def device(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    nouns = (
        r"(?:phone|laptop|speakers?|tv|kitchen|living room|bedroom|desktop|computer|car|echo|device|mac|pc|"
        r"ipad|tablet|sonos|office|stereo|headphones)"
    )
    m = env.search(re.compile(rf"\b(?:on|to|onto|in) (?:my |the )?((?:\w+ ){{0,2}}{nouns}\w*(?: {nouns})?)\b"))
    if m:
        env.use(m.start(), m.end())
        named = re.sub(r"\s+(?:device|player)$", "", m.group(1))  # "the echotune local device"
        return named if named else m.group(1)
    return MISSING


def path(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    found = re.findall(r"(?:~|\.{0,2}/)?[\w./~-]*[\w-]+\.(?:json|zip|html?|csv|png|svg|txt|md)\b|(?:~|/)[\w./-]+",
                       env.raw)  # fmt: skip
    if not found:
        return MISSING
    return found if f.kind == "list" else found[0]


def _quoted(env: Env) -> str | None:
    m = QUOTED.search(env.raw)
    return m.group(1).strip() if m else None


def name(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    if (q := _quoted(env)) is not None:
        return q
    m = re.search(r"\b(?:called|named|titled|name it|call it|llamada|genannt|appelee)\s+(.+?)(?:\s+(?:with|and|"
                  r"for|from)\b|$)", env.raw, re.I)  # fmt: skip
    if m:
        return POLITE_TAIL.sub("", m.group(1).strip().strip(".!?")) or MISSING
    if f.required:  # "new playlist chill evenings", "make a playlist for running"
        rest = re.sub(r"\b(playlists?|create|make|new|start|build|an?|for)\b", " ", env.residual())
        rest = " ".join(rest.split())
        return rest or MISSING
    return MISSING


def playlist(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    """A playlist: the name the request gives (one the conversation made or listed, or "... playlist"), else one
    an earlier step made or listed."""
    if (q := _quoted(env)) is not None:
        return q
    if (last := last_playlist(env.ref_results)) is not None:  # "take X back out of it"
        m = env.search(re.compile(r"\b(?:back )?(?:to|from|in|into|on|onto|off|out of) (?:it|there)\b"))
        if m:
            env.use(m.start(), m.end())
            return str(last["id"])
    known = known_playlists(env.ref_results)
    for name_ in sorted(known, key=len, reverse=True):
        m = env.search(re.compile(rf"\b(?:to|from|in|into|on|onto|of|off|out of) (?:my |the )?({re.escape(name_)})"
                                  rf"(?: playlist)?\b"))  # fmt: skip
        if m:
            env.use(m.start(), m.end())
            return known[name_]
    m = env.search(re.compile(r"\b(?:to|from|in|into|on|of|off|my|the) (?:my |the )?(.+?) playlist\b|\bplaylist "
                              r"(?:called |named )?(.+?)$"))  # fmt: skip
    if m:
        env.use(m.start(), m.end())
        return (m.group(1) or m.group(2)).strip()
    if f.kind in ("str", "any"):
        for tool_name, result in env.ref_results:
            if "playlist" in tool_name and isinstance(result, dict):
                item = result.get("playlist") if isinstance(result.get("playlist"), dict) else result
                if isinstance(item, dict) and item.get("id"):
                    return item["id"]
    return MISSING


def last_playlist(results: list[tuple[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """The playlist the newest result is about (made, filled or shown), so "it" can only mean that one."""
    playlist = results[0][1].get("playlist") if results else None
    return playlist if isinstance(playlist, dict) else None


def known_playlists(results: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """Playlists earlier results (newest first) made, changed or listed: normalised name -> id."""
    out: dict[str, str] = {}
    for _, result in reversed(results):  # oldest first: a newer result wins
        for p in [result.get("playlist"), *(result.get("playlists") or [])]:
            if isinstance(p, dict) and p.get("name") and p.get("id") and normalize(str(p["name"])):
                out[normalize(str(p["name"]))] = str(p["id"])
    return out


def artist(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    if env.entities is None:
        return MISSING
    seed_field = "seed" in f.name or "like" in f.description.lower() or "similar" in f.description.lower()
    cues = [ARTIST_CUE] + ([SEED_CUE] if seed_field else [])
    for cue in cues:
        for m in cue.finditer(env.text):
            if not env.free(m.start(), m.end()):
                continue
            tail = env.text[m.end() :]
            words = tail.split()
            for size in range(min(5, len(words)), 0, -1):
                phrase = " ".join(words[:size])
                found = env.entities.artist(phrase)
                if found:
                    env.use(m.start(), m.end() + len(phrase))
                    return [found] if f.kind == "list" else found
    words = env.text.split()
    hit = env.entities.artist_in(words, allow_common=bool(re.search(r"\b(some|by|from|like)\b", env.text)))
    if hit:
        name_, start, end = hit
        span = _word_span(env.text, start, end)
        remainder = strip_fluff((env.text[: span[0]] + " " + env.text[span[1] :]).strip())
        # an artist alone ("play some queen"), or an artist beside other filters; not a word inside a title
        following = env.text[span[1] :].split()[:1]
        noun_after = bool(following) and following[0] in {"songs", "song", "tracks", "track", "music", "hits", "tunes",
                                                          "records", "classics", "stuff"}  # fmt: skip
        if not remainder or noun_after or (not seed_field and _artist_is_whole(env, span, remainder)):
            env.use(*span)
            return [name_] if f.kind == "list" else name_
    return MISSING


def _artist_is_whole(env: Env, span: tuple[int, int], remainder: str) -> bool:
    return len(remainder.split()) <= 1 and remainder in ("music", "songs", "tracks", "stuff", "hits")


def _word_span(text: str, start: int, end: int) -> tuple[int, int]:
    positions = [m.span() for m in re.finditer(r"\S+", text)]
    return positions[start][0], positions[end - 1][1]


def genre(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    if env.entities is None:
        return MISSING
    words = env.text.split()
    hit = env.entities.genre_in(words)
    if not hit:
        return MISSING
    g, start, end = hit
    span = _word_span(env.text, start, end)
    after = env.text[span[1] :].split()[:1]
    before = env.text[: span[0]].split()[-1:]
    remainder = strip_fluff((env.text[: span[0]] + " " + env.text[span[1] :]).strip())
    nouns = {"songs", "song", "tracks", "track", "music", "hits", "tunes", "stuff", "genre", "style", "classics"}
    if (after and after[0] in nouns) or (before and before[0] in {"some", "genre", "style"}) or not remainder:
        env.use(*span)
        return [g] if f.kind == "list" else g
    return MISSING


def _synonyms(value: Any) -> tuple[str, ...]:
    key = normalize(str(value).replace("_", " "))
    return (key, *ENUM_SYNONYMS.get(str(value).lower(), ()))


def enum(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    values = f.enum or f.item_enum
    if any(str(v).lower() in PERIOD_ENUM_DAYS or re.match(r"\d+_?(day|week|month|year|h$|d$|w$|m$|y$)", str(v).lower())
           for v in values):  # fmt: skip
        p = _period(env, args)
        if p is not None:
            value = _enum_for_period(values, p)
            return [value] if f.kind == "list" else value
    best: tuple[int, int, Any] | None = None
    for v in values:
        if v is None:
            continue
        for word in _synonyms(v):
            m = re.search(rf"\b{re.escape(word)}\b", env.text)
            if m and env.free(m.start(), m.end()) and (best is None or m.start() < best[0]):
                best = (m.start(), m.end(), v)
    if best is None:
        inferred = _infer_enum(f, values, env)
        if inferred is MISSING:
            return MISSING
        return [inferred] if f.kind == "list" else inferred
    if str(best[2]).lower() in ("playlist", "album", "artist", "track", "tracks", "artists", "genres"):
        env.use(best[0], best[1])  # "put on my road trip playlist": the word says what, the rest is the name
    return [best[2]] if f.kind == "list" else best[2]


def _infer_enum(f: FieldSpec, values: tuple[Any, ...], env: Env) -> Any:
    """An enum value the request implies without naming it: "shuffle my music" is on; "play some queen" is an
    artist when the words are exactly an artist's name."""
    lowered = {str(v).lower(): v for v in values if v is not None}
    if {"on", "off"} <= set(lowered):
        return lowered["off"] if FALSE_WORDS.search(env.text) else lowered["on"]
    if {"like", "dislike"} <= set(lowered):  # "I'm not into this song", "this one is great"
        return lowered["dislike"] if FALSE_WORDS.search(env.text) else lowered["like"]
    if "artist" in lowered and env.entities is not None:
        rest = env.residual()
        if rest and rest not in env.entities.titles and env.entities.artist_in(rest.split(), allow_common=True) and \
                len(rest.split()) <= 4 and env.entities.artist(rest):  # fmt: skip
            return lowered["artist"]
    return MISSING


def boolean(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    name = f.name.lower()
    if name in ("confirm", "confirmed", "sure", "i_am_sure"):
        return True  # the person's yes comes from the agent's own confirmation before acting tools run
    if name in ("all", "everything", "entire"):
        scoped = any(v not in (None, MISSING) for k, v in args.items() if not k.startswith("__"))
        if scoped:  # "everything before 2020" is scoped by the date, not all
            return MISSING
        if re.search(r"\b(all|every\w*|whole|entire|complete)\b", env.text) or tool.effect == "destroy":
            return True
        return MISSING
    if name in ("state", "enabled", "on", "active", "value"):
        return not FALSE_WORDS.search(env.text)
    words = [w for w in re.split(r"[_\W]+", name) if len(w) >= 3 and w not in ("include", "allow")]
    negative = [w for w in words if LOCAL_NEGATION.fullmatch(w)]  # "exclude_heard": yes means leaving out
    mentions = [m for w in words if w not in negative for m in re.finditer(rf"\b{w}", env.text)]
    if not mentions:
        return MISSING
    for m in mentions:  # "skip the top tracks part", "top tracks off": the option named, and negated beside it
        window = max(0, m.start() - 24)
        before, after = env.text[window : m.start()], env.text[m.end() : m.end() + 12]
        negation = LOCAL_NEGATION.search(before)
        if negation or re.match(r"\W*(\w+\s+)?(off|no)\b", after):
            env.use(window + negation.start() if negation else m.start(), m.end())  # the option, not free text
            return bool(negative)
        if negative and re.search(r"\b(include|including|with|keep|even)\b", before):
            return False
    if negative:
        return MISSING
    return not FALSE_WORDS.search(env.text)  # "shuffle my music" is shuffle on


def number(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    if not f.required:
        unit = UNIT_WORDS.get(f.name.lower().rsplit("_", 1)[-1])
        found = {m.group(1) for m in re.finditer(rf"\b(\d+)\s*(?:{unit})\b", env.text)} if unit else set()
        if len(found) != 1:
            return MISSING
        value = float(found.pop())
        return int(f.clamp(value)) if f.kind == "int" else f.clamp(value)
    m = FLOAT.search(env.raw)
    if not m:
        return MISSING
    value = float(m.group(1).replace(",", "."))
    return int(f.clamp(value)) if f.kind == "int" else f.clamp(value)


def _ref_items(env: Env, limit: int | None) -> list[dict[str, Any]]:
    """Items of earlier results a reference points at: 'the second one' -> that one, 'them' -> all."""
    if not env.refs:
        return []
    m = re.search(r"\b(first|second|third|fourth|fifth|last|top)\b", env.text)
    if m and re.search(rf"\b{m.group(1)} (one|track|song|result|hit)", env.text):
        i = ORDINALS[m.group(1)]
        return [env.refs[i]] if -len(env.refs) <= i < len(env.refs) else []
    if re.search(r"\b(them|those|these|they|all|the (results|tracks|songs)|los|las|sie|les)\b", env.text):
        return env.refs[: limit or len(env.refs)]
    return env.refs[:1]


def _track_value(f: FieldSpec, item: dict[str, Any]) -> str | None:
    wants_uri = "uri" in f.name.lower() or ("uri" in f.description.lower() and "id" not in f.description.lower())
    if wants_uri and item.get("uri"):
        return item["uri"]
    return item.get("id") or item.get("uri")


def track(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    many = f.kind == "list"
    limit = f.max_items or (args.get("limit") if many else 1)
    ids = track_refs(env.raw)
    if ids:
        return ids if many else ids[0]
    seed_field = "seed" in f.name or "like" in f.description.lower() or "similar" in f.description.lower()
    rest = env.residual()
    if REF_ONLY.match(rest) or not rest:
        rest = ""
    if env.refs and (env.referring or not rest):
        items = _ref_items(env, limit if isinstance(limit, int) else None)
        values = [v for v in (_track_value(f, i) for i in items) if v]
        if values:
            return values if many else values[0]
    words_field = any(category(g, tool) == "text" for g in tool.fields.values())
    if env.entities is None or (words_field and not f.required and not seed_field):
        return MISSING  # the tool takes the words themselves ("play hey jude"): leave them to that field
    phrase = ""
    if seed_field or SEED_CUE.search(env.text):
        m = env.search(SEED_CUE)
        if m:
            phrase = strip_fluff(env.text[m.end() :])
            env.use(m.start(), len(env.text))
        elif seed_field:
            return MISSING  # seeds need "like ...": free text goes to the text fields
    if not phrase:
        phrase = rest
    by = None
    m = re.search(r"^(.+?) (?:by|from|de|von|par) (.+)$", phrase)
    if m and env.entities.artist(m.group(2)):
        phrase, by = m.group(1), env.entities.artist(m.group(2))
    if not phrase and by is None:
        hit = args.get("artist") or args.get("artists")
        by = hit[0] if isinstance(hit, list) and hit else hit
        if not by:
            return MISSING
    titles = [p for p in TITLE_LIST.split(phrase) if p] if many else [phrase]
    bys: list[str | None] = [by] * len(titles)
    if many and len(titles) > 1 and not all(env.entities.tracks(t, by, limit=1) for t in titles):
        last_only = [None] * (len(titles) - 1) + [by]  # "eye of the tiger and lose yourself by eminem"
        if by is not None and all(env.entities.tracks(t, b, limit=1) for t, b in zip(titles, last_only, strict=True)):
            bys = last_only
        else:
            titles, bys = [phrase], [by]
    values: list[str] = []
    for title, title_by in zip((_whole_title(t, env) for t in titles), bys, strict=True):
        found = env.entities.tracks(title, title_by, limit=(limit or 5) if not title else 1)
        if not found:
            env.notes.append(f"I couldn't find “{title or by}” in the catalog.")
            continue
        if not title:  # only an artist: their best-known tracks
            values.extend(v for v in (_track_value(f, t.model_dump()) for t, _ in found) if v)
        else:
            values.append(_track_value(f, found[0][0].model_dump()) or "")
    for start in [m.start() for m in re.finditer(re.escape(phrase), env.text)][:1]:
        env.use(start, start + len(phrase))
    values = [v for v in values if v]
    if not values:
        return MISSING
    return values[: limit or len(values)] if many else values[0]


def _whole_title(phrase: str, env: Env) -> str:
    """The catalog title the words around `phrase` spell when the phrase itself is none: 'take take on me off
    of it' leaves 'on me off of it' (the verb and a typo taken as words of the request) inside 'take on me';
    'seven nation army' loses 'seven' to a count. The longest run of 2-6 words of the request that overlaps
    the phrase, is exactly a title and is not made of request words only wins."""
    entities = env.entities
    at = env.text.find(phrase)
    if entities is None or at < 0 or entities.is_title(phrase):
        return phrase
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", env.text)]
    best = ""
    for i in range(len(spans)):
        for j in range(i + 2, min(i + 6, len(spans)) + 1):
            start, end = spans[i][0], spans[j - 1][1]
            run = env.text[start:end]
            overlaps = start < at + len(phrase) and end > at
            meaningful = re.sub(FILLER, " ", run).strip()  # not a title made of request words ("this song")
            if overlaps and meaningful and len(run) > len(best) and entities.is_title(run):
                best = run
    return best or phrase


def text(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    if f.name.lower() in ("description", "message") and not f.required:  # only when asked for explicitly
        m = re.search(r"\b(?:description|described as|describe it as|with the description)\s+(.+)$", env.raw, re.I)
        return m.group(1).strip().strip("\"'") if m else MISSING
    rest = env.residual()
    if REF_ONLY.match(rest) or COMMAND_ONLY.match(rest):  # "the first one", "make a playlist of": never free text
        return MISSING
    return rest or MISSING


VERSION = re.compile(r"\b(?:version|revision|v)\s*(?:(?:i|we) (?:last )?(?:saw|read|had|got) (?:was|is) )?(\d{1,6})\b")


def version(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    """The version the person says they read ("only if my settings are still at version 3")."""
    m = env.search(VERSION)
    if not m:
        return MISSING
    env.use(m.start(), m.end())
    return int(f.clamp(int(m.group(1))))


def string(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    if not f.required:
        return MISSING
    if (q := _quoted(env)) is not None:
        return q
    return text(f, env, tool, args)


# -- settings: keys from the field's examples, values typed by the settings model -----------------------------
@cache
def setting_fields() -> dict[str, FieldSpec]:
    """Every settings key's type and bounds, from the settings model's JSON schema."""
    from echotune.tools.settings import UserSettings

    schema = UserSettings.model_json_schema()
    out: dict[str, FieldSpec] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, spec in field_specs(node).items():
            prop = node["properties"][key]
            ref = prop.get("$ref") or (prop.get("allOf") or [{}])[0].get("$ref")
            if ref:
                walk(schema["$defs"][ref.split("/")[-1]], f"{prefix}{key}.")
            else:
                out[prefix + key] = spec

    walk(schema, "")
    return out


def setting_key(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    keys = [str(k) for k in f.examples]
    best: tuple[int, int, str] | None = None  # (-length of the matched words, position, key)
    for key in keys:
        words = (*SETTING_SYNONYMS.get(key, ()), normalize(key.replace(".", " ").replace("_", " ")),
                 normalize(key.split(".")[-1].replace("_", " ")))  # fmt: skip
        for word in words:
            m = re.search(rf"\b{re.escape(word)}\b", env.text)
            if m:
                cand = (-len(word), m.start(), key)
                if best is None or cand < best:
                    best = cand
    if best is None:
        return MISSING
    return best[2]


def setting_value(f: FieldSpec, env: Env, tool: ToolInfo, args: dict[str, Any]) -> Any:
    key = args.get("key")
    spec = setting_fields().get(key) if isinstance(key, str) else None
    if spec is None:
        return MISSING
    t = env.text
    if spec.kind == "bool":
        negative = bool(FALSE_WORDS.search(t))
        if key == "content.allow_explicit":
            if re.search(r"\b(hide|block|filter|no|without|clean|exclude|dont allow|do not allow|disable)\b", t):
                return False
            return not negative
        return not negative
    if spec.kind == "enum":
        for v in sorted(spec.enum, key=lambda v: -len(str(v))):
            if v is not None and re.search(rf"\b{re.escape(normalize(str(v).replace('-', ' ')))}\b", t):
                return v
        if "ollama" in t or "local server" in t:
            return "openai-compatible"
        return MISSING
    if spec.kind in ("float", "int"):
        if spec.kind == "float" and re.search(r"\b(half|halfway|middle)\b", t):
            return 0.5
        for m in FLOAT.finditer(env.raw.lower().replace(" point ", ".")):
            value = float(m.group(1).replace(",", "."))
            if m.group(2) or (spec.maximum == 1 and value > 1):
                value = value / 100
            return spec.clamp(value) if spec.kind == "float" else int(spec.clamp(value))
        if re.search(r"\b(max|maximum|most|all the way up|highest)\b", t) and spec.maximum is not None:
            return spec.maximum
        if re.search(r"\b(min|minimum|least|lowest|zero|none)\b", t) and spec.minimum is not None:
            return spec.minimum
        return MISSING
    if key == "market":
        for m in re.finditer(r"\b([A-Z]{2})\b", env.raw):
            if m.group(1) not in ("TO", "IN", "OF", "MY", "IS", "AN", "AS", "OK", "IT", "ME"):
                return m.group(1)
        for country, code in COUNTRIES.items():
            if re.search(rf"\b{country}\b", t):
                return code
        return MISSING
    if key == "model":
        m = re.search(r"\bmodel (?:to |as )?([\w.:/-]+)", env.raw, re.I)
        return m.group(1) if m else MISSING
    return MISSING


EXTRACTORS: dict[str, Extractor] = {
    "setting_key": setting_key,
    "setting_value": setting_value,
    "year": year,
    "year_from": year_from,
    "year_to": year_to,
    "period": period,
    "period_start": period_start,
    "period_end": period_end,
    "period_length": period_length,
    "count": count,
    "position": position,
    "volume": volume,
    "path": path,
    "device": device,
    "artist": artist,
    "genre": genre,
    "enum": enum,
    "bool": boolean,
    "number": number,
    "playlist": playlist,
    "name": name,
    "track": track,
    "text": text,
    "string": string,
    "version": version,
}


def fan_out(tool: ToolInfo, env: Env, args: dict[str, Any]) -> list[dict[str, Any]]:
    """'queue them' with a tool that takes one track: one call per referenced track."""
    if not env.refs or len(env.refs) < 2 or not re.search(r"\b(them|those|these|all|they|los|las|sie|les)\b", env.text):
        return [args]
    for name, f in tool.fields.items():
        if category(f, tool) == "track" and f.kind in ("str", "any") and name in args:
            values = [v for v in (_track_value(f, item) for item in env.refs) if v]
            if len(values) > 1:
                return [{**args, name: v} for v in values]
    return [args]


def clean(args: dict[str, Any]) -> dict[str, Any]:
    """Drop the extractors' scratch values."""
    return {k: v for k, v in args.items() if not k.startswith("__")}
