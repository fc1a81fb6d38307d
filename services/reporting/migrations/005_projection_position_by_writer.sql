-- The projection position is advanced by the one writer of event_log (projector.py,
-- project_prepared) as the last statement of its transaction, no longer by a trigger: the
-- statement trigger's transition table held every inserted row, envelopes included, and
-- spilled to disk for a large batch, which cost about a third of the insert itself; and it
-- held the position's row lock from the insert to the commit, serialising the writers.
DROP TRIGGER IF EXISTS event_log_position ON event_log;
DROP FUNCTION IF EXISTS projection_position_advance();
