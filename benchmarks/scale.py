"""Scale-out: feedback event to changed recommendation through the Redis Stream, history import into MongoDB,
and the store contract suite's time on each backend. Starts its own Redis and MongoDB wire-protocol server on
loopback (tests/services.py); ECHOTUNE_BENCH_MONGO_RECORDS sets the import size (default 20,000:
the test MongoDB server stores about 600 plays/s, so 203,000 would take six minutes for the same rate)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from benchmarks.harness import Row, percentiles
from tests.services import mongo_server, redis_server

ROOT = Path(__file__).resolve().parents[1]
HEY_JUDE = "1eT2CjXwFXNx6oY5ydvzKU"


def _feedback_latency(root: Path, redis_url: str) -> Row:
    from echotune.tools.config import load_config
    from echotune.tools.context import Context
    from echotune.tools.feedback_stream import FeedbackWorker
    from echotune.tools.registry import call_tool

    env = {"ECHOTUNE_DATA_DIR": str(root / "data"), "ECHOTUNE_REDIS_URL": redis_url}
    server = Context.from_config(load_config(environ=env, config_file=root / "none.toml"))
    worker_ctx = Context.from_config(load_config(environ=env, config_file=root / "none.toml"))
    stop = threading.Event()
    worker = FeedbackWorker(worker_ctx, consumer="bench", block_ms=50)
    thread = threading.Thread(target=worker.run, kwargs={"stop": stop}, daemon=True)
    thread.start()
    samples = []
    for _ in range(40):
        top = call_tool(server, "recommend_tracks", {"seed_tracks": [HEY_JUDE], "limit": 5}).tracks[0].id
        start = time.perf_counter()
        call_tool(server, "recommend_feedback", {"track": top, "kind": "dislike"})
        while call_tool(server, "recommend_tracks", {"seed_tracks": [HEY_JUDE], "limit": 5}).tracks[0].id == top:
            if time.perf_counter() - start > 10:
                raise TimeoutError("feedback never reached the recommendations")
            time.sleep(0.002)
        samples.append((time.perf_counter() - start) * 1000)
    stop.set()
    thread.join(5)
    server.close()
    worker_ctx.close()
    p50, p95 = percentiles(samples)
    return Row(
        "scale",
        "dislike → changed recommendation via Redis Stream + worker, p50 / p95 (40 events)",
        f"{p50:.0f} / {p95:.0f} ms",
        "p95 <= 200 ms",
        p95 <= 200,
    )


def _mongo_import(root: Path, mongo_uri: str, records: int) -> Row:
    from echotune.tools.catalog import ensure_bundled
    from echotune.tools.config import load_config
    from echotune.tools.context import Context
    from echotune.tools.history_import import import_history
    from echotune.tools.spotify_export import ExportSpec, generate_export

    export = generate_export(root / "export", ExportSpec(records=records, account_data=False, extras=False))
    env = {
        "ECHOTUNE_DATA_DIR": str(root / "mongo-data"),
        "ECHOTUNE_STORE": "mongo",
        "ECHOTUNE_MONGO_URI": mongo_uri,
        "ECHOTUNE_MONGO_DB": f"bench_{uuid.uuid4().hex[:8]}",
    }
    ctx = Context.from_config(load_config(environ=env, config_file=root / "none.toml"))
    ensure_bundled(ctx)
    start = time.perf_counter()
    report = import_history(ctx, [export.root], worker=False)
    wall = time.perf_counter() - start
    ctx.close()
    return Row(
        "scale",
        f"import {report.imported:,} plays into MongoDB (SecantusDB on loopback)",
        f"{wall:.1f} s = {report.imported / wall:,.0f} records/s",
    )


def _contract_time(backend: str) -> Row:
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/contract/test_store_contract.py",
            "-k",
            backend,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    return Row(
        "scale",
        f"store contract suite on {backend} (pytest, incl. start-up)",
        f"{time.perf_counter() - start:.1f} s ({summary})",
    )


def run() -> list[Row]:
    records = int(os.environ.get("ECHOTUNE_BENCH_MONGO_RECORDS", "20000"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "data").mkdir()
        from echotune.tools.catalog import ensure_bundled
        from echotune.tools.config import load_config
        from echotune.tools.context import Context

        ctx = Context.from_config(load_config({"data_dir": root / "data"}, config_file=root / "none.toml", environ={}))
        ensure_bundled(ctx)
        ctx.close()
        if shutil.which("redis-server"):
            with redis_server(root) as url:
                rows.append(_feedback_latency(root, url))
        else:
            rows.append(Row("scale", "feedback via Redis Stream", "skipped: redis-server not installed"))
        with mongo_server(root) as uri:
            rows.append(_mongo_import(root, uri, records))
    rows.extend(_contract_time(b) for b in ("sqlite", "mongo"))
    return rows
