-- MCP bearer tokens (only a SHA-256 of each token is kept) and the audit log of acting and destructive calls.
CREATE TABLE mcp_tokens (
    id             TEXT PRIMARY KEY,             -- public id, part of the token: et_<id>_<secret>
    token_sha256   TEXT NOT NULL UNIQUE,         -- hex SHA-256 of the whole token; the token itself is never stored
    user           TEXT NOT NULL,                -- every call made with this token acts on this user's data only
    scope          TEXT NOT NULL CHECK (scope IN ('read', 'control', 'admin')),
    label          TEXT NOT NULL DEFAULT '',
    rate_per_min   INTEGER NOT NULL CHECK (rate_per_min > 0),
    created_at     TEXT NOT NULL,
    last_used_at   TEXT,
    revoked_at     TEXT
);
CREATE INDEX mcp_tokens_user ON mcp_tokens (user);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user        TEXT NOT NULL,
    face        TEXT NOT NULL,
    tool        TEXT NOT NULL,
    effect      TEXT NOT NULL CHECK (effect IN ('act', 'destroy')),
    token_id    TEXT,                            -- which MCP token made the call, if any
    scope       TEXT,
    arguments   TEXT NOT NULL DEFAULT '{}',      -- JSON, as the caller sent them
    outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
    error_code  TEXT
);
CREATE INDEX audit_log_user_at ON audit_log (user, at);
