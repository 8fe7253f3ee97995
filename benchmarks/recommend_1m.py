"""The recommender's index at a million tracks: synthetic vectors shaped like real ones (each a real catalog
vector plus Gaussian noise, renormalised), the approximate (IVF) index's build time, memory, latency and
recall@10 against exact search. Heavy on two cores (a few minutes): run it on purpose, not in a loop."""

from __future__ import annotations

import os
import resource
import time

from benchmarks.harness import Row, percentiles

N = 1_000_000
NOISE = float(os.environ.get("ECHOTUNE_BENCH_NOISE", "1.0"))
"""Norm of the Gaussian noise added to each unit vector before renormalising. At 1.0 a copy keeps cosine ~0.5
with its source, so a query's true neighbours mix copies of many songs (at 0.5, ~0.8, the 49 copies of the
query's own song fill its top 10 and any index finds them: recall is then flattering)."""
QUERIES = 200


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic(n: int, seed: int = 0):
    import numpy as np

    from echotune.tools.catalog import bundled_manifest
    from echotune.tools.recommender.vectors import load_bundled

    bundled, problems = load_bundled(bundled_manifest()["sha256"])
    if bundled is None:
        raise SystemExit(f"shipped vectors unusable: {problems}")
    base = bundled.vectors.astype(np.float32)
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    sigma = NOISE / np.sqrt(base.shape[1])
    for lo in range(0, n, 100_000):
        hi = min(n, lo + 100_000)
        x = base[rng.integers(0, len(base), hi - lo)] + rng.normal(0, sigma, (hi - lo, base.shape[1])).astype(
            np.float32
        )
        out[lo:hi] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def run() -> list[Row]:
    import faiss
    import numpy as np

    from echotune.tools.recommender.index import NPROBE, VectorIndex

    rows: list[Row] = []
    t0 = time.perf_counter()
    vectors = synthetic(N)
    queries = synthetic(QUERIES, seed=1)
    rows.append(
        Row("recommend 1M", "synthesise 1M vectors (real catalog vectors + noise)", f"{time.perf_counter() - t0:.1f} s")
    )

    before = rss_mb()
    t0 = time.perf_counter()
    index = VectorIndex.build(vectors, approx_from=0)
    build_s = time.perf_counter() - t0
    index_mb = rss_mb() - before
    rows.append(
        Row(
            "recommend 1M",
            f"build IVF{index.index.nlist},Flat over 1M x {vectors.shape[1]} (2 threads)",
            f"{build_s:.0f} s, +{index_mb:.0f} MB resident",
            "<= 300 s",
            build_s <= 300,
        )
    )

    faiss.omp_set_num_threads(2)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    truth = exact.search(queries, 10)[1]
    faiss.omp_set_num_threads(1)
    # exact single-query latency, for the exact/approximate threshold
    for size in (100_000, 200_000):
        sub = faiss.IndexFlatIP(vectors.shape[1])
        sub.add(vectors[:size])
        samples = []
        for q in queries[:50]:
            s = time.perf_counter()
            sub.search(q[None], 10)
            samples.append((time.perf_counter() - s) * 1000)
        p50, p95 = percentiles(samples)
        rows.append(
            Row(
                "recommend 1M", f"exact search over {size // 1000}K, one thread, p50 / p95", f"{p50:.1f} / {p95:.1f} ms"
            )
        )
        del sub
    for nprobe in (8, 16, 32, 64):
        index.index.nprobe = nprobe
        samples, found = [], []
        for q in queries:
            s = time.perf_counter()
            found.append(index.search(q, 10)[1][0])
            samples.append((time.perf_counter() - s) * 1000)
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found, strict=True)]))
        p50, p95 = percentiles(samples)
        chosen = nprobe == NPROBE
        rows.append(
            Row(
                "recommend 1M",
                f"IVF nprobe={nprobe}{' (default)' if chosen else ''}: p50 / p95, recall@10 vs exact",
                f"{p50:.2f} / {p95:.2f} ms, recall {recall:.3f}",
                "p95 <= 20 ms, recall >= 0.95" if chosen else "",
                (p95 <= 20 and recall >= 0.95) if chosen else None,
            )
        )
    return rows
