-- The first schema: the catalog and versioned per-user settings with their change log.
CREATE TABLE tracks (
    id          TEXT PRIMARY KEY,            -- Spotify track id, or a local id for learnt tracks
    uri         TEXT,
    title       TEXT NOT NULL,
    artists     TEXT NOT NULL,               -- JSON [{"id": ..., "name": ...}]
    album_id    TEXT,
    year        INTEGER,
    genres      TEXT NOT NULL DEFAULT '[]',  -- JSON list
    popularity  INTEGER,
    explicit    INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER,
    features    TEXT,                        -- JSON audio features, or NULL
    source      TEXT NOT NULL,
    match_key   TEXT NOT NULL                -- normalised "title|first artist" for plays without a uri
);
CREATE INDEX tracks_match_key ON tracks (match_key);

CREATE TABLE settings (
    user       TEXT PRIMARY KEY,
    version    INTEGER NOT NULL CHECK (version > 0),
    doc        TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE settings_changes (
    id      INTEGER PRIMARY KEY,
    user    TEXT NOT NULL,
    version INTEGER NOT NULL,
    at      TEXT NOT NULL,
    key     TEXT NOT NULL,
    old     TEXT,
    new     TEXT
);
CREATE INDEX settings_changes_user ON settings_changes (user, version);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
