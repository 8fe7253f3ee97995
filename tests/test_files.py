"""Tool file paths: control characters refused everywhere; remote callers confined to their own folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from echotune.tools.context import Context
from echotune.tools.errors import InvalidInputError
from echotune.tools.files import user_folder, user_path
from echotune.tools.registry import call_tool


@pytest.mark.parametrize("bad", ["\x00", "a\nb.json", "x\x7f"])
def test_control_characters_are_refused(empty_ctx: Context, bad: str) -> None:
    with pytest.raises(InvalidInputError, match="control characters"):
        user_path(empty_ctx, bad)


def test_local_callers_use_paths_as_given(empty_ctx: Context, tmp_path: Path) -> None:
    assert user_path(empty_ctx, str(tmp_path / "x.json")) == tmp_path / "x.json"
    assert user_path(empty_ctx, "~/x.json") == Path.home() / "x.json"


@pytest.mark.parametrize("escape", ["/etc/passwd", "../../x.json", "../alice/x.json", "/tmp/x.json"])
def test_remote_callers_stay_in_their_folder(empty_ctx: Context, escape: str) -> None:
    remote = replace(empty_ctx.for_user("bob"), local_files=False)
    with pytest.raises(InvalidInputError, match="only be read and written under your folder"):
        user_path(remote, escape)
    inside = user_path(remote, "reports/2026.html")
    assert inside == user_folder(remote).resolve() / "reports" / "2026.html"


def test_remote_export_cannot_write_outside(ctx: Context) -> None:
    remote = replace(ctx, local_files=False)
    with pytest.raises(InvalidInputError):
        call_tool(remote, "history_export", {"out": "/tmp/stolen.json"})
    with pytest.raises(InvalidInputError):
        call_tool(remote, "insights_report", {"out": "../../../index.html"})
    with pytest.raises(InvalidInputError):
        call_tool(remote, "history_import", {"paths": ["/etc/passwd"]})
    out = call_tool(remote, "history_export", {})
    assert Path(out.path).parent == user_folder(remote).resolve() and Path(out.path).exists()
