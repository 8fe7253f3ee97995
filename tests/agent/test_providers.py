"""Provider construction: keys from config or env (a missing key names the variable), choice by flag or settings,
prices and cost, and provider errors mapped to EchoTune's typed errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from echotune.agent.providers import (
    DEFAULT_MODELS,
    ProviderChoice,
    api_key,
    build_chat_model,
    choose,
    cost_usd,
    translate_error,
)
from echotune.tools.config import load_config
from echotune.tools.context import Context
from echotune.tools.errors import InvalidInputError, NotConfiguredError, RateLimitedError, UpstreamError
from echotune.tools.settings import update_setting


def test_missing_keys_name_the_variable(tmp_path: Path) -> None:
    config = load_config(environ={}, config_file=tmp_path / "none.toml")
    for provider, variable in (("openai", "OPENAI_API_KEY"), ("gemini", "GOOGLE_API_KEY"),
                               ("openrouter", "OPENROUTER_API_KEY")):  # fmt: skip
        with pytest.raises(NotConfiguredError, match=variable) as info:
            api_key(config, provider, environ={})
        assert "--provider offline" in info.value.hint
    assert api_key(config, "openai-compatible", environ={}) is None  # local servers need none


def test_keys_from_env_or_config(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('openai_api_key = "from-file"\n')
    config = load_config(environ={}, config_file=file)
    assert isinstance(config.openai_api_key, SecretStr) and "from-file" not in repr(config)
    assert api_key(config, "openai", environ={"OPENAI_API_KEY": "from-env"}) == "from-file"
    bare = load_config(environ={"ECHOTUNE_GEMINI_API_KEY": "eg"}, config_file=tmp_path / "none.toml")
    assert api_key(bare, "gemini", environ={}) == "eg"
    assert api_key(load_config(environ={}, config_file=tmp_path / "n.toml"), "gemini",
                   environ={"GEMINI_API_KEY": "g2"}) == "g2"  # fmt: skip


def test_choice_flags_then_settings_then_offline(empty_ctx: Context) -> None:
    assert choose(empty_ctx) == ProviderChoice("offline", "echotune-offline")
    update_setting(empty_ctx, "provider", "gemini")
    assert choose(empty_ctx) == ProviderChoice("gemini", DEFAULT_MODELS["gemini"])
    update_setting(empty_ctx, "model", "gemini-2.5-pro")
    assert choose(empty_ctx).model == "gemini-2.5-pro"
    assert choose(empty_ctx, "openai") == ProviderChoice("openai", "gpt-4o-mini")  # settings' model is gemini's
    assert choose(empty_ctx, "openai", "gpt-4.1").label == "openai/gpt-4.1"
    with pytest.raises(InvalidInputError, match="Unknown provider"):
        choose(empty_ctx, "claude")
    with pytest.raises(NotConfiguredError, match="needs a model name"):
        choose(empty_ctx, "openai-compatible")


def test_construction_and_missing_configuration(empty_ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_google_genai import ChatGoogleGenerativeAI
    from langchain_openai import ChatOpenAI

    with pytest.raises(NotConfiguredError, match="OPENAI_API_KEY"):
        build_chat_model(ProviderChoice("openai", "gpt-4o-mini"), empty_ctx)
    with pytest.raises(NotConfiguredError, match="ECHOTUNE_OPENAI_COMPATIBLE_BASE_URL"):
        build_chat_model(ProviderChoice("openai-compatible", "llama3.1"), empty_ctx)
    monkeypatch.setenv("OPENROUTER_API_KEY", "or-key")
    router = build_chat_model(ProviderChoice("openrouter", "openai/gpt-4o-mini"), empty_ctx)
    assert isinstance(router, ChatOpenAI) and str(router.openai_api_base) == "https://openrouter.ai/api/v1"
    assert router.default_headers["X-Title"] == "EchoTune"
    monkeypatch.setenv("GOOGLE_API_KEY", "g-key")
    gemini = build_chat_model(ProviderChoice("gemini", "gemini-2.5-flash"), empty_ctx)
    assert isinstance(gemini, ChatGoogleGenerativeAI) and gemini.model.endswith("gemini-2.5-flash")


def test_prices_and_cost(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[llm_prices."openai/my-model"]\ninput = 1.0\noutput = 2.0\n')
    config = load_config(environ={}, config_file=file)
    assert cost_usd(config, ProviderChoice("openai", "my-model"), 1_000_000, 500_000) == 2.0
    assert cost_usd(config, ProviderChoice("openai", "gpt-4o-mini"), 1_000_000, 0) == 0.15  # defaults kept
    assert cost_usd(config, ProviderChoice("offline", "echotune-offline"), 5000, 5000) == 0.0
    assert cost_usd(config, ProviderChoice("gemini", "unknown"), 10, 10) is None


class FakeStatusError(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None):
        super().__init__(f"HTTP {status}")
        self.status_code = status
        self.response = type("R", (), {"headers": headers or {}})()


def test_provider_errors_become_typed_errors() -> None:
    assert isinstance(translate_error(FakeStatusError(401), "openai"), NotConfiguredError)
    assert "OPENAI_API_KEY" in translate_error(FakeStatusError(401), "openai").hint
    limited = translate_error(FakeStatusError(429, {"retry-after": "7"}), "openai")
    assert isinstance(limited, RateLimitedError) and limited.retry_after == 7.0
    assert isinstance(translate_error(FakeStatusError(404), "gemini"), NotConfiguredError)
    assert isinstance(translate_error(FakeStatusError(500), "gemini"), UpstreamError)
    wrapped = RuntimeError("outer")
    wrapped.__cause__ = ConnectionRefusedError("refused")
    assert "Could not reach" in translate_error(wrapped, "openai-compatible").message
