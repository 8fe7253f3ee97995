"""Agent sessions in Redis: the saver EchoTune configures passes LangGraph's own checkpointer conformance
suite, sessions expire when unused, and a conversation started on one machine resumes on another."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver

from echotune.agent.checkpoints import REDIS_PREFIX, SESSION_TTL_S, open_checkpointer
from echotune.tools.config import load_config

EXE = str(Path(sys.executable).parent / "echotune")


class Async(BaseCheckpointSaver):
    """The conformance suite calls the async API; this runs the sync saver the agent uses behind it."""

    def __init__(self, inner: BaseCheckpointSaver):
        super().__init__(serde=inner.serde)
        self.inner = inner

    async def aget_tuple(self, config: Any) -> Any:
        return await asyncio.to_thread(self.inner.get_tuple, config)

    async def alist(self, config: Any, **kw: Any) -> AsyncIterator[Any]:
        for item in await asyncio.to_thread(lambda: list(self.inner.list(config, **kw))):
            yield item

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        return await asyncio.to_thread(self.inner.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config: Any, writes: Sequence[Any], task_id: str, task_path: str = "") -> None:
        await asyncio.to_thread(self.inner.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await asyncio.to_thread(self.inner.delete_thread, thread_id)


@pytest.fixture
def redis_config(tmp_path: Path, fresh_redis: str):
    return load_config(
        {"data_dir": tmp_path / "d"}, environ={"ECHOTUNE_REDIS_URL": fresh_redis}, config_file=tmp_path / "absent.toml"
    )


def test_the_configured_saver_passes_langgraphs_conformance_suite(redis_config) -> None:
    from langgraph.checkpoint.conformance import checkpointer_test, validate

    @checkpointer_test(name="echotune-redis")
    async def saver() -> AsyncIterator[BaseCheckpointSaver]:
        yield Async(open_checkpointer(redis_config))

    report = asyncio.run(validate(saver))
    results = {name: (r.passed, r.tests_failed) for name, r in report.results.items() if r.detected}
    assert report.passed_all_base(), results
    assert set(results) >= {"put", "put_writes", "get_tuple", "list", "delete_thread"}


def test_auto_picks_redis_when_configured_and_keys_expire(redis_config, fresh_redis: str) -> None:
    import redis
    from langgraph_checkpoint_plainredis import RedisSaver

    saver = open_checkpointer(redis_config)
    assert isinstance(saver, RedisSaver)
    from echotune.agent.api import Agent
    from echotune.tools.context import Context

    ctx = Context.from_config(redis_config)
    with Agent(ctx, approve=True) as agent:
        agent.ask("show my settings", session="ttl")
    ctx.close()
    client = redis.Redis.from_url(fresh_redis)
    keys = client.keys(f"{REDIS_PREFIX}*")
    ttls = [client.ttl(k) for k in keys if client.type(k) != b"none"]
    assert keys and all(0 < t <= SESSION_TTL_S for t in ttls if t != -1), ttls
    assert any(0 < t <= SESSION_TTL_S for t in ttls)


@pytest.fixture
def two_machines(tmp_path: Path, catalog_db: Path, fresh_redis: str) -> Iterator[list[dict[str, str]]]:
    envs = []
    for name in ("a", "b"):
        data = tmp_path / name
        data.mkdir()
        shutil.copy(catalog_db, data / "echotune.sqlite3")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOTUNE_")}
        envs.append(
            env
            | {
                "ECHOTUNE_DATA_DIR": str(data),
                "ECHOTUNE_CONFIG": str(data / "absent.toml"),
                "ECHOTUNE_REDIS_URL": fresh_redis,
                "HF_HUB_OFFLINE": "1",
            }
        )
    yield envs


def test_a_session_started_on_one_machine_resumes_on_another(two_machines: list[dict[str, str]]) -> None:
    def ask(env: dict[str, str], text: str) -> dict[str, Any]:
        done = subprocess.run(
            [EXE, "ask", text, "--session", "trip", "--json"], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    first = ask(two_machines[0], "find hey jude")
    assert [c["name"] for c in first["tool_calls"]] == ["catalog_search"]
    found = first["tool_calls"][0]["result"]["tracks"][0]["id"]
    second = ask(two_machines[1], "tell me more about the first one")  # another process, data dir and store
    assert [(c["name"], c["args"]) for c in second["tool_calls"]] == [("catalog_get", {"track": found})]
