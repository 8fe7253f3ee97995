"""Agent test fixtures: warm offline-model caches shared by the session, and agents over the test Context."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from echotune.tools.config import load_config
from echotune.tools.context import Context


@pytest.fixture(scope="session")
def offline_cache(catalog_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder with the offline model's example vectors (every registry tool) and catalog
    vocabulary, built once per test session (embedding ~200 examples takes a few seconds here)."""
    from langchain_core.messages import HumanMessage

    from echotune.agent.offline import OfflineChatModel
    from echotune.agent.tools import langchain_tools

    data = tmp_path_factory.mktemp("offline-cache")
    shutil.copy(catalog_db, data / "echotune.sqlite3")
    ctx = Context.from_config(load_config({"data_dir": data}, config_file=data / "absent.toml", environ={}))
    OfflineChatModel(ctx=ctx).bind_tools(langchain_tools()).respond(
        [HumanMessage("what can you recommend like hey jude")]
    )
    ctx.close()
    return data / "cache"


@pytest.fixture
def warm(isolated_env: Path, offline_cache: Path) -> Path:
    """The test's data dir with the warm offline caches copied in."""
    shutil.copytree(offline_cache, isolated_env / "cache", dirs_exist_ok=True)
    return isolated_env


@pytest.fixture
def agent_ctx(ctx: Context, warm: Path) -> Iterator[Context]:
    yield ctx
