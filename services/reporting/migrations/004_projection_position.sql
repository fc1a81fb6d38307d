-- The projection position (polku_projection_position): how many events event_log holds,
-- kept exact by a statement trigger so the consumer, `polku replay --from-topics` and any
-- other writer advance it in their own transaction without a count(*) per batch.
CREATE TABLE IF NOT EXISTS projection_position (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    events    bigint NOT NULL
);
INSERT INTO projection_position (events) SELECT count(*) FROM event_log
ON CONFLICT (singleton) DO NOTHING;

CREATE OR REPLACE FUNCTION projection_position_advance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE projection_position SET events = events + (SELECT count(*) FROM inserted);
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS event_log_position ON event_log;
CREATE TRIGGER event_log_position AFTER INSERT ON event_log
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION projection_position_advance();
