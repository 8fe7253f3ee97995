"""Privacy: a person can take all their data with them (export), and delete their history, which takes what
was derived from it along (cached columns, every registered cleanup); deleting needs explicit confirmation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from echotune.tools import derived
from echotune.tools.context import Context
from echotune.tools.errors import InvalidInputError
from echotune.tools.history_frame import cache_path, frame
from echotune.tools.models import Feedback
from echotune.tools.registry import call_tool
from tests.history.conftest import Export


@pytest.fixture
def history(ctx: Context, export: Export) -> Export:
    call_tool(ctx, "history_import", {"paths": [str(export.extended_dir)]})
    return export


def test_export_writes_all_of_a_users_data(ctx: Context, history: Export, tmp_path: Path) -> None:
    call_tool(ctx, "settings_update", {"key": "recommendation.diversity", "value": 0.7})
    track = ctx.store.plays.list("default", limit=1)[0].track_id
    ctx.store.feedback.add(Feedback(user="default", track_id=track, kind="like", at=ctx.clock()))
    other = ctx.store.plays.list("default", limit=1)[0].model_copy(update={"user": "someone-else"})
    ctx.store.plays.add([other])  # another user's play stays out of this export
    out = tmp_path / "mine.json"
    result = call_tool(ctx, "history_export", {"out": str(out)})
    data = orjson.loads(out.read_bytes())
    assert data["format"] == "echotune-user-export" and data["user"] == "default"
    assert result.plays == len(data["plays"]) == len(history.plays) == ctx.store.plays.count("default")
    assert data["settings"]["recommendation"]["diversity"] == 0.7 and data["settings_changes"][0]["new"] == 0.7
    assert [f["kind"] for f in data["feedback"]] == ["like"]
    assert {e["name"] for e in data["events"]} >= {"history_import", "settings_update"}
    times = [p["played_at"] for p in data["plays"]]
    assert times == sorted(times) and times[0] == history.plays[0]["ts"], "oldest first, times in UTC"
    first = data["plays"][0]
    assert {"title", "artist", "ms_played", "kind", "skipped", "extra"} <= set(first) and "user" not in first
    assert result.bytes == out.stat().st_size


def test_export_defaults_to_the_data_folder(ctx: Context, history: Export) -> None:
    result = call_tool(ctx, "history_export", {})
    path = Path(result.path)
    assert path.parent == ctx.config.data_dir and path.name.startswith("echotune-export-default-")
    json.loads(path.read_text(encoding="utf-8"))


def test_delete_needs_confirmation_and_says_what_it_would_delete(ctx: Context, history: Export) -> None:
    with pytest.raises(InvalidInputError) as err:
        call_tool(ctx, "history_delete", {"all": True})
    assert f"would delete {len(history.plays):,} plays" in err.value.message and "confirm=true" in err.value.hint
    assert ctx.store.plays.count("default") == len(history.plays)
    with pytest.raises(InvalidInputError, match="either before"):
        call_tool(ctx, "history_delete", {"all": True, "before": "2024-01-01", "confirm": True})
    with pytest.raises(InvalidInputError, match="either before"):
        call_tool(ctx, "history_delete", {"confirm": True})


def test_delete_before_a_date_removes_older_plays_and_derived_data(ctx: Context, history: Export) -> None:
    forgotten: list[str] = []

    def taste_vectors(c: Context, user: str) -> None:  # stands for another capability's derived data
        forgotten.append(user)

    derived.on_forget(taste_vectors)
    try:
        frame(ctx)
        assert cache_path(ctx, "default").exists()
        cut = datetime(2024, 1, 1, tzinfo=UTC)
        older = sum(1 for p in history.plays if p["ts"] < "2024-01-01")
        result = call_tool(ctx, "history_delete", {"before": "2024-01-01", "confirm": True})
    finally:
        derived._cleanups.remove(taste_vectors)
    assert result.deleted == older and result.remaining == len(history.plays) - older
    assert forgotten == ["default"] and "history.forget_history_cache" in result.forgotten
    assert not cache_path(ctx, "default").exists(), "the cached columns went with the plays"
    assert all(p.played_at >= cut for p in ctx.store.plays.list("default"))
    assert call_tool(ctx, "history_totals", {}).plays == result.remaining, "queries see the deletion at once"


def test_delete_all_then_the_export_imports_again_in_full(ctx: Context, history: Export) -> None:
    result = call_tool(ctx, "history_delete", {"all": True, "confirm": True})
    assert result.deleted == len(history.plays) and result.remaining == 0
    conn = ctx.store.conn()
    for table in ("play_items", "play_extras", "play_imports"):
        assert conn.execute(f"SELECT count(*) FROM {table} WHERE user = 'default'").fetchone()[0] == 0, table
    again = call_tool(ctx, "history_import", {"paths": [str(history.extended_dir)]})
    assert again.imported == len(history.plays), "nothing remembered the deleted files"


def test_cli_delete_asks_for_confirm(capsys: pytest.CaptureFixture[str], ctx: Context, history: Export) -> None:
    from echotune.cli import main

    assert main(["history", "delete", "--all"]) == 2
    assert "--confirm" in capsys.readouterr().err
    assert main(["history", "delete", "--all", "--confirm", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"] == len(history.plays)
