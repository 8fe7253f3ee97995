"""Per-user settings: one validated document per user, versioned, with optimistic concurrency and a change log.

Every write names the version it read; if someone else wrote in between, the write is refused with a conflict
that shows both values, so no update is ever lost silently.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from echotune.tools.errors import ConflictError, InvalidInputError
from echotune.tools.models import SettingsChange
from echotune.tools.registry import ToolInput, tool

if TYPE_CHECKING:
    from echotune.tools.context import Context

Provider = Literal["offline", "openai", "gemini", "openrouter", "openai-compatible"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RecommendationWeights(_Section):
    content: float = Field(0.6, ge=0, le=1, description="Weight of sound-and-description similarity.")
    collaborative: float = Field(0.3, ge=0, le=1, description="Weight of what listeners like you play.")
    popularity: float = Field(0.1, ge=0, le=1, description="Weight of overall popularity.")
    diversity: float = Field(0.3, ge=0, le=1, description="0 = most similar first, 1 = most varied list.")
    exclude_heard: bool = Field(False, description="Leave out tracks you have already played.")
    max_per_artist: int = Field(2, ge=1, le=10, description="At most this many tracks per artist in one list.")
    variant: Literal["auto", "content", "hybrid", "hybrid_mmr"] = Field(
        "auto", description="Recommender A/B variant: auto = assigned by a stable hash of the user."
    )


class Privacy(_Section):
    store_history: bool = Field(True, description="Keep your listening history (imports and plays).")
    listeners_like_you: bool = Field(False, description="Compare your taste with other users of this store.")


class ContentFilter(_Section):
    allow_explicit: bool = Field(True, description="Allow tracks marked explicit.")


class UserSettings(_Section):
    """A person's preferences. Dotted keys address fields: `recommendation.content`, `privacy.store_history`."""

    provider: Provider = Field("offline", description="Chat model provider.")
    model: str | None = Field(None, max_length=200, description="Model name for the provider; None = its default.")
    recommendation: RecommendationWeights = Field(default_factory=RecommendationWeights)
    privacy: Privacy = Field(default_factory=Privacy)
    content: ContentFilter = Field(default_factory=ContentFilter)
    market: str = Field("US", pattern=r"^[A-Z]{2}$", description="Spotify market, ISO 3166-1 alpha-2.")


def setting_keys(model: type[BaseModel] = UserSettings, prefix: str = "") -> list[str]:
    """Every addressable dotted key."""
    keys: list[str] = []
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys.extend(setting_keys(ann, f"{prefix}{name}."))
        else:
            keys.append(f"{prefix}{name}")
    return keys


def _lookup(doc: dict[str, Any], key: str) -> Any:
    value: Any = doc
    for part in key.split("."):
        value = value[part]
    return value


def read_settings(ctx: Context, user: str | None = None) -> tuple[int, UserSettings, datetime | None]:
    """(version, settings, updated_at) of a user; version 0 and defaults when nothing was stored yet."""
    stored = ctx.store.settings.get(user or ctx.user)
    if stored is None:
        return 0, UserSettings(), None
    return stored.version, UserSettings.model_validate(stored.doc), stored.updated_at


def update_setting(
    ctx: Context, key: str, value: Any, expected_version: int | None = None
) -> tuple[int, UserSettings, datetime]:
    """Set one key as a compare-and-set on the version read (or on `expected_version` when given)."""
    if key not in setting_keys():
        raise InvalidInputError(f"Unknown setting {key!r}", hint=f"known keys: {', '.join(setting_keys())}")
    version, current, _ = read_settings(ctx)
    base = version if expected_version is None else expected_version
    doc = current.model_dump(mode="json")
    old = _lookup(doc, key)
    parent = doc
    *path, leaf = key.split(".")
    for part in path:
        parent = parent[part]
    parent[leaf] = value
    try:
        new = UserSettings.model_validate(doc)
    except ValidationError as exc:
        msg = "; ".join(e["msg"] for e in exc.errors())
        raise InvalidInputError(f"{key} = {value!r} is not allowed: {msg}") from None
    new_value = _lookup(new.model_dump(mode="json"), key)
    at = ctx.clock()
    change = SettingsChange(user=ctx.user, version=base + 1, at=at, key=key, old=old, new=new_value)
    try:
        stored = ctx.store.settings.put(
            ctx.user, new.model_dump(mode="json"), expected_version=base, at=at, changes=[change]
        )
    except ConflictError as exc:
        now_version, now, _ = read_settings(ctx)
        theirs = _lookup(now.model_dump(mode="json"), key)
        raise ConflictError(
            f"Settings changed since you read them: you read version {base} and wanted {key} = {new_value!r}; "
            f"they are now at version {now_version}, where {key} = {theirs!r}.",
            hint=f"read them again and repeat the change if it still applies (expected_version={now_version})",
            details={
                "key": key,
                "yours": new_value,
                "theirs": theirs,
                "your_version": base,
                "current_version": now_version,
            },
        ) from exc
    return stored.version, new, at


# -- tools ------------------------------------------------------------------------------------------------


class SettingsView(BaseModel):
    user: str
    version: int = Field(description="Quote this as expected_version when you change a setting.")
    updated_at: datetime | None
    settings: UserSettings


class SettingsGetInput(ToolInput):
    pass


@tool(
    quick=True,
    cli=("settings", "show"),
    examples=("show my settings", "which provider am I using", "what are my recommendation weights"),
)
def settings_get(ctx: Context, args: SettingsGetInput) -> SettingsView:
    """Show the user's settings (provider, recommendation weights, privacy, content filter, market) and their
    version, which a later change must quote."""
    version, settings, updated_at = read_settings(ctx)
    return SettingsView(user=ctx.user, version=version, updated_at=updated_at, settings=settings)


class SettingsUpdateInput(ToolInput):
    key: str = Field(
        min_length=1,
        max_length=100,
        description="Dotted setting key, e.g. 'recommendation.diversity', 'privacy.store_history', 'provider'.",
        json_schema_extra={"examples": setting_keys()},
    )
    value: str | int | float | bool | None = Field(
        description="New value; strings like 'true' or '0.4' are converted to the setting's type."
    )
    expected_version: int | None = Field(
        None, ge=0, description="The version you read (settings_get); omit to use the current one."
    )


@tool(
    effect="act",
    idempotent=True,
    cli=("settings", "set"),
    examples=(
        "set diversity to 0.5",
        "don't store my listening history",
        "hide explicit songs",
        "switch the provider to openai",
        "change my market to DE",
    ),
)
def settings_update(ctx: Context, args: SettingsUpdateInput) -> SettingsView:
    """Change one setting. Refused with a conflict if the settings changed since the version you read."""
    version, settings, updated_at = update_setting(ctx, args.key, args.value, args.expected_version)
    return SettingsView(user=ctx.user, version=version, updated_at=updated_at, settings=settings)


class SettingsHistoryInput(ToolInput):
    limit: int = Field(20, ge=1, le=500, description="How many changes to list, newest first.")


class SettingsHistoryOutput(BaseModel):
    changes: list[SettingsChange]


@tool(
    cli=("settings", "history"),
    examples=("what did I change in my settings", "show my settings history"),
)
def settings_history(ctx: Context, args: SettingsHistoryInput) -> SettingsHistoryOutput:
    """List the user's past settings changes, newest first: when, which key, old and new value."""
    return SettingsHistoryOutput(changes=ctx.store.settings.history(ctx.user, args.limit))
