"""Run every benchmark and print one table: `python -m benchmarks [AREA ...]`."""

from __future__ import annotations

import importlib
import os
import sys

from benchmarks.harness import print_table

AREAS = ["foundation", "spotify", "history", "mcp", "recommend", "recommend_1m", "agent", "scale"]


def main(argv: list[str]) -> int:
    wanted = argv or AREAS
    unknown = sorted(set(wanted) - set(AREAS))
    if unknown:
        print(f"unknown area(s) {unknown}; choose from {AREAS}", file=sys.stderr)
        return 2
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    rows = []
    for area in wanted:
        rows.extend(importlib.import_module(f"benchmarks.{area}").run())
    print_table(rows)
    return 0 if all(r.met is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
