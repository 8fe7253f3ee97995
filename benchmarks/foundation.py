"""Start-up, first catalog load, and catalog search latency."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Row, percentiles, time_ms

QUERIES = [
    "hey jue",
    "beyonce",
    "bohemian rapsody",
    "dont stop me now",
    "smels like ten spirit",
    "queen",
    "rihana umbrela",
    "dancing",
    "love",
    "abba dancing queen",
    "billie jean",
    "halo",
    "hotel california",
    "purple rain",
    "like a rolling stone",
    "sweet child o mine",
    "wonderwall",
    "imagine",
    "toxic",
    "hello",
]


def run() -> list[Row]:
    rows: list[Row] = []
    exe = str(Path(sys.executable).parent / "echotune")
    samples = time_ms(lambda: subprocess.run([exe, "--help"], capture_output=True, check=True), repeat=10)
    p50, p95 = percentiles(samples)
    rows.append(Row("cli", "`echotune --help` wall time p50 / p95", f"{p50:.0f} / {p95:.0f} ms", "< 500 ms", p95 < 500))

    from echotune.tools.catalog import CatalogIndex, ensure_bundled
    from echotune.tools.config import load_config
    from echotune.tools.context import Context

    with tempfile.TemporaryDirectory() as tmp:
        ctx = Context.from_config(load_config({"data_dir": tmp}, config_file=Path(tmp) / "none.toml", environ={}))
        start = time.perf_counter()
        ensure_bundled(ctx)
        load_s = time.perf_counter() - start
        start = time.perf_counter()
        index = CatalogIndex.load(ctx)
        index_s = time.perf_counter() - start
        size_mb = os.path.getsize(ctx.config.sqlite_path) / 1e6
        rows.append(
            Row(
                "catalog",
                "first run: load 20,405 bundled tracks into SQLite",
                f"{load_s:.2f} s ({size_mb:.0f} MB file)",
            )
        )
        rows.append(Row("catalog", "build the fuzzy search index", f"{index_s:.2f} s"))
        samples = []
        for q in QUERIES * 5:
            start = time.perf_counter()
            index.search(q, limit=10)
            samples.append((time.perf_counter() - start) * 1000)
        p50, p95 = percentiles(samples)
        rows.append(
            Row("catalog", f"search p50 / p95 ({len(samples)} typo'd queries, warm)", f"{p50:.1f} / {p95:.1f} ms")
        )
        samples = time_ms(lambda: index.search("love", artist="beyonce", year_from=2000, limit=10), repeat=50)
        p50, p95 = percentiles(samples)
        rows.append(Row("catalog", "search with artist + year filters p50 / p95", f"{p50:.1f} / {p95:.1f} ms"))
        ctx.close()
    return rows
