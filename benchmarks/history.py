"""Listening history: importing 203,000 extended-history records (14 files) end to end, importing them again,
the insight queries on that history, and the HTML report.

The import runs as the real command (`echotune history import DIR --json`) in a fresh process over a store
that already holds the bundled catalog; its peak RSS is that process's. Queries and the report run in this
process on a warm Context (the columns cached), through call_tool like every face.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import orjson

from benchmarks.harness import Row, percentiles, time_ms

RECORDS = 203_000
QUERIES = [
    ("history_totals", {}),
    ("history_top", {"what": "tracks"}),
    ("history_top", {"what": "artists", "period": "2023"}),
    ("history_top", {"what": "genres"}),
    ("history_clock", {}),
    ("history_sessions", {"period": "2024"}),
    ("history_discoveries", {}),
    ("history_search", {"query": "free ride edgar winter"}),
    ("history_recent", {"limit": 20}),
    ("insights_summary", {}),
]


RUN_CLI = """
import resource, sys
from echotune.cli import main
code = main(sys.argv[1:])
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
me, worker = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime, worker.ru_utime + worker.ru_stime
print(f"peak-kb {hwm} {worker.ru_maxrss} cpu {cpu[0]:.2f} {cpu[1]:.2f}", file=sys.stderr)
sys.exit(code)
"""
"""The CLI's own entry point, reporting its peak RSS (VmHWM: this process since exec, unlike ru_maxrss, which
would count the benchmark's memory inherited at fork) and its worker's."""


def _import(data: Path, source: Path) -> tuple[float, float, dict, str]:
    """(wall seconds, peak RSS MB of the importer plus its worker, report, CPU seconds used) of one import in a
    fresh process."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, "--data-dir", str(data), "history", "import", str(source), "--json"],
        capture_output=True,
        check=True,
        env={**os.environ, "ECHOTUNE_CONFIG": str(data / "none.toml")},
    )
    wall = time.perf_counter() - start
    own, worker, _, cpu_own, cpu_worker = done.stderr.decode().rsplit("peak-kb ", 1)[1].split()[:5]
    cpu = f"CPU {float(cpu_own):.1f} s + worker {float(cpu_worker):.1f} s"
    return wall, (int(own) + int(worker)) / 1024, orjson.loads(done.stdout), cpu


def run() -> list[Row]:
    from echotune.tools.catalog import ensure_bundled
    from echotune.tools.config import load_config
    from echotune.tools.context import Context
    from echotune.tools.registry import call_tool, get_tool
    from echotune.tools.spotify_export import ExportSpec, export_files, generate_plays

    rows: list[Row] = []
    load = f"load {os.getloadavg()[0]:.1f}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec = ExportSpec(records=RECORDS, start=date(2016, 1, 1), end=date(2024, 12, 31), account_data=False)
        files = export_files(spec, generate_plays(spec))
        source, rewritten = root / "export", root / "rewritten"
        for name, content in files.items():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes(content)
            if "Streaming_History_Audio" in name:  # the same plays, other bytes: every record is matched one by one
                (rewritten / name).parent.mkdir(parents=True, exist_ok=True)
                (rewritten / name).write_bytes(orjson.dumps(orjson.loads(content)))
        audio = sum(1 for n in files if "Streaming_History_Audio" in n)
        megabytes = sum(len(v) for v in files.values()) / 1e6
        del files
        data = root / "data"
        ctx = Context.from_config(load_config({"data_dir": data}, config_file=data / "none.toml", environ={}))
        ensure_bundled(ctx)
        ctx.close()

        wall, peak, report, cpu = _import(data, source)
        assert report["imported"] == RECORDS, report["imported"]
        rate = RECORDS / wall
        rows.append(
            Row(
                "history",
                f"import {RECORDS:,} records ({audio} files, {megabytes:.0f} MB), `echotune history import` end to end",
                f"{wall:.2f} s = {rate:,.0f} records/s ({load}; {cpu})",
                ">= 50,000 records/s",
                rate >= 50_000,
            )
        )
        rows.append(
            Row(
                "history",
                "import: peak RSS (importer + its parsing worker)",
                f"{peak:.0f} MB",
                "<= 500 MB",
                peak <= 500,
            )
        )
        wall, _, again, _ = _import(data, source)
        rows.append(
            Row(
                "history",
                "the same export again (adds nothing)",
                f"{wall:.2f} s, {again['imported']} added",
                "<= 2 s, 0 added",
                wall <= 2 and again["imported"] == 0,
            )
        )
        wall, _, again, cpu_again = _import(data, rewritten)
        rows.append(
            Row(
                "history",
                "the same plays in rewritten files (each record matched)",
                f"{wall:.2f} s, {again['duplicates']:,} duplicates, {again['imported']} added ({cpu_again})",
            )
        )

        common = {"timezone": "Europe/Berlin"}

        def first_query(label: str) -> Context:
            fresh = Context.from_config(load_config({"data_dir": data}, config_file=data / "none.toml", environ={}))
            start = time.perf_counter()
            call_tool(fresh, "history_totals", common)
            rows.append(Row("history", label, f"{(time.perf_counter() - start) * 1000:.0f} ms"))
            return fresh

        first_query("first query after the import (reads 203K plays into columns, caches them on disk)").close()
        ctx = first_query("first query in a new process (columns from the disk cache)")
        for name, args in QUERIES:
            if "timezone" in get_tool(name).input_model.model_fields:
                args = {**common, **args}
            samples = time_ms(lambda n=name, a=args: call_tool(ctx, n, a), repeat=30, warmup=2)
            p50, p95 = percentiles(samples)
            label = f"{name} {' '.join(f'{k}={v}' for k, v in args.items() if k != 'timezone')}".strip()
            rows.append(Row("history", f"{label} p50 / p95", f"{p50:.1f} / {p95:.1f} ms", "<= 50 ms p95", p95 <= 50))
        from echotune.tools.history_frame import frame

        def cold_summary() -> None:  # the first summary of a history generation: nothing kept from an earlier call
            meta = frame(ctx)._meta
            for key in [k for k in meta if k[0] == "insights_summary"]:
                del meta[key]
            call_tool(ctx, "insights_summary", common)

        p50, p95 = percentiles(time_ms(cold_summary, repeat=15, warmup=1))
        rows.append(Row("history", "insights_summary, first call after the plays changed p50 / p95",
                        f"{p50:.1f} / {p95:.1f} ms"))  # fmt: skip
        out = root / "report.html"
        samples = time_ms(lambda: call_tool(ctx, "insights_report", {**common, "out": str(out)}), repeat=5, warmup=1)
        p50, p95 = percentiles(samples)
        rows.append(
            Row(
                "history",
                f"insights report p50 / max ({out.stat().st_size / 1e6:.1f} MB self-contained HTML)",
                f"{p50 / 1000:.2f} / {max(samples) / 1000:.2f} s",
                "<= 2 s",
                max(samples) <= 2000,
            )
        )
        ctx.close()
    return rows
