"""MongoDB specifics: clear errors when it is unreachable or newer than the code, and EchoTune end to end on it."""

from __future__ import annotations

import json
import uuid

import pytest

from echotune.cli import main
from echotune.tools.errors import NotConfiguredError
from echotune.tools.store.mongo import SCHEMA_VERSION, MongoStore


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(NotConfiguredError, match=r"Cannot use MongoDB at mongodb://u:\*\*\*@127.0.0.1:9") as info:
        MongoStore("mongodb://u:secret@127.0.0.1:9/", timeout_ms=300)
    assert "ECHOTUNE_MONGO_URI" in info.value.hint and "secret" not in info.value.message


def test_database_from_a_newer_echotune_is_refused(mongo_uri: str) -> None:
    name = f"future_{uuid.uuid4().hex[:8]}"
    store = MongoStore(mongo_uri, name)
    store.db["meta"].update_one({"_id": "schema_version"}, {"$set": {"value": str(SCHEMA_VERSION + 1)}})
    store.close()
    with pytest.raises(NotConfiguredError, match="newer EchoTune"):
        MongoStore(mongo_uri, name)
    from pymongo import MongoClient

    with MongoClient(mongo_uri) as client:
        client.drop_database(name)


def test_cli_settings_and_doctor_on_mongo(mongo_uri: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ECHOTUNE_STORE", "mongo")
    monkeypatch.setenv("ECHOTUNE_MONGO_URI", mongo_uri)
    monkeypatch.setenv("ECHOTUNE_MONGO_DB", f"cli_{uuid.uuid4().hex[:8]}")
    assert main(["settings", "set", "market", "SE"]) == 0
    assert main(["settings", "set", "market", "NO", "--expected-version", "0"]) == 4
    capsys.readouterr()
    assert main(["settings", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["version"], shown["settings"]["market"]) == (1, "SE")
    assert main(["doctor", "--json"]) == 0
    store_check = next(c for c in json.loads(capsys.readouterr().out)["checks"] if c["name"] == "store")
    assert store_check["detail"].startswith("mongo at mongodb://127.0.0.1")


def test_history_import_and_queries_on_mongo(mongo_uri: str, monkeypatch, capsys, tmp_path) -> None:
    """The real importer on MongoDB: both layouts, twice (the unique identity index adds nothing the second
    time), then the queries read what was stored."""
    from echotune.tools.spotify_export import ExportSpec, generate_export

    monkeypatch.setenv("ECHOTUNE_STORE", "mongo")
    monkeypatch.setenv("ECHOTUNE_MONGO_URI", mongo_uri)
    monkeypatch.setenv("ECHOTUNE_MONGO_DB", f"history_{uuid.uuid4().hex[:8]}")
    export = generate_export(
        tmp_path / "export", ExportSpec(records=1500, per_file=600, start=_date(2023), extras=False)
    )
    assert main(["history", "import", str(export.root), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["imported"] > 0 and first["read"] == first["imported"] + first["duplicates"] + first["invalid"]
    assert main(["history", "import", str(export.root), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["imported"] == 0 and second["duplicates"] == second["read"] == first["read"]
    assert main(["history", "totals", "--json"]) == 0
    totals = json.loads(capsys.readouterr().out)
    assert totals["plays"] == export.extended_records == first["imported"]
    assert totals["music_plays"] == export.music and totals["podcast_plays"] == export.podcasts

    # the recommender on the same MongoDB: seeds, feedback that changes the next list, A/B records
    assert main(["recommend", "tracks", "--seed-artists", "queen", "--limit", "5", "--json"]) == 0
    first_list = json.loads(capsys.readouterr().out)
    top = first_list["tracks"][0]["id"]
    assert len(first_list["tracks"]) == 5 and all(t["reason"] for t in first_list["tracks"])
    assert main(["recommend", "feedback", "dislike", top, "--json"]) == 0
    capsys.readouterr()
    assert main(["recommend", "tracks", "--seed-artists", "queen", "--limit", "5", "--json"]) == 0
    assert top not in [t["id"] for t in json.loads(capsys.readouterr().out)["tracks"]], "a disliked track never returns"


def _date(year: int):
    from datetime import date

    return date(year, 1, 1)
