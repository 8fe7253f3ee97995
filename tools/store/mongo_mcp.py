"""MongoDB repositories for the MCP server: bearer tokens (hash only) and the audit log of acting calls."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from echotune.tools.models import ApiToken, AuditEntry

if TYPE_CHECKING:
    from echotune.tools.store.mongo import MongoStore

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    "mcp_tokens": [([("token_sha256", 1)], {"unique": True}), ([("user", 1)], {})],
    "audit_log": [([("user", 1), ("at", -1)], {}), ([("at", -1)], {})],
}


def _token(doc: dict[str, Any]) -> ApiToken:
    from echotune.tools.store.mongo import _utc

    return ApiToken(
        id=doc["_id"],
        user=doc["user"],
        scope=doc["scope"],
        label=doc["label"],
        rate_per_min=doc["rate_per_min"],
        created_at=_utc(doc["created_at"]),
        last_used_at=_utc(doc["last_used_at"]) if doc.get("last_used_at") else None,
        revoked_at=_utc(doc["revoked_at"]) if doc.get("revoked_at") else None,
    )


class MongoTokens:
    def __init__(self, store: MongoStore):
        self.c = store.db["mcp_tokens"]

    def add(self, token: ApiToken, token_sha256: str) -> None:
        from echotune.tools.store.mongo import _aware

        self.c.insert_one(
            {
                "_id": token.id,
                "user": token.user,
                "scope": token.scope,
                "label": token.label,
                "rate_per_min": token.rate_per_min,
                "created_at": _aware(token.created_at),
                "last_used_at": None,
                "revoked_at": None,
                "token_sha256": token_sha256,
            }
        )

    def by_hash(self, token_sha256: str) -> ApiToken | None:
        doc = self.c.find_one({"token_sha256": token_sha256})
        return _token(doc) if doc else None

    def list(self, *, user: str | None = None, include_revoked: bool = False) -> list[ApiToken]:
        query: dict[str, Any] = {}
        if user is not None:
            query["user"] = user
        if not include_revoked:
            query["revoked_at"] = None
        return [_token(d) for d in self.c.find(query).sort([("created_at", 1), ("_id", 1)])]

    def revoke(self, token_id: str, at: datetime) -> bool:
        from echotune.tools.store.mongo import _aware

        done = self.c.update_one({"_id": token_id, "revoked_at": None}, {"$set": {"revoked_at": _aware(at)}})
        return done.modified_count == 1

    def touch(self, token_id: str, at: datetime) -> None:
        from echotune.tools.store.mongo import _aware

        self.c.update_one({"_id": token_id}, {"$set": {"last_used_at": _aware(at)}})


class MongoAudit:
    def __init__(self, store: MongoStore):
        self.c = store.db["audit_log"]

    def record(self, entry: AuditEntry) -> None:
        from echotune.tools.store.mongo import _aware

        self.c.insert_one({**entry.model_dump(), "at": _aware(entry.at)})

    def list(self, *, user: str | None = None, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        from echotune.tools.store.mongo import _aware, _utc

        query: dict[str, Any] = {}
        if user is not None:
            query["user"] = user
        if since is not None:
            query["at"] = {"$gte": _aware(since)}
        out = []
        for doc in self.c.find(query, {"_id": 0}).sort([("at", -1), ("_id", -1)]).limit(limit):
            doc["at"] = _utc(doc["at"])
            out.append(AuditEntry.model_validate(doc))
        return out
