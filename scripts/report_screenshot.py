"""Refresh docs/insights-report.png: the demo's sample history, its HTML report, a headless-Chromium screenshot.

Run: .venv/bin/python scripts/report_screenshot.py  (needs Debian's chromium; see scripts/system-deps.sh)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "insights-report.png"


def main() -> int:
    from echotune.tools.config import load_config
    from echotune.tools.context import Context
    from echotune.tools.registry import call_tool
    from echotune.tools.spotify_export import ExportSpec, generate_export

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium is not installed (bash scripts/system-deps.sh)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "data"
        ctx = Context.from_config(load_config({"data_dir": data}, config_file=data / "none.toml", environ={}))
        spec = ExportSpec(records=30_000, start=date(2021, 1, 1), end=date(2024, 12, 31), seed=2024, artists=900)
        made = generate_export(tmp_path / "export", spec, as_zip=True)
        call_tool(ctx, "history_import", {"paths": [str(made.root)]})
        report = tmp_path / "insights.html"
        call_tool(ctx, "insights_report", {"out": str(report), "timezone": "Europe/Berlin"})
        OUT.parent.mkdir(exist_ok=True)
        subprocess.run(
            [
                chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                "--hide-scrollbars", "--virtual-time-budget=20000", "--window-size=1200,4200",
                f"--screenshot={OUT}", report.as_uri(),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        ctx.close()
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
