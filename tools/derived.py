"""Data derived from a user's plays and feedback (taste vectors, caches, insights): one place to forget it.

A capability that keeps such data registers a cleanup with `@on_forget`; deleting history calls
`forget(ctx, user)`, so nothing computed from deleted plays survives them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from echotune.tools.context import Context

Cleanup = Callable[["Context", str], None]
_cleanups: list[Cleanup] = []


def on_forget(fn: Cleanup) -> Cleanup:
    """Register `fn(ctx, user)` to delete what a capability derived from that user's history."""
    if fn not in _cleanups:
        _cleanups.append(fn)
    return fn


def forget(ctx: Context, user: str) -> list[str]:
    """Run every registered cleanup for `user`; returns their names (for the report)."""
    from echotune.tools.registry import all_tools

    all_tools()  # importing every capability module registers its cleanups
    for fn in _cleanups:
        fn(ctx, user)
    return [f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}" for fn in _cleanups]
