"""Chat model providers: which LangChain chat model each provider name builds, where its key comes from, what
it costs, and how its failures become EchoTune's typed errors.

    offline            EchoTune's deterministic model (echotune.agent.offline), no key, no network
    openai             langchain-openai ChatOpenAI (OPENAI_API_KEY)
    gemini             langchain-google-genai ChatGoogleGenerativeAI (GOOGLE_API_KEY or GEMINI_API_KEY)
    openrouter         ChatOpenAI pointed at OpenRouter's OpenAI-compatible API (OPENROUTER_API_KEY)
    openai-compatible  ChatOpenAI pointed at any base URL: a local Ollama, vLLM or llama.cpp server

Provider libraries are imported only when their provider is built (the CLI must start fast).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

from echotune.tools.errors import (
    EchoTuneError,
    InvalidInputError,
    NotConfiguredError,
    RateLimitedError,
    UpstreamError,
)
from echotune.tools.settings import Provider

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from echotune.tools.config import Config
    from echotune.tools.context import Context

PROVIDERS: tuple[str, ...] = get_args(Provider)
OFFLINE_MODEL = "echotune-offline"
DEFAULT_MODELS: dict[str, str | None] = {
    "offline": OFFLINE_MODEL,
    "openai": "gpt-4o-mini",
    "gemini": "gemini-2.5-flash",
    "openrouter": "openai/gpt-4o-mini",
    "openai-compatible": None,  # a local server's model has no sensible default: name it
}
KEY_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "gemini": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "openrouter": ("OPENROUTER_API_KEY",),
    "openai-compatible": ("OPENAI_COMPATIBLE_API_KEY",),
}
REQUEST_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ProviderChoice:
    """A provider and one of its models: `provider/model` names it in events and prices."""

    provider: str
    model: str

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.model}"


def choose(ctx: Context, provider: str | None = None, model: str | None = None) -> ProviderChoice:
    """The provider and model to use: the flags given, else the person's settings, else offline."""
    from echotune.tools.settings import read_settings

    _, settings, _ = read_settings(ctx)
    name = provider or settings.provider
    if name not in PROVIDERS:
        raise InvalidInputError(f"Unknown provider {name!r}", hint=f"choose one of: {', '.join(PROVIDERS)}")
    if model is None and provider in (None, settings.provider):
        model = settings.model
    model = model or DEFAULT_MODELS[name]
    if not model:
        raise NotConfiguredError(
            f"The {name} provider needs a model name",
            hint="pass --model NAME, or `echotune settings set model NAME` (e.g. llama3.1 for Ollama)",
        )
    return ProviderChoice(name, model)


def api_key(config: Config, provider: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The provider's key: from the config (ECHOTUNE_<PROVIDER>_API_KEY or config.toml), else the provider's usual
    environment variable. A missing key is a NotConfiguredError that names the variable to set."""
    env = os.environ if environ is None else environ
    field = provider.replace("-", "_") + "_api_key"
    configured = getattr(config, field, None)
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    for name in KEY_ENV.get(provider, ()):
        if env.get(name):
            return env[name]
    if provider == "openai-compatible":
        return None  # local servers usually need no key
    names = " or ".join(KEY_ENV[provider])
    raise NotConfiguredError(
        f"No API key for {provider}: set {names}",
        hint=f"export {KEY_ENV[provider][0]}=… (or {field} in config.toml), or use --provider offline",
    )


def build_chat_model(choice: ProviderChoice, ctx: Context) -> BaseChatModel:
    """The LangChain chat model for a provider and model (tools are bound by the caller)."""
    if choice.provider == "offline":
        from echotune.agent.offline import OfflineChatModel

        return OfflineChatModel(ctx=ctx)
    return remote_chat_model(choice, ctx.config)


def remote_chat_model(choice: ProviderChoice, config: Config) -> BaseChatModel:
    """The chat model of a provider that answers over HTTP: it needs the configuration (keys, base URLs), not
    the user's data, which only the offline model reads."""
    if choice.provider == "gemini":
        from langchain_google_genai import ChatGoogleGenerativeAI

        kwargs: dict[str, Any] = {"base_url": config.gemini_base_url} if config.gemini_base_url else {}
        return ChatGoogleGenerativeAI(
            model=choice.model,
            api_key=api_key(config, "gemini"),
            timeout=REQUEST_TIMEOUT_S,
            max_retries=1,
            **kwargs,
        )
    from langchain_openai import ChatOpenAI

    headers = None
    if choice.provider == "openai":
        base_url = config.openai_base_url
    elif choice.provider == "openrouter":
        base_url = config.openrouter_base_url
        headers = {"HTTP-Referer": "https://github.com/echotune/echotune", "X-Title": "EchoTune"}
    else:
        base_url = config.openai_compatible_base_url
        if not base_url:
            raise NotConfiguredError(
                "The openai-compatible provider needs the server's base URL: set ECHOTUNE_OPENAI_COMPATIBLE_BASE_URL",
                hint="e.g. ECHOTUNE_OPENAI_COMPATIBLE_BASE_URL=http://127.0.0.1:11434/v1 for Ollama "
                "(or openai_compatible_base_url in config.toml)",
            )
    key = api_key(config, choice.provider)
    return ChatOpenAI(
        model=choice.model,
        api_key=key or "not-needed",
        base_url=base_url,
        default_headers=headers,
        stream_usage=True,
        timeout=REQUEST_TIMEOUT_S,
        max_retries=1,
    )


def cost_usd(config: Config, choice: ProviderChoice, tokens_in: int, tokens_out: int) -> float | None:
    """What a request cost by the price table (config.llm_prices); None when the model has no price."""
    prices = config.llm_prices
    price = prices.get(choice.label) or prices.get(f"{choice.provider}/*")
    if price is None:
        return None
    return round((tokens_in * price.input + tokens_out * price.output) / 1_000_000, 8)


def _status(exc: BaseException) -> int | None:
    """The HTTP status behind a provider exception, looking through its causes."""
    seen: BaseException | None = exc
    while seen is not None:
        for attr in ("status_code", "code", "status"):
            value = getattr(seen, attr, None)
            if isinstance(value, int) and 100 <= value < 600:
                return value
        seen = seen.__cause__ or seen.__context__
    return None


def _is_connection_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        name = type(seen).__name__
        if "Connect" in name or "Timeout" in name or isinstance(seen, ConnectionError | TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def translate_error(exc: BaseException, provider: str) -> EchoTuneError:
    """A provider library's exception as one of EchoTune's typed errors (the message keeps the provider's)."""
    if isinstance(exc, EchoTuneError):
        return exc
    status = _status(exc)
    detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    env = " or ".join(KEY_ENV.get(provider, ())) or "the key"
    if status in (401, 403) or (status == 400 and "api key" in detail.lower()):
        return NotConfiguredError(
            f"{provider} refused the API key ({status}): {detail}", hint=f"check {env}, or use --provider offline"
        )
    if status == 404:
        return NotConfiguredError(
            f"{provider} does not know that model ({detail})", hint="choose another with --model NAME"
        )
    if status == 429:
        retry = None
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None) or {}
        try:
            retry = float(headers.get("retry-after")) if headers.get("retry-after") else None
        except (TypeError, ValueError):
            retry = None
        return RateLimitedError(f"{provider} is rate limiting: {detail}", retry_after=retry, hint="wait and retry")
    if status is None and _is_connection_error(exc):
        return UpstreamError(
            f"Could not reach {provider}: {detail}", hint="check the network or the base URL, or use --provider offline"
        )
    where = f" ({status})" if status else ""
    return UpstreamError(f"{provider} failed{where}: {detail}", hint="try again, or use --provider offline")
