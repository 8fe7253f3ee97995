"""The HTML report in a real browser (Debian's headless Chromium, with every network request refused): every
chart is drawn by plotly (its SVG marks are in the DOM), none is blank, and the page screenshots."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from echotune.tools.context import Context
from echotune.tools.registry import call_tool
from tests.history.conftest import Export

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/system-deps.sh)")

OFFLINE = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--proxy-server=127.0.0.1:9",  # every request would fail: the page must need none
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

# What plotly draws for each kind of chart (an empty or failed chart has none of it).
MARKS = {
    "heatmap": r'<image[^>]+href="data:image/png;base64,[A-Za-z0-9+/]{100,}',
    "bar": r'class="point"[^>]*>\s*<path[^>]+d="M[^"]+"',
    "line": r'class="js-line"[^>]+d="M[^"]{20,}"',
    "number": r'class="number"[^>]*>[^<]*\d',
    "marker": r'class="point[^"]*"[^>]+d="M[^"]+"',
}
EXPECTED = {
    "clock": ["heatmap"],
    "top-artists": ["bar"],
    "top-tracks": ["bar"],
    "top-genres": ["bar"],
    "taste-genres": ["line"],
    "taste-features": ["line"],
    "discoveries": ["bar", "line"],
    "diversity": ["number"],
    "journey": ["marker"],
}


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *OFFLINE, f"--user-data-dir={profile}", *args],  # type: ignore[list-item]
        capture_output=True,
        text=True,
        timeout=180,
    )


def chart_sections(dom: str, ids: list[str]) -> dict[str, str]:
    starts = [dom.index(f'id="{i}"') for i in ids] + [dom.index("</main>")]
    return {i: dom[a:b] for i, a, b in zip(ids, starts, starts[1:], strict=False)}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_every_chart_renders_offline_in_chromium(ctx: Context, export: Export, tmp_path: Path) -> None:
    call_tool(ctx, "history_import", {"paths": [str(export.root)]})
    report = tmp_path / "insights.html"
    result = call_tool(ctx, "insights_report", {"out": str(report), "timezone": "Europe/Berlin"})
    assert result.charts == list(EXPECTED)

    done = chromium("--virtual-time-budget=20000", "--dump-dom", report.as_uri(), profile=tmp_path / "profile")
    dom = done.stdout
    assert done.returncode == 0 and dom, done.stderr[-2000:]
    assert 'data-charts-error="' not in dom, "a chart failed"
    assert f'data-charts-rendered="{len(result.charts)}"' in dom, "every Plotly.newPlot finished"
    for chart, section in chart_sections(dom, result.charts).items():
        assert 'class="main-svg"' in section, f"{chart}: no plot drawn"
        for mark in EXPECTED[chart]:
            assert re.search(MARKS[mark], section), f"{chart}: no {mark} drawn (blank chart)"

    shot = tmp_path / "insights.png"
    done = chromium(
        "--virtual-time-budget=20000", "--hide-scrollbars", "--window-size=1280,3600", f"--screenshot={shot}",
        report.as_uri(), profile=tmp_path / "profile2",
    )  # fmt: skip
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    assert png_size(shot) == (1280, 3600)
    assert shot.stat().st_size > 80_000, "a page of charts, not an empty one, compresses this badly"
