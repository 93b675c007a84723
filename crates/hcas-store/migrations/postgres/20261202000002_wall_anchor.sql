-- A booking's wall-time anchor (hcas_core::anchor::WallAnchor: the local start and end
-- and the IANA zone it was booked for) beside its instants, so a sweep can find future
-- bookings whose instants no longer match their wall time after a tz rule change. The
-- payload is the record (every write path writes it, the anchor included); these columns
-- are generated from it and stored, so no write path can leave them behind. Old rows have
-- no anchor.
ALTER TABLE bookings
    ADD COLUMN anchor_zone text GENERATED ALWAYS AS (payload->'anchor'->>'zone') STORED,
    ADD COLUMN anchor_start text GENERATED ALWAYS AS (payload->'anchor'->>'start') STORED,
    ADD COLUMN anchor_end text GENERATED ALWAYS AS (payload->'anchor'->>'end') STORED;

-- The sweep pages through future anchored bookings by (start_s, id).
CREATE INDEX bookings_anchored ON bookings (start_s, id COLLATE "C") WHERE anchor_zone IS NOT NULL;
