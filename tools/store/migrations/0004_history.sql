-- Listening history: a per-user revision, bumped in the same transaction as every change to a user's plays,
-- so caches derived from plays (the query columns, insights) know in one lookup whether they are stale.
CREATE TABLE play_revisions (
    user     TEXT PRIMARY KEY,
    revision INTEGER NOT NULL
);

-- Export files whose every valid record is stored, by content digest: importing the same file again is
-- answered from here without parsing it. Deleting any of the user's plays forgets them.
CREATE TABLE play_imports (
    user        TEXT NOT NULL,
    digest      TEXT NOT NULL,
    file        TEXT NOT NULL,
    records     INTEGER NOT NULL,
    imported_at INTEGER NOT NULL,            -- UTC epoch milliseconds
    PRIMARY KEY (user, digest)
);
