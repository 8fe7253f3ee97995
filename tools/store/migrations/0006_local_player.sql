-- The local player (used when no Spotify account is linked): per-user playback state, playlists and library.
CREATE TABLE player_state (
    user       TEXT PRIMARY KEY,
    version    INTEGER NOT NULL CHECK (version > 0),
    doc        TEXT NOT NULL,                -- JSON: now playing, position, queue, context, volume, shuffle, repeat
    updated_at TEXT NOT NULL
);

CREATE TABLE local_playlists (
    id          TEXT PRIMARY KEY,            -- 22 base62 characters, like a Spotify id
    user        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    public      INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX local_playlists_user ON local_playlists (user, created_at);

CREATE TABLE local_playlist_items (
    playlist_id TEXT NOT NULL REFERENCES local_playlists (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position >= 0),
    track_id    TEXT NOT NULL REFERENCES tracks (id),
    added_at    TEXT NOT NULL,
    PRIMARY KEY (playlist_id, position)
);

CREATE TABLE library_tracks (
    user     TEXT NOT NULL,
    track_id TEXT NOT NULL REFERENCES tracks (id),
    saved_at TEXT NOT NULL,
    PRIMARY KEY (user, track_id)
);
CREATE INDEX library_tracks_saved ON library_tracks (user, saved_at);
