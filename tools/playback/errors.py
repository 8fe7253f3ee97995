"""Player errors that carry more than a message: which devices could play, and the call that would fix it."""

from __future__ import annotations

from typing import Any

from echotune.tools.errors import NotFoundError


class NoActiveDeviceError(NotFoundError):
    """Nothing is playing anywhere, so Spotify does not know where to send the command.

    When a device is available, `details["offer"]` is the tool call that would play there
    (`{"tool": "player_play", "args": {..., "device": "<id>"}}`): the agent can propose it and the CLI asks.
    """

    def __init__(self, message: str, *, devices: list[dict[str, Any]] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.details["reason"] = "no_active_device"
        if devices is not None:
            self.details["devices"] = devices
