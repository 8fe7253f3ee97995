"""Installation configuration: where data lives and which services to use.

Precedence, highest first: CLI flags > `ECHOTUNE_*` environment variables > the TOML file
(`ECHOTUNE_CONFIG`, else `config.toml` in the user config dir) > defaults. Each value remembers where it came
from, so a bad one is reported with its source ("store='mongo' from ECHOTUNE_STORE needs ECHOTUNE_MONGO_URI").
A person's preferences (provider, weights, privacy) are not here: they are the per-user settings document.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from echotune.tools.errors import InvalidInputError, NotConfiguredError

ENV_PREFIX = "ECHOTUNE_"
APP_NAME = "echotune"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def default_config_file() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


class LlmPrice(BaseModel):
    """What a provider charges, in US dollars per million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0, description="USD per million prompt tokens.")
    output: float = Field(ge=0, description="USD per million completion tokens.")


DEFAULT_LLM_PRICES: dict[str, LlmPrice] = {
    # "provider/model" (or "provider/*"); list prices of November 2026; override them in config.toml.
    "offline/*": LlmPrice(input=0, output=0),
    "openai/gpt-4o-mini": LlmPrice(input=0.15, output=0.60),
    "openai/gpt-4o": LlmPrice(input=2.50, output=10.00),
    "openai/gpt-4.1-mini": LlmPrice(input=0.40, output=1.60),
    "openai/gpt-4.1": LlmPrice(input=2.00, output=8.00),
    "gemini/gemini-2.5-flash": LlmPrice(input=0.30, output=2.50),
    "gemini/gemini-2.5-pro": LlmPrice(input=1.25, output=10.00),
    "gemini/gemini-2.0-flash": LlmPrice(input=0.10, output=0.40),
    "openrouter/openai/gpt-4o-mini": LlmPrice(input=0.15, output=0.60),
    "openai-compatible/*": LlmPrice(input=0, output=0),
}


class Config(BaseModel):
    """Everything EchoTune needs to know about this installation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(
        default_factory=default_data_dir, description="Where the SQLite file, index and caches live."
    )
    store: Literal["sqlite", "mongo"] = Field("sqlite", description="Storage backend.")
    mongo_uri: str | None = Field(None, description="MongoDB connection string, for store = 'mongo'.")
    mongo_db: str = Field("echotune", description="MongoDB database name.")
    redis_url: str | None = Field(None, description="Redis URL for caches, checkpoints and the feedback stream.")
    user: str = Field("default", min_length=1, max_length=64, description="Whose data the commands act on.")
    spotify_client_id: str | None = Field(None, description="Client id of your Spotify app (PKCE: no secret).")
    spotify_redirect_uri: str = Field("http://127.0.0.1:8888/callback", description="Loopback redirect URI.")
    spotify_api_url: str = Field(
        "https://api.spotify.com/v1/", description="Web API base (tests point it at loopback)."
    )
    spotify_accounts_url: str = Field("https://accounts.spotify.com/", description="Accounts service base.")
    # -- the agent's model providers (the provider and model a person uses are in their settings) ----------
    openai_api_key: SecretStr | None = Field(None, description="OpenAI key (else env OPENAI_API_KEY).")
    openai_base_url: str | None = Field(None, description="OpenAI API base URL; None = api.openai.com.")
    gemini_api_key: SecretStr | None = Field(None, description="Gemini key (else env GOOGLE_API_KEY/GEMINI_API_KEY).")
    gemini_base_url: str | None = Field(None, description="Gemini API base URL; None = Google's.")
    openrouter_api_key: SecretStr | None = Field(None, description="OpenRouter key (else env OPENROUTER_API_KEY).")
    openrouter_base_url: str = Field("https://openrouter.ai/api/v1", description="OpenRouter API base URL.")
    openai_compatible_base_url: str | None = Field(
        None,
        description="Base URL of an OpenAI-compatible server (Ollama, vLLM, llama.cpp), e.g. http://127.0.0.1:11434/v1.",
    )
    openai_compatible_api_key: SecretStr | None = Field(None, description="Key for that server, if it wants one.")
    llm_prices: dict[str, LlmPrice] = Field(
        default_factory=lambda: dict(DEFAULT_LLM_PRICES),
        description="USD per million tokens by 'provider/model' (or 'provider/*'); merged over the defaults.",
    )
    agent_confirm: Literal["act", "destroy", "never"] = Field(
        "act", description="Ask before running tools that act (and destroy), only destroy, or never."
    )
    agent_max_steps: int = Field(8, ge=2, le=50, description="Model calls per turn before the agent must answer.")
    sources: dict[str, str] = Field(default_factory=dict, description="Where each non-default value came from.")

    @field_validator("llm_prices", mode="after")
    @classmethod
    def _merge_prices(cls, value: dict[str, LlmPrice]) -> dict[str, LlmPrice]:
        return {**DEFAULT_LLM_PRICES, **value}

    @model_validator(mode="after")
    def _mongo_needs_uri(self) -> Config:
        if self.store == "mongo" and not self.mongo_uri:
            src = self.sources.get("store", "configuration")
            raise ValueError(f"store='mongo' (from {src}) needs a MongoDB URI: set ECHOTUNE_MONGO_URI")
        return self

    @property
    def cache_dir(self) -> Path:
        """Derived data any process may rebuild (tool listings, the offline model's vectors and vocabulary)."""
        return self.data_dir / "cache"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "echotune.sqlite3"

    @property
    def spotify_token_path(self) -> Path:
        return self.data_dir / "spotify-token.json"

    @property
    def checkpoints_path(self) -> Path:
        """The agent's conversation checkpoints (LangGraph keeps its own SQLite file)."""
        return self.data_dir / "checkpoints.sqlite3"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise NotConfiguredError(
            f"The config file {path} is not valid TOML: {exc}", hint="fix the file or remove it"
        ) from exc


def config_file_path(environ: Mapping[str, str] | None = None, flag: Path | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(flag or env.get(f"{ENV_PREFIX}CONFIG") or default_config_file())


def load_config(
    flags: Mapping[str, Any] | None = None,
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Merge flags, environment, file and defaults (in that order of precedence) into a validated Config."""
    env = os.environ if environ is None else environ
    path = config_file_path(env, config_file)
    fields = set(Config.model_fields) - {"sources"}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    file_values = _read_toml(path)
    unknown = sorted(set(file_values) - fields)
    if unknown:
        raise NotConfiguredError(
            f"Unknown key(s) {', '.join(unknown)} in {path}", hint=f"known keys: {', '.join(sorted(fields))}"
        )
    for key, value in file_values.items():
        values[key], sources[key] = value, str(path)
    for key in fields:
        env_name = f"{ENV_PREFIX}{key.upper()}"
        if env.get(env_name):
            values[key], sources[key] = env[env_name], env_name
    for key, value in (flags or {}).items():
        if value is not None:
            if key not in fields:
                raise InvalidInputError(f"Unknown configuration flag {key!r}")
            values[key], sources[key] = value, f"--{key.replace('_', '-')}"

    try:
        return Config(**values, sources=sources)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            where = f" (from {sources[key]})" if key in sources else ""
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{key}{where}: {msg}".removeprefix(": "))
        raise NotConfiguredError(
            "Invalid configuration: " + "; ".join(problems), hint="run `echotune doctor` to see every setting"
        ) from exc
