"""Real servers the tests start on loopback: a MongoDB wire-protocol server (SecantusDB) and Redis.

Each runs as its own process on a free 127.0.0.1 port and is stopped at the end of the session. Point
ECHOTUNE_TEST_MONGO_URI / ECHOTUNE_TEST_REDIS_URL at existing servers to test against those instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def server_process(args: list[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def mongo_server(workdir: Path) -> Iterator[str]:
    """A MongoDB URI: ECHOTUNE_TEST_MONGO_URI if set, else a SecantusDB server started here."""
    if os.environ.get("ECHOTUNE_TEST_MONGO_URI"):
        yield os.environ["ECHOTUNE_TEST_MONGO_URI"]
        return
    exe = shutil.which("secantusd-py", path=str(Path(sys.executable).parent)) or shutil.which("secantusd-py")
    if exe is None:
        raise RuntimeError("secantusd-py not found: install the dev extras (pip install -e '.[dev]')")
    port = free_port()
    args = [exe, "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(workdir / "mongo-data")]
    with server_process(args, port, workdir / "mongo.log"):
        yield f"mongodb://127.0.0.1:{port}/?directConnection=true"


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A Redis URL: ECHOTUNE_TEST_REDIS_URL if set, else a redis-server started here (no persistence)."""
    if os.environ.get("ECHOTUNE_TEST_REDIS_URL"):
        yield os.environ["ECHOTUNE_TEST_REDIS_URL"]
        return
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server not found: `make test` installs it (scripts/system-deps.sh)")
    port = free_port()
    args = [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(workdir)]
    with server_process(args, port, workdir / "redis.log"):
        yield f"redis://127.0.0.1:{port}/0"
