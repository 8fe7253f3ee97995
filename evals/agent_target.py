"""The agent as an eval target: every case runs through the real LangGraph agent, from fresh state.

Each case gets its own data folder, copied from a template (the bundled catalog loaded, the offline model's and
the recommender's caches warm; a second template adds an imported sample history), a Context over it with a
frozen clock, and an Agent with an in-memory checkpointer. The case's fixtures are applied through the tools
(settings with settings_update, the player with player_play, queue_add...), then each user turn is asked in one
session and the agent's Reply becomes a Turn of the Transcript.

The evals never touch a person's own data: the store is always SQLite in the case's folder, Redis is off, no
Spotify account is linked (the local player answers), and the agent reads and writes files only inside the
case's folder (`<case>/files/default/`, the rule tools/files.py applies to remote callers), so an export or a
report a case asks for never lands in the working directory. Provider keys and base URLs come from the
person's configuration.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from echotune.evals.suite import Case, Fixtures, Suite
from echotune.evals.transcript import ToolCall, Transcript, Turn
from echotune.tools.config import Config, load_config
from echotune.tools.context import Context
from echotune.tools.registry import call_tool

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from echotune.agent.events import Reply
    from echotune.evals.replay import ResponseCache
    from echotune.tools.catalog import CatalogIndex

EVAL_NOW = datetime(2025, 6, 16, 18, 30, tzinfo=UTC)
"""The frozen 'now' of every case (a Monday evening): 'this year' is 2025, 'last month' May 2025."""
EVAL_USER = "default"
SAMPLE_SPEC = {
    "records": 3000,
    "start": date(2023, 1, 1),
    "end": date(2025, 6, 15),
    "seed": 2025,
    "artists": 300,
    "videos": 5,
    "extras": False,
}
"""`history: sample`: a small generated Spotify download (both layouts), imported once into a template."""


def _config(base: Config, data_dir: Path) -> Config:
    """The person's configuration (keys, base URLs, prices) over a throwaway data folder and SQLite store."""
    return base.model_copy(
        update={"data_dir": data_dir, "store": "sqlite", "mongo_uri": None, "redis_url": None, "user": EVAL_USER}
    )


@dataclass
class _Template:
    path: Path
    index: CatalogIndex


class Workspace:
    """Template data folders, built once and copied for every case; shareable by several targets."""

    def __init__(self, root: Path | None = None, *, catalog_store: Path | None = None):
        """root: where templates and case folders go (default: a temporary folder, removed by close()).
        catalog_store: an echotune.sqlite3 with the catalog already loaded, to copy instead of loading it."""
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="echotune-evals-")) if root is None else Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.catalog_store = catalog_store
        self._lock = threading.Lock()
        self._export_lock = threading.Lock()
        self._templates: dict[str, _Template] = {}

    def context(self, data_dir: Path, base: Config | None = None) -> Context:
        """A Context over a case (or template) folder; `base` gives the person's provider settings."""
        base = base or load_config({}, config_file=self.root / "absent.toml", environ={})
        return Context.from_config(_config(base, data_dir), clock=lambda: EVAL_NOW, face="python")

    def _warm(self, ctx: Context) -> CatalogIndex:
        """Load the catalog index, the offline model's caches and the recommender's index into the folder."""
        from langchain_core.messages import HumanMessage

        from echotune.agent.offline import OfflineChatModel
        from echotune.agent.tools import langchain_tools
        from echotune.tools.recommender.engine import recommender

        index = ctx.catalog
        OfflineChatModel(ctx=ctx).bind_tools(langchain_tools()).respond([HumanMessage("songs like hey jude")])
        recommender(ctx)
        return index

    def template(self, name: str) -> _Template:
        """'base': the catalog; 'history': the catalog plus the imported sample history."""
        with self._lock:
            if name not in self._templates:
                self._templates[name] = self._build_base() if name == "base" else self._build_history()
            return self._templates[name]

    def _build_base(self) -> _Template:
        path = self.root / "template-base"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        if self.catalog_store is not None:
            shutil.copy(self.catalog_store, path / "echotune.sqlite3")
        ctx = self.context(path)
        try:
            from echotune.tools.catalog import ensure_bundled

            ensure_bundled(ctx)
            return _Template(path, self._warm(ctx))
        finally:
            ctx.close()

    def sample_export(self) -> Path:
        """The sample Spotify download (my_spotify_data.zip), generated once."""
        from echotune.tools.spotify_export import ZIP_NAME, ExportSpec, generate_export

        with self._export_lock:
            path = self.root / "sample-export" / ZIP_NAME
            if not path.exists():
                generate_export(path.parent, ExportSpec(**SAMPLE_SPEC), as_zip=True)  # type: ignore[arg-type]
            return path

    def _build_history(self) -> _Template:
        base = self._templates.get("base") or self._build_base()
        self._templates["base"] = base
        path = self.root / "template-history"
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(base.path, path)
        ctx = self.context(path)
        try:
            call_tool(ctx, "history_import", {"paths": [str(self.sample_export())]})
            return _Template(path, self._warm(ctx))
        finally:
            ctx.close()

    def case_folder(self, template: _Template, label: str) -> Path:
        folder = self.root / "cases" / f"{label}-{uuid.uuid4().hex[:8]}"
        shutil.copytree(template.path, folder)
        return folder

    def close(self) -> None:
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)


def apply_fixtures(ctx: Context, fixtures: Fixtures, workspace: Workspace) -> None:
    """Set up a case's state through the tools, as a person (or a front end) would have."""
    if fixtures.export_file:
        from echotune.tools.files import user_folder

        folder = user_folder(ctx)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(workspace.sample_export(), folder / fixtures.export_file)
    if fixtures.history and fixtures.history != "sample":
        call_tool(ctx, "history_import", {"paths": [str(Path(fixtures.history).expanduser())]})
    if fixtures.tracks:
        import hashlib

        from echotune.tools.models import ArtistRef, Track

        ctx.store.catalog.upsert(
            Track(
                id="local:" + hashlib.blake2b(f"{t.title}|{t.artist}".encode(), digest_size=10).hexdigest(),
                title=t.title,
                artists=[ArtistRef(name=t.artist)],
                year=t.year,
                genres=t.genres,
                source="learnt",
            )
            for t in fixtures.tracks
        )
        ctx.forget("catalog")
    for key, value in fixtures.settings.items():
        call_tool(ctx, "settings_update", {"key": key, "value": value})
    p = fixtures.player
    if p.now_playing:
        call_tool(ctx, "player_play", {"what": p.now_playing})
    for track in p.queue:
        call_tool(ctx, "queue_add", {"track": track})
    if p.volume is not None:
        call_tool(ctx, "player_volume", {"percent": p.volume})
    if p.shuffle is not None:
        call_tool(ctx, "player_shuffle", {"state": "on" if p.shuffle else "off"})
    if p.repeat is not None:
        call_tool(ctx, "player_repeat", {"state": p.repeat})
    if p.paused:
        call_tool(ctx, "player_pause", {})


def error_text(error: dict[str, Any] | None) -> str | None:
    """A tool's error dict ({error, message, hint}) as one line."""
    if error is None:
        return None
    text = f"{error.get('error', 'error')}: {error.get('message', '')}".strip()
    return f"{text} (hint: {error['hint']})" if error.get("hint") else text


def to_turn(user: str, reply: Reply, latency_ms: float) -> Turn:
    """The agent's Reply as a Turn of a Transcript."""
    return Turn(
        user=user,
        answer=reply.answer,
        tool_calls=[
            ToolCall(name=c.name, args=c.args, result=c.result, error=error_text(c.error)) for c in reply.tool_calls
        ],
        steps=reply.steps,
        latency_ms=round(latency_ms, 2),
        tokens_in=reply.usage.tokens_in,
        tokens_out=reply.usage.tokens_out,
        cost_usd=reply.usage.cost_usd or 0.0,
    )


class AgentTarget:
    """Runs eval cases through the real agent with one provider and model (optionally recorded or replayed)."""

    def __init__(
        self,
        provider: str = "offline",
        model: str | None = None,
        *,
        config: Config | None = None,
        cache: ResponseCache | None = None,
        workspace: Workspace | None = None,
    ):
        from echotune.agent.providers import DEFAULT_MODELS, PROVIDERS
        from echotune.tools.errors import InvalidInputError, NotConfiguredError

        if provider not in PROVIDERS:
            raise InvalidInputError(f"Unknown provider {provider!r}", hint=f"choose one of: {', '.join(PROVIDERS)}")
        model = model or DEFAULT_MODELS[provider]
        if not model:
            raise NotConfiguredError(f"The {provider} provider needs a model name", hint="pass --model NAME")
        self.provider, self.model, self.cache = provider, model, cache
        self.config = config or load_config()
        self._own_workspace = workspace is None
        self.workspace = workspace or Workspace()
        mode = f" ({cache.mode} {cache.path.name})" if cache is not None else ""
        self.name = f"{provider}/{model}{mode}"

    def prepare(self, suites: list[Suite]) -> None:
        """Build the templates the suites need now (else the first case that needs one waits for it)."""
        self.workspace.template("base")
        if any(c.fixtures.history == "sample" for s in suites for c in s.cases):
            self.workspace.template("history")

    def chat_model(self, ctx: Context) -> BaseChatModel | None:
        """The model the agent talks to: None (the agent builds the provider's own), or the record/replay
        wrapper (replay builds no provider client at all: nothing can reach the network)."""
        if self.cache is None:
            return None
        from echotune.agent.providers import ProviderChoice, build_chat_model
        from echotune.evals.replay import CachedChatModel

        inner = None
        if self.cache.mode == "record":
            inner = build_chat_model(ProviderChoice(self.provider, self.model), ctx)
        return CachedChatModel(responses=self.cache, provider=self.provider, model_name=self.model, inner=inner)

    def run(self, case: Case, suite: Suite) -> Transcript:
        from echotune.agent.api import Agent

        template = self.workspace.template("history" if case.fixtures.history == "sample" else "base")
        folder = self.workspace.case_folder(template, f"{suite.name}-{case.id}")
        ctx = self.workspace.context(folder, self.config)
        try:
            ctx.lazy("catalog", lambda: template.index)  # the template's catalog, already indexed
            apply_fixtures(ctx, case.fixtures, self.workspace)
            agent = Agent(
                replace(ctx, local_files=False),
                provider=self.provider,
                model=self.model,
                checkpointer="memory",
                approve=case.approve,
                chat_model=self.chat_model(ctx),
            )
            turns: list[Turn] = []
            with agent:
                for spec in case.turns:
                    started = time.perf_counter()
                    reply = agent.ask(spec.user, session="eval")
                    turns.append(to_turn(spec.user, reply, (time.perf_counter() - started) * 1000))
            return Transcript(turns=turns)
        finally:
            ctx.close()
            shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        if self._own_workspace:
            self.workspace.close()

    def __enter__(self) -> AgentTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
