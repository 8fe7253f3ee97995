"""Generated Spotify downloads for the history tests (small, deterministic, both layouts), and helpers that
count what a test expects straight from the generated entries."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from echotune.tools.context import Context
from echotune.tools.spotify_export import ExportSpec, export_files, generate_plays

SPEC = ExportSpec(
    records=2400,
    start=date(2023, 1, 1),
    end=date(2024, 6, 30),
    seed=11,
    per_file=700,
    account_per_file=400,
    videos=5,
    artists=300,
)


@dataclass
class Export:
    """A generated download on disk, and the entries it holds."""

    root: Path
    spec: ExportSpec
    plays: list[dict[str, Any]]
    files: dict[str, bytes]

    def path(self, name: str) -> Path:
        return self.root / name

    def names(self, prefix: str) -> list[str]:
        return sorted(n for n in self.files if n.rsplit("/", 1)[-1].startswith(prefix))

    @property
    def extended_dir(self) -> Path:
        return self.root / "Spotify Extended Streaming History"

    @property
    def account_dir(self) -> Path:
        return self.root / "Spotify Account Data"

    def account_music(self) -> int:
        from echotune.tools.history_read import parse_array

        return sum(len(parse_array(self.files[n]).records) for n in self.names("StreamingHistory_music"))  # type: ignore[union-attr]


def write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Export:
    plays = generate_plays(SPEC)
    files = export_files(SPEC, plays)
    root = tmp_path_factory.mktemp("export")
    write(root, files)
    return Export(root, SPEC, plays, files)


@pytest.fixture
def export(generated: Export, tmp_path: Path) -> Iterator[Export]:
    """A private copy of the generated download (tests may damage it)."""
    root = tmp_path / "my_spotify_data"
    shutil.copytree(generated.root, root)
    yield Export(root, generated.spec, generated.plays, generated.files)


@pytest.fixture
def hctx(ctx: Context) -> Context:
    """A Context (catalog loaded, frozen clock) whose user has a known time zone for calendar questions."""
    return ctx
