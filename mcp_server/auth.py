"""Bearer tokens and scopes: who a call acts for and which tools it may use.

A token (`et_<id>_<secret>`) is shown once when created; the store keeps only its SHA-256, so a stolen
database yields no usable token. Each token belongs to one user (every call acts on that user's data only)
and has one scope. Scopes nest (admin ⊃ control ⊃ read) and follow from each tool's declaration, so a tool
merged later needs no change here:

- read: tools that change nothing (effect "read");
- control: also tools that act, like playback, queue and playlists (effect "act");
- admin: also tools that destroy data (effect "destroy"), settings changes, and system-wide analytics.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from echotune.tools.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from echotune.tools.context import Context
    from echotune.tools.listings import ToolListing
    from echotune.tools.models import ApiToken
    from echotune.tools.registry import ToolSpec

    Declared = ToolSpec | ToolListing

Scope = Literal["read", "control", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "control", "admin")
"""In order: each scope includes the ones before it."""

ADMIN_AREAS: dict[str, tuple[str, ...]] = {
    "echotune.tools.settings": ("act",),  # changing a person's settings
    "echotune.tools.analytics": ("read",),  # system analytics count every user's calls
}
"""Capability modules whose tools of these effects need the admin scope (destroy always does)."""

DEFAULT_RATE_PER_MIN = 600
TOKEN_PREFIX = "et_"


def required_scope(spec: Declared) -> Scope:
    """The least scope that may call this tool (a ToolSpec, or its listing: the server knows no more until the
    tool is called)."""
    if spec.effect == "destroy" or spec.effect in ADMIN_AREAS.get(spec.module, ()):
        return "admin"
    return "read" if spec.effect == "read" else "control"


def granted(scope: Scope) -> list[Scope]:
    """Every scope a token of `scope` holds (scopes nest)."""
    return list(SCOPES[: SCOPES.index(scope) + 1])


@dataclass(frozen=True)
class Caller:
    """Who is calling: the user whose data a call acts on, the scope, and the token (None on stdio or on an
    HTTP server without auth, where the caller is the installation's own user with every scope)."""

    user: str
    scope: Scope
    token_id: str | None = None

    def may_call(self, spec: Declared) -> bool:
        return required_scope(spec) in granted(self.scope)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    ctx: Context, *, user: str, scope: Scope, label: str = "", rate_per_min: int = DEFAULT_RATE_PER_MIN
) -> tuple[str, ApiToken]:
    """A new token for `user`: returns (the secret token, shown only now, and its stored record)."""
    from echotune.tools.models import ApiToken

    if scope not in SCOPES:
        raise InvalidInputError(f"Unknown scope {scope!r}", hint=f"choose one of {', '.join(SCOPES)}")
    if not user.strip() or len(user) > 64:
        raise InvalidInputError("A token needs a user name of 1-64 characters", hint="pass --user NAME")
    if rate_per_min < 1:
        raise InvalidInputError("The rate limit must be at least 1 call per minute")
    token_id = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    record = ApiToken(
        id=token_id, user=user, scope=scope, label=label, rate_per_min=rate_per_min, created_at=ctx.clock()
    )
    ctx.store.tokens.add(record, token_hash(secret))
    return secret, record


def revoke_token(ctx: Context, token_id: str) -> None:
    if not ctx.store.tokens.revoke(token_id, ctx.clock()):
        raise NotFoundError(f"No live token with id {token_id!r}", hint="see `echotune mcp token list`")


def verify(ctx: Context, token: str) -> ApiToken | None:
    """The live token record for a presented token, or None (unknown, malformed or revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    record = ctx.store.tokens.by_hash(token_hash(token))
    if record is None or record.revoked:
        return None
    return record
