-- System events (tool calls, provider requests) for analytics, and listener feedback for the recommender.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    face        TEXT NOT NULL,
    duration_ms REAL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
    error_code  TEXT,
    provider    TEXT,
    tokens_in   INTEGER,
    tokens_out  INTEGER,
    cost_usd    REAL,
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_kind_at ON events (kind, at);

CREATE TABLE feedback (
    id       INTEGER PRIMARY KEY,
    user     TEXT NOT NULL,
    track_id TEXT NOT NULL REFERENCES tracks (id),
    kind     TEXT NOT NULL CHECK (kind IN ('like', 'dislike', 'skip')),
    at       TEXT NOT NULL
);
CREATE INDEX feedback_user_at ON feedback (user, at);
