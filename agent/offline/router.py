"""Which tool a request wants: intent rules (lexicon.RULES) plus MiniLM similarity to each tool's example
utterances (ToolSpec.examples, so tools merged later bring their own), then a plan: one or two tool steps, a
clarifying question, a refusal, or a plain reply.

Example vectors are cached on disk (keyed by the text), so a new process embeds only examples it has not seen.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

from echotune.agent.offline.extract import RELATIVE_VOLUME, Env, category, extract, known_playlists, last_playlist
from echotune.agent.offline.lexicon import (
    ACTION_START,
    FOREIGN_WORDS,
    GREETING,
    IDENTITY,
    PLAYLIST_WITH_SONGS,
    REFERENCE,
    REFUSE,
    SAME_STEP,
    STEP_SPLIT,
    THANKS,
    TITLE_LIST,
    TOOL_PHRASES,
    compiled_rules,
)
from echotune.agent.offline.toolinfo import FieldSpec, ToolInfo
from echotune.prompts import load
from echotune.tools.text import normalize

SURE = 0.62  # combined score above which a tool is taken without a second thought
ENOUGH = 0.42  # below this, the request is unclear
NO_SIGNAL_ENOUGH = 0.5  # ...and this when no rule fired and no catalog name was mentioned
CLOSE = 0.04  # two tools this close (and neither SURE) -> ask which
STEP_ENOUGH = 0.5  # each half of a two-step request must be at least this clear
UNBOUND_RULE = 0.35  # a rule this strong for a tool not given: say it cannot be done here
FAST_RULE = 0.3  # a rule this strong, with no rival rule, decides without embedding
NOW_PLAYING = "player_now_playing"  # what "this song" means when nothing else was mentioned


@dataclass
class Step:
    tool: str
    text: str
    args: dict[str, Any] = field(default_factory=dict)
    refers: bool = False  # takes its tracks/ids from the previous step's result


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    reply: str | None = None
    pending: dict[str, Any] | None = None  # what a clarifying question waits for (kept in the message)
    notes: list[str] = field(default_factory=list)


class ExampleIndex:
    """Unit vectors of every bound tool's examples, and which tool each belongs to."""

    def __init__(
        self,
        tools: dict[str, ToolInfo],
        encode: Callable[[list[str]], np.ndarray],
        cache: Path | None,
        mask: Callable[[str], str] = lambda text: text,
    ):
        pairs = [(name, ex) for name, info in tools.items() for ex in (*info.examples, info.summary) if ex]
        self.owners = [name for name, _ in pairs]
        texts = [mask(normalize(ex)) for _, ex in pairs]
        self.vectors = _cached_encode(texts, encode, cache)

    def similarity(self, query: np.ndarray) -> dict[str, float]:
        if not self.owners:
            return {}
        sims = self.vectors @ query
        best: dict[str, float] = {}
        for owner, sim in zip(self.owners, sims.tolist(), strict=True):
            if sim > best.get(owner, -1.0):
                best[owner] = sim
        return best


def _cached_encode(texts: list[str], encode: Callable[[list[str]], np.ndarray], cache: Path | None) -> np.ndarray:
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        try:
            with np.load(cache, allow_pickle=False) as data:
                known = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
        except (OSError, ValueError, KeyError):
            known = {}
    todo = sorted({t for t in texts if t not in known})
    if todo:
        for text, vec in zip(todo, encode(todo), strict=True):
            known[text] = vec
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, texts=np.array(list(known)), vectors=np.stack(list(known.values())))
            os.replace(tmp, cache)
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.stack([known[t] for t in texts]).astype(np.float32)


def tools_digest(tools: dict[str, ToolInfo]) -> str:
    h = hashlib.sha256()
    for name, info in sorted(tools.items()):
        h.update(name.encode())
        for ex in info.examples:
            h.update(ex.encode())
    return h.hexdigest()[:16]


@dataclass
class Scored:
    tool: str
    score: float
    sim: float
    rule: float


class Router:
    def __init__(
        self,
        tools: dict[str, ToolInfo],
        examples: ExampleIndex,
        embed: Callable[[str], np.ndarray],
        mask: Callable[[str], str] = lambda text: text,
        mentions: Callable[[str], bool] = lambda text: False,
        known: Callable[[str, str], bool] | None = None,
    ):
        """known(word, text): whether a word of the text is meant as written (a dictionary's word, or part of a
        catalog name the text gives); other words close to a word of the tools' vocabulary are taken as typos of
        it. None: no typo correction."""
        self.tools = tools
        self.examples = examples
        self.embed = embed
        self.mask = mask
        self.mentions = mentions
        self.known = known
        self.vocabulary = intent_vocabulary(tools)

    # -- scoring -------------------------------------------------------------------------------------------
    def rule_scores(self, text: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, rules in compiled_rules().items():
            total = sum(w for pattern, w in rules if pattern.search(text))
            if total:
                out[name] = max(-0.6, min(0.6, total))
        return out

    def rank(self, text: str) -> list[Scored]:
        rules = self.rule_scores(text)
        sims = self.examples.similarity(self.embed(self.mask(text))) if self.tools else {}
        ranked = [
            Scored(name, sims.get(name, 0.0) + rules.get(name, 0.0), sims.get(name, 0.0), rules.get(name, 0.0))
            for name in self.tools
        ]
        return sorted(ranked, key=lambda s: -s.score)

    def unbound_intent(self, text: str) -> str | None:
        """A tool EchoTune plans but this agent was not given, when the request clearly wants it."""
        rules = self.rule_scores(text)
        wanted = [(w, n) for n, w in rules.items() if n not in self.tools and w >= UNBOUND_RULE]
        return max(wanted)[1] if wanted else None

    # -- planning ------------------------------------------------------------------------------------------
    def plan(self, raw: str, env_factory: Callable[[str], Env], pending: dict[str, Any] | None = None) -> Plan:
        raw = self.correct(raw)
        text = normalize(raw)
        for pattern, reason in REFUSE:
            if re.search(pattern, text):
                return Plan(reply=Template(load("offline_refusal")).safe_substitute(reason=reason).strip())
        if OTHERS_DATA.search(raw) and not OWN.search(OTHERS_DATA.search(raw).group(1)):  # type: ignore[union-attr]
            reason = "I can only act on your own account and data, not on anyone else's."
            return Plan(reply=Template(load("offline_refusal")).safe_substitute(reason=reason).strip())
        if not text or GREETING.match(text) or IDENTITY.search(text):
            return Plan(reply=self.intro())
        if THANKS.match(text):
            return Plan(reply="You're welcome! Anything else: a search, a recommendation, a setting?")
        if pending:
            resumed = self._resume(raw, text, pending, env_factory)
            if resumed is not None:
                return resumed
        on_playlist = self._on_known_playlist(text, env_factory(raw))
        if on_playlist is not None:
            return self._with_args(on_playlist, raw, env_factory)
        raw = self._songs_for_new_playlist(raw, env_factory)
        text = normalize(raw)
        two = self._two_steps(raw, text, env_factory)
        if two is not None:
            return two
        return self._one(raw, text, env_factory)

    def _songs_for_new_playlist(self, raw: str, env_factory: Callable[[str], Env]) -> str:
        """'a playlist called X with A and B', where A and B are songs of the catalog, is two steps: create X,
        then put A and B on it (with words that are not titles, 'with upbeat songs', it asks for ones like that)."""
        m = PLAYLIST_WITH_SONGS.match(raw)
        entities = env_factory(raw).entities if m else None
        if m is None or entities is None:
            return raw
        parts = [p for p in TITLE_LIST.split(m["songs"]) if p.strip()]
        if not parts or not all(entities.is_title(p) for p in parts):
            return raw
        return f"{m['head']} and put {m['songs']} on it"

    def _choose(self, text: str) -> tuple[Scored | None, Scored | None]:
        rules = {n: w for n, w in self.rule_scores(text).items() if n in self.tools}
        strong = [n for n, w in rules.items() if w >= FAST_RULE]
        if len(strong) == 1 and all(w <= 0 for n, w in rules.items() if n != strong[0]):
            # one clear rule and no rival: no need to embed (this also spares a cold start loading MiniLM)
            return Scored(strong[0], 1.0, 0.0, rules[strong[0]]), None
        # a tool that deletes is never chosen on resemblance alone: the request must say to delete
        ranked = [s for s in self.rank(text) if s.rule > 0 or self.tools[s.tool].effect != "destroy"]
        return (ranked[0] if ranked else None), (ranked[1] if len(ranked) > 1 else None)

    def correct(self, raw: str) -> str:
        """The request with misspelt command words put right ("serch", "pley", "setings"). Only words that are
        neither in the dictionary nor the catalog change, and only into a word the tools' vocabulary uses."""
        if self.known is None or not self.vocabulary:
            return raw
        text = normalize(raw)
        if len(FOREIGN_WORDS.intersection(text.split())) >= 2:
            return raw  # another language: its words are not misspelt English
        known = self.known
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import extract

        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            low = normalize(word)
            if len(low) < 3 or not low.isalpha() or low in self.vocabulary or known(low, text):
                return word
            if len(low) == 3 and re.search(r"[aeiouy]", low):  # "skp", "nxt" lost a vowel; "wie" is a word
                return word
            limit = 1 if len(low) < 7 else 2
            found = extract(low, self.vocabulary, scorer=Levenshtein.distance, score_cutoff=limit, limit=2)
            if not found or (len(found) > 1 and found[1][1] == found[0][1]):
                return word  # nothing close, or two words equally close: leave it
            return found[0][0]

        return re.sub(r"[^\W\d_]+", fix, raw)

    def _on_known_playlist(self, text: str, env: Env) -> str | None:
        """A request about a playlist this conversation made or listed, named without the word "playlist"
        ("add Dreams to Chill" after creating Chill)."""
        names = known_playlists(env.ref_results)
        if not names:
            return None
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        if last_playlist(env.ref_results) is not None:  # "throw it in there", "what's on it now": the one just made
            alternatives += "|it|there|that|this playlist|that playlist"
        target = rf"(?:my |the )?(?:{alternatives})(?: playlist)?(?: now| too| as well| please| again)?\W*$"
        actions = (
            ("playlist_add_tracks", rf"\b(add|put|stick|throw|save|include)\b.+\b(to|on|onto|in|into) {target}"),
            ("playlist_remove_tracks", rf"\b(remove|delete|take|drop|get rid of)\b.+\b(from|off|out of) {target}"),
            ("playlist_items", rf"\b(whats|what is|what s|show|list|songs|tracks)\b.*\b(on|in) {target}"),
        )
        for tool, pattern in actions:
            if tool in self.tools and re.search(pattern, text):
                return tool
        return None

    def _one(self, raw: str, text: str, env_factory: Callable[[str], Env]) -> Plan:
        best, second = self._choose(text)
        missing_tool = self.unbound_intent(text)
        if missing_tool and (best is None or best.score < SURE or best.rule <= 0):
            return Plan(reply=self.cannot(missing_tool))
        clear_rule = best is not None and best.rule >= 0.3 and (second is None or best.score - second.score >= 0.08)
        # nothing musical in it at all (no rule, no title or artist): similarity alone must be strong
        no_signal = not any(w > 0 for w in self.rule_scores(text).values()) and not self.mentions(text)
        needed = NO_SIGNAL_ENOUGH if no_signal else ENOUGH
        if best is None or (best.score < needed and not clear_rule):
            return Plan(reply=self.unsure(), pending={"kind": "unclear", "text": raw})
        if second and best.score < SURE and best.score - second.score < CLOSE and second.score >= ENOUGH:
            return self._which(raw, best.tool, second.tool)
        return self._with_args(best.tool, raw, env_factory)

    def _with_args(self, tool: str, raw: str, env_factory: Callable[[str], Env]) -> Plan:
        env = env_factory(raw)
        got = extract(self.tools[tool], env)
        if (
            got.missing
            and category(got.missing[0], self.tools[tool]) == "track"
            and env.referring
            and not env.refs
            and NOW_PLAYING in self.tools
        ):  # "save this song": the track playing now
            return Plan(steps=[Step(NOW_PLAYING, raw), Step(tool, raw, refers=True)])
        if (
            got.missing
            and category(got.missing[0], self.tools[tool]) == "volume"
            and RELATIVE_VOLUME.search(env.text)
            and NOW_PLAYING in self.tools
        ):  # "turn it down": from the volume the player reports now
            return Plan(steps=[Step(NOW_PLAYING, raw), Step(tool, raw, refers=True)])
        if got.missing:
            question = self.ask_for(self.tools[tool], got.missing[0], got.notes)
            return Plan(
                reply=question,
                pending={"kind": "field", "tool": tool, "text": raw, "field": got.missing[0].name},
                notes=got.notes,
            )
        return Plan(steps=[Step(tool, raw, got.args)], notes=got.notes)

    def _two_steps(self, raw: str, text: str, env_factory: Callable[[str], Env]) -> Plan | None:
        for m in STEP_SPLIT.finditer(text):
            left, right = text[: m.start()].strip(), text[m.end() :].strip()
            if len(left.split()) < 2 or not ACTION_START.match(right) or SAME_STEP.match(right):
                continue
            first, _ = self._choose(left)
            second, _ = self._choose(right)
            if not first or first.score < STEP_ENOUGH:
                continue
            raw_left, raw_right = _split_raw(raw, left, right)
            missing_tool = self.unbound_intent(right)
            if missing_tool and (second is None or second.score < SURE or second.rule <= 0):
                head = self._with_args(first.tool, raw_left, env_factory)
                note = Template(load("offline_cannot_step")).safe_substitute(
                    what=TOOL_PHRASES.get(missing_tool, missing_tool.replace("_", " "))
                )
                return Plan(steps=head.steps, reply=head.reply, pending=head.pending, notes=[*head.notes, note.strip()])
            if not second or second.score < STEP_ENOUGH:
                continue
            head = self._with_args(first.tool, raw_left, env_factory)
            if not head.steps:
                return head
            refers = bool(REFERENCE.search(right))
            tail = Step(second.tool, raw_right, refers=refers)
            if not refers:  # independent second step: its arguments can be read now
                tail_plan = self._with_args(second.tool, raw_right, env_factory)
                if not tail_plan.steps:
                    return Plan(steps=head.steps, notes=[*head.notes, tail_plan.reply or ""])
                tail = tail_plan.steps[0]
            return Plan(steps=[*head.steps, tail], notes=head.notes)
        return None

    def _resume(self, raw: str, text: str, pending: dict[str, Any], env_factory: Callable[[str], Env]) -> Plan | None:
        """An answer to the question asked last turn: fill the missing piece, or pick the offered option."""
        if ANSWER_CUE.match(text) and pending.get("kind") == "field" and pending.get("tool") in self.tools:
            # "call it Road Songs", "it's the one by Queen": an answer, however its words score
            return self._with_args(pending["tool"], f"{pending['text']} {raw}", env_factory)
        best, _ = self._choose(text)
        if best is not None and best.score >= SURE and len(text.split()) > 3:
            return None  # a new request, not an answer
        kind = pending.get("kind")
        if kind == "field" and pending.get("tool") in self.tools:
            return self._with_args(pending["tool"], f"{pending['text']} {raw}", env_factory)
        if kind == "which":
            options = [o for o in pending.get("options", []) if o in self.tools]
            pick = _pick_option(text, options, self.tools)
            if pick:
                return self._with_args(pick, pending["text"], env_factory)
        return None

    def _which(self, raw: str, a: str, b: str) -> Plan:
        sa, sb = _short(self.tools[a].summary), _short(self.tools[b].summary)
        return Plan(
            reply=f"Which do you mean: {sa[0].lower() + sa[1:]}, or {sb[0].lower() + sb[1:]}?",
            pending={"kind": "which", "text": raw, "options": [a, b]},
        )

    # -- texts ---------------------------------------------------------------------------------------------
    def capabilities(self) -> str:
        lines = [f"- {_short(info.summary)}" for info in self.tools.values()]
        return "\n".join(lines) if lines else "- (no tools are available)"

    def intro(self) -> str:
        return Template(load("offline_intro")).safe_substitute(capabilities=self.capabilities()).strip()

    def unsure(self) -> str:
        example = next((i.examples[0] for i in self.tools.values() if i.examples), "find hey jude")
        return (
            Template(load("offline_unsure")).safe_substitute(capabilities=self.capabilities(), example=example).strip()
        )

    def cannot(self, tool: str) -> str:
        what = TOOL_PHRASES.get(tool, tool.replace("_", " "))
        return Template(load("offline_cannot")).safe_substitute(what=what, capabilities=self.capabilities()).strip()

    def ask_for(self, tool: ToolInfo, f: FieldSpec, notes: list[str]) -> str:
        cat = category(f, tool)
        question = {
            "track": "Which track do you mean? Tell me its title (and artist).",
            "artist": "Which artist?",
            "genre": "Which genre?",
            "playlist": "Which playlist?",
            "name": "What should I call it?",
            "path": "Which file should I import? Give me its path.",
            "device": "Which device?",
            "count": "How many?",
            "setting_key": "Which setting? For example: "
            + ", ".join(str(e) for e in f.examples[:6])
            + (", …" if len(f.examples) > 6 else "")
            + ".",
            "setting_value": "What value should it have?",
            "volume": "To what volume (0–100)?",
            "position": "To which point in the track (for example 1:30)?",
        }.get(cat)
        if question is None and (f.enum or f.item_enum):
            values = [str(v) for v in (f.enum or f.item_enum) if v is not None]
            question = f"Which {f.name.replace('_', ' ')}: {', '.join(values[:-1])} or {values[-1]}?"
        if question is None:
            desc = f.description.rstrip(".") or f.name.replace("_", " ")
            question = f"I need one more thing: {desc[0].lower() + desc[1:]}?"
        return " ".join([*notes, question]).strip()


ANSWER_CUE = re.compile(
    r"^(call it|name it|called|named|title it|its called|it s called|its|it s|it is|the name is|lets call it|"
    r"make it|use|i mean|i meant)\b"
)
OTHERS_DATA = re.compile(
    r"\b(\w+)['’]s\s+(?:\w+\s+)?(?:listening history|history|playlists?|data|account|library|settings|plays|"
    r"liked songs|saved (?:songs|tracks)|music taste)\b",
    re.I,
)
OWN = re.compile(r"^(echotune|spotify|today|yesterday|this week|last week|everyone|it|that|what|who|one)$", re.I)


def intent_vocabulary(tools: dict[str, ToolInfo]) -> list[str]:
    """The words the tools are asked with: their examples and summaries, and the intent rules' literal words."""
    words: set[str] = set()
    for info in tools.values():
        for text in (*info.examples, info.summary, info.name.replace("_", " ")):
            words.update(w for w in normalize(text).split() if len(w) >= 4 and w.isalpha())
    for rules in compiled_rules().values():
        for pattern, _ in rules:
            words.update(w for w in re.findall(r"[a-z]{4,}", pattern.pattern) if not _regex_fragment(w))
    return sorted(words)


def _regex_fragment(word: str) -> bool:
    """Pieces of regex syntax that look like letters ("favou" of favou?rite)."""
    return word in {"favou", "rite", "colou"}


def _short(summary: str) -> str:
    """A tool's summary cut at its first comma or parenthesis: how it is offered in a list."""
    return re.split(r"[,:(]| with optional| by title", summary)[0].strip()


def _split_raw(raw: str, left: str, right: str) -> tuple[str, str]:
    """The raw (un-normalised) halves of a two-step request, so ids and quotes survive."""
    words = raw.split()
    n = len(left.split())
    right_n = len(right.split())
    raw_left = " ".join(words[:n])
    raw_right = " ".join(words[len(words) - right_n :]) if right_n <= len(words) else right
    return raw_left or left, raw_right or right


def _pick_option(text: str, options: list[str], tools: dict[str, ToolInfo]) -> str | None:
    ordinal = {"first": 0, "1": 0, "one": 0, "former": 0, "second": 1, "2": 1, "two": 1, "latter": 1, "other": 1}
    for word, i in ordinal.items():
        if re.search(rf"\b(the )?{word}\b", text) and i < len(options):
            return options[i]
    scored = []
    for name in options:
        words = set(normalize(tools[name].summary).split()) | set(name.split("_"))
        words -= {"the", "a", "and", "or", "of", "in", "to", "by", "your", "my", "with"}
        scored.append((len(words & set(text.split())), name))
    scored.sort(reverse=True)
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1]
    return None
