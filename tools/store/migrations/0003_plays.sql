-- Listening history. A play is identified by (user, played_at, item, seq) so imports are idempotent; what was
-- played (a track, an episode, a chapter) is stored once per user in play_items, and the context of a play
-- (platform, country, reasons, shuffle...) once per distinct value in play_extras: rows stay narrow, so a
-- 200,000-play import writes 20 MB instead of 170 MB.
CREATE TABLE play_items (
    id        INTEGER PRIMARY KEY,
    user      TEXT NOT NULL,
    track_key TEXT NOT NULL,                 -- the uri, else match_key
    kind      TEXT NOT NULL CHECK (kind IN ('music', 'podcast', 'audiobook')),
    uri       TEXT,
    title     TEXT NOT NULL,
    artist    TEXT NOT NULL,
    album     TEXT,
    match_key TEXT NOT NULL,                 -- normalised "title|artist": matches a play across export layouts
    track_id  TEXT REFERENCES tracks (id),   -- the catalog track, when linked
    UNIQUE (user, track_key)
);

CREATE TABLE play_extras (
    id   INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    doc  TEXT NOT NULL,                      -- JSON object, keys sorted
    UNIQUE (user, doc)
);

CREATE TABLE plays (
    user      TEXT NOT NULL,
    played_at INTEGER NOT NULL,              -- when playback ended, UTC epoch milliseconds
    item      INTEGER NOT NULL REFERENCES play_items (id),
    seq       INTEGER NOT NULL DEFAULT 0,    -- n-th play of the item in that minute, for minute-precise sources
    ms_played INTEGER NOT NULL CHECK (ms_played >= 0),
    skipped   INTEGER NOT NULL DEFAULT 0,
    exact     INTEGER NOT NULL DEFAULT 1,    -- 0: played_at is known to the minute only (Spotify Account data)
    source    TEXT NOT NULL,                 -- import | local-player | spotify-sync
    extra     INTEGER,                       -- play_extras.id (kept consistent by the repository)
    PRIMARY KEY (user, played_at, item, seq) -- one B-tree: the identity, and every per-user time-range query
) WITHOUT ROWID;
