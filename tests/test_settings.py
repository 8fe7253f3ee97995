"""Versioned settings: validation, compare-and-set, conflicts that show both values, the change log, and
real concurrent writers on one SQLite file (threads and processes)."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from echotune.tools.config import load_config
from echotune.tools.context import Context
from echotune.tools.errors import ConflictError, InvalidInputError
from echotune.tools.registry import call_tool
from echotune.tools.settings import read_settings, setting_keys, update_setting


def test_defaults_without_a_write(empty_ctx: Context) -> None:
    view = call_tool(empty_ctx, "settings_get")
    assert view.version == 0 and view.settings.provider == "offline"
    assert empty_ctx.store.settings.get("default") is None, "reading must not write"


def test_update_bumps_version_and_logs(empty_ctx: Context, clock) -> None:
    v1 = call_tool(empty_ctx, "settings_update", {"key": "recommendation.diversity", "value": "0.5"})
    clock.advance(minutes=1)
    v2 = call_tool(
        empty_ctx, "settings_update", {"key": "privacy.store_history", "value": "false", "expected_version": 1}
    )
    assert (v1.version, v2.version) == (1, 2)
    assert v2.settings.recommendation.diversity == 0.5 and v2.settings.privacy.store_history is False
    history = call_tool(empty_ctx, "settings_history", {}).changes
    assert [(c.version, c.key, c.old, c.new) for c in history] == [
        (2, "privacy.store_history", True, False),
        (1, "recommendation.diversity", 0.3, 0.5),
    ]
    assert history[0].at > history[1].at


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("recommendation.diversity", 1.5, "less than or equal to 1"),
        ("market", "usa", "pattern"),
        ("provider", "skynet", "offline"),
        ("no.such.key", 1, "Unknown setting"),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_written(empty_ctx: Context, key, value, message) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call_tool(empty_ctx, "settings_update", {"key": key, "value": value})
    assert empty_ctx.store.settings.get("default") is None


def test_stale_write_conflict_shows_both_values(empty_ctx: Context) -> None:
    update_setting(empty_ctx, "recommendation.content", 0.7)  # version 1
    with pytest.raises(ConflictError) as info:
        update_setting(empty_ctx, "recommendation.content", 0.2, expected_version=0)
    err = info.value
    assert "0.2" in err.message and "0.7" in err.message and "version 1" in err.message
    assert err.details == {
        "key": "recommendation.content",
        "yours": 0.2,
        "theirs": 0.7,
        "your_version": 0,
        "current_version": 1,
    }
    version, settings, _ = read_settings(empty_ctx)
    assert (version, settings.recommendation.content) == (1, 0.7)
    assert len(empty_ctx.store.settings.history("default")) == 1, "a refused write logs nothing"


def test_users_are_independent(empty_ctx: Context) -> None:
    update_setting(empty_ctx, "market", "DE")
    other = empty_ctx.for_user("alice")
    assert read_settings(other)[0] == 0
    update_setting(other, "market", "FR")
    assert read_settings(empty_ctx)[1].market == "DE" and read_settings(other)[1].market == "FR"


def test_every_key_is_settable(empty_ctx: Context) -> None:
    defaults = read_settings(empty_ctx)[1].model_dump()
    for key in setting_keys():
        value = defaults
        for part in key.split("."):
            value = value[part]
        update_setting(empty_ctx, key, value)  # writing the current value is valid for every key
    assert read_settings(empty_ctx)[0] == len(setting_keys())


def _racer(data_dir: str, value: float, barrier, results) -> None:
    ctx = Context.from_config(load_config({"data_dir": data_dir}, environ={}, config_file=Path(data_dir) / "x.toml"))
    barrier.wait()
    try:
        update_setting(ctx, "recommendation.content", value, expected_version=1)
        results.put(("won", value))
    except ConflictError:
        results.put(("conflict", value))
    finally:
        ctx.close()


def _race(empty_ctx: Context, make_barrier, make_queue, start) -> None:
    update_setting(empty_ctx, "recommendation.content", 0.5)  # both racers read version 1
    racers = 8
    barrier, results = make_barrier(racers), make_queue()
    workers = [start(_racer, (str(empty_ctx.config.data_dir), 0.1 * (i + 1), barrier, results)) for i in range(racers)]
    for w in workers:
        w.join(timeout=60)
    outcomes = [results.get(timeout=5) for _ in range(racers)]
    winners = [v for kind, v in outcomes if kind == "won"]
    assert len(winners) == 1, outcomes
    version, settings, _ = read_settings(empty_ctx)
    assert version == 2 and settings.recommendation.content == pytest.approx(winners[0])
    assert [c.version for c in empty_ctx.store.settings.history("default")] == [2, 1]


def test_racing_threads_exactly_one_wins(empty_ctx: Context) -> None:
    import queue

    def start(fn, args):
        t = threading.Thread(target=fn, args=args)
        t.start()
        return t

    _race(empty_ctx, threading.Barrier, queue.Queue, start)


def test_racing_processes_exactly_one_wins(empty_ctx: Context) -> None:
    mp = multiprocessing.get_context("spawn")

    def start(fn, args):
        p = mp.Process(target=fn, args=args)
        p.start()
        return p

    _race(empty_ctx, mp.Barrier, mp.Queue, start)


def test_writers_that_retry_on_conflict_lose_no_update(empty_ctx: Context) -> None:
    """Four writers change four different keys at once, each read-modify-write retried on conflict:
    every change survives, which a last-writer-wins store would not guarantee."""
    changes = {
        "recommendation.content": 0.11,
        "recommendation.collaborative": 0.22,
        "recommendation.popularity": 0.33,
        "recommendation.diversity": 0.44,
    }
    barrier = threading.Barrier(len(changes))
    conflicts: list[str] = []

    def writer(key: str, value: float) -> None:
        ctx = Context.from_config(empty_ctx.config)
        barrier.wait()
        for _ in range(50):
            version = read_settings(ctx)[0]
            try:
                update_setting(ctx, key, value, expected_version=version)
                break
            except ConflictError:
                conflicts.append(key)
        ctx.close()

    threads = [threading.Thread(target=writer, args=item) for item in changes.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    version, settings, _ = read_settings(empty_ctx)
    assert version == len(changes)
    assert settings.recommendation.model_dump(include=set(k.split(".")[1] for k in changes)) == {
        k.split(".")[1]: v for k, v in changes.items()
    }
