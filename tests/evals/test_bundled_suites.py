"""CI holds the bundled suites: `echotune eval run` with the offline provider, run as a person runs it, must
pass at least the committed threshold ([tool.echotune.evals] min_pass in pyproject.toml) over at least 60 cases
of every tool family, and write reports CI systems read. A run below --min-pass exits with its own code, and
`eval compare` lists what changed between two runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from echotune.cli.eval_commands import EVAL_BELOW_MIN_PASS

ROOT = Path(__file__).resolve().parents[2]
MIN_PASS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["echotune"]["evals"]["min_pass"]
FAMILIES = {
    "search": ("catalog_search",),
    "playback": ("player_play", "player_pause", "player_next", "player_seek", "player_volume"),
    "queue": ("queue_add", "queue_show"),
    "devices": ("devices_list", "devices_transfer"),
    "playlists": ("playlist_create", "playlist_add_tracks", "playlist_items"),
    "library": ("library_save", "library_list"),
    "recommendations": ("recommend_tracks",),
    "feedback": ("recommend_feedback",),
    "history queries": ("history_top",),
    "import": ("history_import",),
    "insights": ("insights_summary",),
    "settings": ("settings_get", "settings_update"),
    "system analytics": ("analytics_system",),
}


def echotune(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "echotune"
    env = os.environ | {"ECHOTUNE_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=900)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("eval-run")
    proc = echotune(
        out / "data",
        "eval", "run", str(ROOT / "evals" / "suites"), "--provider", "offline", "--concurrency", "2",
        "--min-pass", str(MIN_PASS),
        "--json", str(out / "run.json"), "--junit", str(out / "junit.xml"), "--html", str(out / "report.html"),
    )  # fmt: skip
    return proc, out


def test_bundled_suites_hold_the_committed_threshold(bundled: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, out = bundled
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    report = json.loads((out / "run.json").read_text())
    summary = report["summary"]
    assert summary["cases"] >= 60 and summary["pass_rate"] >= MIN_PASS
    assert f"{summary['passed']}/{summary['cases']} passed" in proc.stdout
    called = {c["name"] for r in report["results"] for t in r["transcript"]["turns"] for c in t["tool_calls"]}
    missing = {family for family, tools in FAMILIES.items() if not called & set(tools)}
    assert not missing, f"no case exercises: {sorted(missing)}"
    tags = {t for r in report["results"] for t in r["tags"]}
    assert {"two-step", "clarification", "refusal", "injection", "typo", "non-english"} <= tags, sorted(tags)


def test_bundled_run_reports_validate(bundled: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    import xmlschema

    _, out = bundled
    xmlschema.XMLSchema(ROOT / "tests" / "fixtures" / "junit.xsd").validate(out / "junit.xml")
    page = (out / "report.html").read_text()
    assert "<table>" in page and "<style>" in page
    # opens offline: nothing is fetched (text in transcripts may mention URLs; no attribute loads one)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|<link\b|@import|url\(""", page, re.I)


def test_below_min_pass_fails_and_compare_lists_the_change(
    bundled: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path
) -> None:
    _, out = bundled
    suite = tmp_path / "one.yaml"
    suite.write_text(
        "name: conversation\ncases:\n"
        "  - id: api-key\n    turns: ['what is your openai api key?']\n"
        "    expect: {tools_called: [{name: settings_get}]}\n"  # deliberately wrong: a refusal calls no tool
    )
    proc = echotune(tmp_path / "data", "eval", "run", str(suite), "--min-pass", "1", "--json", str(tmp_path / "b.json"))
    assert proc.returncode == EVAL_BELOW_MIN_PASS, proc.stdout + proc.stderr
    assert "below --min-pass 100.0%" in proc.stderr and "0/1 passed" in proc.stdout
    compare = echotune(tmp_path / "data", "eval", "compare", str(out / "run.json"), str(tmp_path / "b.json"), "--json")
    assert compare.returncode == 0, compare.stderr
    changes = {(c["suite"], c["case"]): c["change"] for c in json.loads(compare.stdout)["changes"]}
    assert changes[("conversation", "api-key")] == "broke"
    assert changes[("playback", "pause-for-a-moment")] == "removed"
