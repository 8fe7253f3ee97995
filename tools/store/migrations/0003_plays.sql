-- Listening history: one row per play, identified by (user, played_at, track_key) so imports are idempotent.
CREATE TABLE plays (
    id          INTEGER PRIMARY KEY,
    user        TEXT NOT NULL,
    played_at   INTEGER NOT NULL,            -- when playback ended, UTC epoch milliseconds
    ms_played   INTEGER NOT NULL CHECK (ms_played >= 0),
    track_id    TEXT REFERENCES tracks (id), -- the catalog track, when linked
    track_uri   TEXT,
    title       TEXT NOT NULL,
    artist      TEXT NOT NULL,
    album       TEXT,
    kind        TEXT NOT NULL CHECK (kind IN ('music', 'podcast', 'audiobook')),
    skipped     INTEGER NOT NULL DEFAULT 0,
    source      TEXT NOT NULL,               -- import | local-player | spotify-sync
    track_key   TEXT NOT NULL,               -- track_uri, else normalised "title|artist"
    extra       TEXT NOT NULL DEFAULT '{}',  -- platform, reasons, shuffle, incognito, ...
    UNIQUE (user, played_at, track_key)
);
CREATE INDEX plays_user_time ON plays (user, played_at);
CREATE INDEX plays_user_track ON plays (user, track_id);
