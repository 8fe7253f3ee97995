"""SQLite repositories for the MCP server: bearer tokens (hash only) and the audit log of acting calls."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from echotune.tools.models import ApiToken, AuditEntry
from echotune.tools.store.sqlite import dumps, parse_ts, ts

if TYPE_CHECKING:
    from echotune.tools.store.sqlite import SqliteStore

_TOKEN_COLS = "id, user, scope, label, rate_per_min, created_at, last_used_at, revoked_at"


def _token(row: tuple[Any, ...]) -> ApiToken:
    id_, user, scope, label, rate, created, used, revoked = row
    return ApiToken(
        id=id_,
        user=user,
        scope=scope,
        label=label,
        rate_per_min=rate,
        created_at=parse_ts(created),
        last_used_at=parse_ts(used) if used else None,
        revoked_at=parse_ts(revoked) if revoked else None,
    )


class SqliteTokens:
    def __init__(self, store: SqliteStore):
        self.s = store

    def add(self, token: ApiToken, token_sha256: str) -> None:
        with self.s.tx() as conn:
            conn.execute(
                f"INSERT INTO mcp_tokens ({_TOKEN_COLS}, token_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (token.id, token.user, token.scope, token.label, token.rate_per_min, ts(token.created_at),
                 None, None, token_sha256),
            )  # fmt: skip

    def by_hash(self, token_sha256: str) -> ApiToken | None:
        row = (
            self.s.conn()
            .execute(f"SELECT {_TOKEN_COLS} FROM mcp_tokens WHERE token_sha256 = ?", (token_sha256,))
            .fetchone()
        )
        return _token(row) if row else None

    def list(self, *, user: str | None = None, include_revoked: bool = False) -> list[ApiToken]:
        where, args = [], []
        if user is not None:
            where.append("user = ?")
            args.append(user)
        if not include_revoked:
            where.append("revoked_at IS NULL")
        sql = f"SELECT {_TOKEN_COLS} FROM mcp_tokens {'WHERE ' + ' AND '.join(where) if where else ''}"
        return [_token(r) for r in self.s.conn().execute(sql + " ORDER BY created_at, id", args)]

    def revoke(self, token_id: str, at: datetime) -> bool:
        with self.s.tx() as conn:
            return (
                conn.execute(
                    "UPDATE mcp_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (ts(at), token_id)
                ).rowcount
                == 1
            )

    def touch(self, token_id: str, at: datetime) -> None:
        with self.s.tx() as conn:
            conn.execute("UPDATE mcp_tokens SET last_used_at = ? WHERE id = ?", (ts(at), token_id))


_AUDIT_COLS = "at, user, face, tool, effect, token_id, scope, arguments, outcome, error_code"


class SqliteAudit:
    def __init__(self, store: SqliteStore):
        self.s = store

    def record(self, entry: AuditEntry) -> None:
        e = entry
        with self.s.tx() as conn:
            conn.execute(
                f"INSERT INTO audit_log ({_AUDIT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ts(e.at), e.user, e.face, e.tool, e.effect, e.token_id, e.scope, dumps(e.arguments), e.outcome,
                 e.error_code),
            )  # fmt: skip

    def list(self, *, user: str | None = None, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        where, args = [], []
        if user is not None:
            where.append("user = ?")
            args.append(user)
        if since is not None:
            where.append("at >= ?")
            args.append(ts(since))
        sql = f"SELECT {_AUDIT_COLS} FROM audit_log {'WHERE ' + ' AND '.join(where) if where else ''}"
        names = [c.strip() for c in _AUDIT_COLS.split(",")]
        out = []
        for row in self.s.conn().execute(sql + " ORDER BY id DESC LIMIT ?", [*args, limit]):
            rec = dict(zip(names, row, strict=True))
            rec["at"] = parse_ts(rec["at"])
            rec["arguments"] = orjson.loads(rec["arguments"])
            out.append(AuditEntry.model_validate(rec))
        return out
