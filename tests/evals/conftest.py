"""Eval test fixtures: one Workspace (warm template data folders) for the whole session, shared by the targets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from echotune.evals.agent_target import Workspace


@pytest.fixture(scope="session")
def workspace(catalog_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """Templates built once (catalog copied from the session's catalog store, caches warmed on first use)."""
    space = Workspace(tmp_path_factory.mktemp("eval-workspace"), catalog_store=catalog_db)
    yield space
    space.close()
