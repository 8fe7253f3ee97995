-- Feedback events carry an id, so a stream consumer that sees an event twice (at-least-once delivery)
-- stores it once.
ALTER TABLE feedback ADD COLUMN event_id TEXT;
CREATE UNIQUE INDEX feedback_event_id ON feedback (event_id);
