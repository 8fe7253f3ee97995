"""The built wheel installs exactly one top-level package, `echotune`, with its data files inside."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_has_echotune_as_its_only_top_level_package(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("echotune-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"echotune"}
    for expected in (
        "echotune/tools/registry.py",
        "echotune/tools/data/catalog.jsonl.gz",
        "echotune/tools/data/catalog.manifest.json",
        "echotune/tools/store/migrations/0001_catalog_settings.sql",
        "echotune/agent/__init__.py",
        "echotune/mcp_server/__init__.py",
        "echotune/evals/__init__.py",
        "echotune/prompts/__init__.py",
    ):
        assert expected in names, expected
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "echotune = echotune.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
