"""The `echotune` command: registry-generated commands, --json, exit codes per error, no tracebacks unless
--debug, a fast start-up that imports nothing heavy, and doctor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from echotune.cli import main
from echotune.tools import errors
from echotune.tools.context import Context
from echotune.tools.registry import TOOL_MODULES

HEAVY = (
    "torch",
    "faiss",
    "sentence_transformers",
    "langchain",
    "langchain_core",
    "langgraph",
    "mcp",
    "numpy",
    "pydantic",
    "rapidfuzz",
    "spotipy",
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_imports_nothing_heavy() -> None:
    code = "import sys, echotune.cli; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.replace(
            "'", '"'
        )
    )
    assert not set(HEAVY) & set(loaded), set(HEAVY) & set(loaded)


def test_a_command_imports_only_the_tool_modules_of_its_group(tmp_path: Path) -> None:
    """Once the tool listings are cached, `echotune settings show` imports the settings module, not every
    area's (a one-shot command's start-up); the first run derives the listings from the whole registry."""
    code = (
        "import sys; from echotune.cli import main; from echotune.tools.registry import TOOL_MODULES;"
        "code = main(['settings', 'show', '--json']);"
        "print(code, sorted(m for m in TOOL_MODULES if f'echotune.tools.{m}' in sys.modules), file=sys.stderr)"
    )
    env = os.environ | {"ECHOTUNE_DATA_DIR": str(tmp_path / "data")}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr
    assert runs[0].stderr.strip().splitlines()[-1] == "0 " + str(sorted(TOOL_MODULES))
    assert runs[1].stderr.strip().splitlines()[-1] == "0 ['settings']"
    assert json.loads(runs[1].stdout)["version"] == json.loads(runs[0].stdout)["version"]


def test_installed_console_script_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "echotune"
    done = subprocess.run([str(exe), "--help"], capture_output=True, text=True, env=os.environ | {"COLUMNS": "120"})
    assert done.returncode == 0
    for command in ("doctor", "demo", "catalog", "settings"):
        assert command in done.stdout


@pytest.mark.parametrize(
    ("group", "commands"), [("catalog", ["search", "show", "stats"]), ("settings", ["history", "set", "show"])]
)
def test_group_help_lists_registry_commands(capsys, group: str, commands: list[str]) -> None:
    code, out, _ = run(capsys, group, "--help")
    assert code == 0
    for command in commands:
        assert command in out


def test_search_json(capsys, ctx: Context) -> None:
    code, out, _ = run(capsys, "catalog", "search", "hey jue", "--limit", "2", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["query"] == "hey jue" and [t["title"] for t in data["tracks"]] == ["Hey Jude", "Hey Jude"]


def test_search_table(capsys, ctx: Context) -> None:
    code, out, _ = run(capsys, "catalog", "search", "beyonce halo", "--limit", "1")
    assert code == 0 and "Halo" in out and "Beyoncé" in out


def test_settings_round_trip(capsys, empty_ctx: Context) -> None:
    assert run(capsys, "settings", "set", "recommendation.diversity", "0.6")[0] == 0
    code, out, _ = run(capsys, "settings", "show", "--json")
    assert code == 0 and json.loads(out)["settings"]["recommendation"]["diversity"] == 0.6
    code, out, _ = run(capsys, "settings", "history", "--json")
    assert code == 0 and json.loads(out)["changes"][0]["new"] == 0.6


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["catalog", "search", "x", "--limit", "500"], 2, "limit"),
        (["catalog", "show", "0000000000000000000000"], 3, "No track"),
        (["settings", "set", "market", "DE", "--expected-version", "7"], 4, "changed since you read"),
    ],
)
def test_errors_exit_codes_and_no_traceback(capsys, ctx: Context, args, exit_code, message) -> None:
    code, out, err = run(capsys, *args)
    assert code == exit_code
    assert message in err and "Traceback" not in err and out == ""


def test_json_errors_are_json_on_stdout(capsys, ctx: Context) -> None:
    code, out, err = run(capsys, "catalog", "show", "0000000000000000000000", "--json")
    assert code == 3 and json.loads(out)["error"] == "not_found" and "No track" in err


def test_not_configured_exit_code(capsys, monkeypatch) -> None:
    monkeypatch.setenv("ECHOTUNE_STORE", "mongo")
    code, _, err = run(capsys, "settings", "show")
    assert code == 5 and "ECHOTUNE_MONGO_URI" in err


def test_usage_error_exit_code(capsys) -> None:
    code, _, err = run(capsys, "catalog", "search", "--limit", "many")
    assert code == 2 and "Invalid value for '--limit'" in err


@pytest.mark.parametrize("error", errors.ERRORS)
def test_every_error_type_maps_to_its_exit_code(capsys, monkeypatch, empty_ctx: Context, error) -> None:
    """Unit test of the CLI's mapping alone: the tool function is replaced by one that raises."""
    import echotune.tools.registry as registry

    def failing(ctx, name, args=None):
        raise error("it went wrong", hint="do this")

    monkeypatch.setattr(registry, "call_tool", failing)
    code, _, err = run(capsys, "settings", "show")
    assert code == error.exit_code and "error: it went wrong" in err and "hint: do this" in err


def test_unexpected_errors_hide_the_traceback_unless_debug(capsys, monkeypatch, empty_ctx: Context) -> None:
    import echotune.tools.registry as registry

    monkeypatch.setattr(registry, "call_tool", lambda *a, **k: 1 / 0)
    code, _, err = run(capsys, "settings", "show")
    assert code == 1 and "ZeroDivisionError" in err and "Traceback" not in err
    code, _, err = run(capsys, "--debug", "settings", "show")
    assert code == 1 and "Traceback" in err


def test_exit_codes_are_distinct_and_documented() -> None:
    codes = [e.exit_code for e in errors.ERRORS]
    assert len(set(codes)) == len(codes) and 0 not in codes and 1 not in codes
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for e in errors.ERRORS:
        assert f"| {e.exit_code} | `{e.code}` |" in readme, f"README lacks exit code {e.exit_code} ({e.code})"


def test_doctor_ok(capsys, empty_ctx: Context) -> None:
    code, out, _ = run(capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    names = {c["name"].strip(): c for c in report["checks"]}
    assert names["store"]["detail"].startswith("sqlite at ")
    assert names["provider"]["detail"].startswith("offline")
    assert "local player" in names["spotify"]["detail"]


def test_doctor_reports_broken_configuration(capsys, monkeypatch) -> None:
    monkeypatch.setenv("ECHOTUNE_STORE", "mongo")
    code, out, _ = run(capsys, "doctor")
    assert code == 5 and "ECHOTUNE_MONGO_URI" in out


def test_doctor_reports_unwritable_data_dir(capsys, tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ECHOTUNE_DATA_DIR", str(blocker / "data"))
    code, out, _ = run(capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 5 and report["ok"] is False
    bad = next(c for c in report["checks"] if c["status"] == "error")
    assert bad["name"] == "data dir" and "--data-dir" in bad["fix"]


def test_doctor_reports_missing_provider_key(capsys, empty_ctx: Context) -> None:
    assert run(capsys, "settings", "set", "provider", "openai")[0] == 0
    code, out, _ = run(capsys, "doctor", "--json")
    provider = next(c for c in json.loads(out)["checks"] if c["name"] == "provider")
    assert code == 5 and "OPENAI_API_KEY" in provider["detail"]


def test_demo_tours_catalog_and_settings(capsys, ctx: Context) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0
    for expected in ("Hey Jude", "Beyoncé", "conflict", "recommendation.diversity", "local player", "offline",
                     "new plays", "Listening clock", "genre entropy", "offline HTML report"):  # fmt: skip
        assert expected in out
