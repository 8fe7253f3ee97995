-- Recommender A/B variants: which tracks each variant showed a user (exposures) and what the user then did
-- with them (outcomes: played, skipped, liked, disliked), for `echotune analytics ab`.
CREATE TABLE ab_exposures (
    id          INTEGER PRIMARY KEY,
    user        TEXT NOT NULL,
    experiment  TEXT NOT NULL,
    variant     TEXT NOT NULL,
    request_id  TEXT NOT NULL,               -- one recommendation list
    track_id    TEXT NOT NULL,
    position    INTEGER NOT NULL CHECK (position >= 0),
    at          INTEGER NOT NULL             -- UTC epoch milliseconds
);
CREATE INDEX ab_exposures_user_track ON ab_exposures (user, track_id, at);
CREATE INDEX ab_exposures_experiment ON ab_exposures (experiment, variant);

CREATE TABLE ab_outcomes (
    id          INTEGER PRIMARY KEY,
    exposure_id INTEGER NOT NULL REFERENCES ab_exposures (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('played', 'skipped', 'liked', 'disliked')),
    at          INTEGER NOT NULL,
    UNIQUE (exposure_id, kind)
);
