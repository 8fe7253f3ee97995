"""One family of typed errors, each with a code, an exit code and a message a person can act on.

Every face renders them its own way: the CLI prints the message and exits with `exit_code`, the agent hands
`to_dict()` to the model as the tool result, the MCP server returns it as an `isError` result.
"""

from __future__ import annotations

from typing import Any, ClassVar


class EchoTuneError(Exception):
    """Base of every expected failure. `hint` says what the person can do about it."""

    code: ClassVar[str] = "error"
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or {}

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        if self.details:
            out["details"] = self.details
        return out


class InvalidInputError(EchoTuneError):
    """The arguments are wrong: fix them and try again."""

    code = "invalid_input"
    exit_code = 2


class NotFoundError(EchoTuneError):
    """A track, playlist, user or file that does not exist."""

    code = "not_found"
    exit_code = 3


class ConflictError(EchoTuneError):
    """Someone else changed the thing since you read it (optimistic concurrency)."""

    code = "conflict"
    exit_code = 4


class NotConfiguredError(EchoTuneError):
    """A key, an account link or a service is missing from the configuration."""

    code = "not_configured"
    exit_code = 5


class RateLimitedError(EchoTuneError):
    """An upstream service asked us to slow down; `retry_after` is in seconds."""

    code = "rate_limited"
    exit_code = 6

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after
        if retry_after is not None:
            self.details.setdefault("retry_after", retry_after)


class PremiumRequiredError(EchoTuneError):
    """Spotify only allows this for Premium accounts."""

    code = "premium_required"
    exit_code = 7


class UpstreamError(EchoTuneError):
    """An outside service (Spotify, a model provider, a database) failed."""

    code = "upstream_error"
    exit_code = 8


ERRORS: tuple[type[EchoTuneError], ...] = (
    InvalidInputError,
    NotFoundError,
    ConflictError,
    NotConfiguredError,
    RateLimitedError,
    PremiumRequiredError,
    UpstreamError,
)
"""Every error type, in exit-code order: the README's table is checked against this."""
