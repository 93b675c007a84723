-- Idempotency keys expire (`IDEMPOTENCY_TTL_SECONDS`, 24 h after first use, by the
-- caller's `now`): `created_s` is that first use. Keys written before this migration
-- get the `now` of their booking's `appointment.created` event (the instant the key
-- was first used), or 0 (expired) if there is none.
ALTER TABLE idempotency ADD COLUMN created_s INTEGER NOT NULL DEFAULT 0;
UPDATE idempotency SET created_s = COALESCE(
    (SELECT MIN(o.created_s) FROM outbox o
     WHERE o.aggregate_id = idempotency.booking_id AND o.kind = 'appointment.created'), 0);
-- Pruning takes the oldest keys first.
CREATE INDEX idempotency_created ON idempotency (created_s);

-- The overlap bound shrinks, and ordinary bookings pay for it (almost) nothing.
-- `resource_extent.max_len` was the longest booking row ever written on a resource; now it
-- is MAX(`short_max`, the longest *long* row that still occupies it), where
--   * a row is long when it lasts more than `EXTENT_FLOOR` seconds (24 h, the constant in
--     `hcas-store`; every use below is marked `/* EXTENT_FLOOR */` and a test checks them);
--   * `short_max` is the longest short row ever written (grow-only, whatever its status,
--     as before: one index probe and, in the common case, no write);
--   * `resource_lengths` counts, per resource and length in seconds, the long rows of
--     occupying bookings (a status other than ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist'): the core's `Status::occupies`, which a
--     test checks against this list).
-- Triggers keep both on every insert, delete, move (`resource`, `start_s`, `end_s`) and status
-- change, so no write path can forget them; their WHEN clauses leave short rows, and bookings
-- without long rows, out of all counting. The bound may be too large (`short_max` never
-- shrinks; a long row whose booking is missing stays counted) but never too small: every
-- short row is under `short_max` and every occupying long row is counted, so
-- `start_s > start - max_len` finds it. Long rows of non-occupying bookings longer than the
-- bound may be missed; no conflict check needs them.
CREATE TABLE resource_lengths (
    resource TEXT    NOT NULL,
    len      INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (resource, len)
) WITHOUT ROWID;

ALTER TABLE resource_extent ADD COLUMN short_max INTEGER NOT NULL DEFAULT 0
    CHECK (short_max >= 0 AND max_len >= short_max);

DROP TRIGGER booking_resources_extent;
DELETE FROM resource_extent;
INSERT INTO resource_lengths (resource, len, n)
    SELECT r.resource, r.end_s - r.start_s, COUNT(*)
    FROM booking_resources r LEFT JOIN bookings b ON b.id = r.booking_id
    WHERE r.end_s - r.start_s > 86400 /* EXTENT_FLOOR */
      AND (b.status IS NULL OR b.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist'))
    GROUP BY r.resource, r.end_s - r.start_s;
INSERT INTO resource_extent (resource, max_len, short_max)
    SELECT resource, MAX(len), COALESCE(MAX(CASE WHEN short THEN len END), 0)
    FROM (SELECT resource, end_s - start_s AS len, 1 AS short FROM booking_resources
          WHERE end_s - start_s BETWEEN 1 AND 86400 /* EXTENT_FLOOR */
          UNION ALL
          SELECT resource, len, 0 FROM resource_lengths)
    GROUP BY resource;

-- Short rows: grow-only `short_max` (one probe; no write unless it grows).
CREATE TRIGGER booking_resources_short_insert AFTER INSERT ON booking_resources
WHEN NEW.end_s - NEW.start_s BETWEEN 1 AND 86400 /* EXTENT_FLOOR */
    AND NOT EXISTS (SELECT 1 FROM resource_extent
                    WHERE resource = NEW.resource AND short_max >= NEW.end_s - NEW.start_s)
BEGIN
    INSERT INTO resource_extent (resource, max_len, short_max)
        VALUES (NEW.resource, NEW.end_s - NEW.start_s, NEW.end_s - NEW.start_s)
        ON CONFLICT (resource) DO UPDATE SET short_max = MAX(short_max, excluded.short_max),
            max_len = MAX(max_len, excluded.max_len);
END;

CREATE TRIGGER booking_resources_short_move AFTER UPDATE OF resource, start_s, end_s
ON booking_resources
WHEN NEW.end_s - NEW.start_s BETWEEN 1 AND 86400 /* EXTENT_FLOOR */
    AND NOT EXISTS (SELECT 1 FROM resource_extent
                    WHERE resource = NEW.resource AND short_max >= NEW.end_s - NEW.start_s)
BEGIN
    INSERT INTO resource_extent (resource, max_len, short_max)
        VALUES (NEW.resource, NEW.end_s - NEW.start_s, NEW.end_s - NEW.start_s)
        ON CONFLICT (resource) DO UPDATE SET short_max = MAX(short_max, excluded.short_max),
            max_len = MAX(max_len, excluded.max_len);
END;

-- Long rows of occupying bookings (or of a missing booking: the safe side) are counted.
CREATE TRIGGER booking_resources_lengths_insert AFTER INSERT ON booking_resources
WHEN NEW.end_s - NEW.start_s > 86400 /* EXTENT_FLOOR */
    AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = NEW.booking_id AND b.status IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist'))
BEGIN
    INSERT INTO resource_lengths (resource, len, n) VALUES (NEW.resource, NEW.end_s - NEW.start_s, 1)
        ON CONFLICT (resource, len) DO UPDATE SET n = n + 1;
    INSERT INTO resource_extent (resource, max_len) VALUES (NEW.resource, NEW.end_s - NEW.start_s)
        ON CONFLICT (resource) DO UPDATE SET max_len = excluded.max_len
        WHERE excluded.max_len > max_len;
END;

-- A booking's own delete is counted by `bookings_lengths_delete` (its rows go by cascade,
-- when the booking is gone already).
CREATE TRIGGER booking_resources_lengths_delete AFTER DELETE ON booking_resources
WHEN OLD.end_s - OLD.start_s > 86400 /* EXTENT_FLOOR */
    AND EXISTS (SELECT 1 FROM bookings b WHERE b.id = OLD.booking_id AND b.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist'))
BEGIN
    UPDATE resource_lengths SET n = n - 1 WHERE resource = OLD.resource AND len = OLD.end_s - OLD.start_s;
    DELETE FROM resource_lengths WHERE resource = OLD.resource AND len = OLD.end_s - OLD.start_s AND n <= 0;
    DELETE FROM resource_extent WHERE resource = OLD.resource AND short_max <= 0
        AND NOT EXISTS (SELECT 1 FROM resource_lengths l WHERE l.resource = OLD.resource);
    UPDATE resource_extent
        SET max_len = MAX(short_max, COALESCE((SELECT MAX(l.len) FROM resource_lengths l
                                               WHERE l.resource = OLD.resource), 0))
        WHERE resource = OLD.resource;
END;

-- A move: the old long row leaves its class, the new long row joins one (a move that keeps
-- the resource and the length, such as re-anchoring, changes nothing).
CREATE TRIGGER booking_resources_lengths_move_out AFTER UPDATE OF resource, start_s, end_s
ON booking_resources
WHEN OLD.end_s - OLD.start_s > 86400 /* EXTENT_FLOOR */
    AND (OLD.resource IS NOT NEW.resource OR OLD.end_s - OLD.start_s IS NOT NEW.end_s - NEW.start_s)
    AND EXISTS (SELECT 1 FROM bookings b WHERE b.id = NEW.booking_id AND b.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist'))
BEGIN
    UPDATE resource_lengths SET n = n - 1 WHERE resource = OLD.resource AND len = OLD.end_s - OLD.start_s;
    DELETE FROM resource_lengths WHERE resource = OLD.resource AND len = OLD.end_s - OLD.start_s AND n <= 0;
    DELETE FROM resource_extent WHERE resource = OLD.resource AND short_max <= 0
        AND NOT EXISTS (SELECT 1 FROM resource_lengths l WHERE l.resource = OLD.resource);
    UPDATE resource_extent
        SET max_len = MAX(short_max, COALESCE((SELECT MAX(l.len) FROM resource_lengths l
                                               WHERE l.resource = OLD.resource), 0))
        WHERE resource = OLD.resource;
END;

CREATE TRIGGER booking_resources_lengths_move_in AFTER UPDATE OF resource, start_s, end_s
ON booking_resources
WHEN NEW.end_s - NEW.start_s > 86400 /* EXTENT_FLOOR */
    AND (OLD.resource IS NOT NEW.resource OR OLD.end_s - OLD.start_s IS NOT NEW.end_s - NEW.start_s)
    AND EXISTS (SELECT 1 FROM bookings b WHERE b.id = NEW.booking_id AND b.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist'))
BEGIN
    INSERT INTO resource_lengths (resource, len, n) VALUES (NEW.resource, NEW.end_s - NEW.start_s, 1)
        ON CONFLICT (resource, len) DO UPDATE SET n = n + 1;
    INSERT INTO resource_extent (resource, max_len) VALUES (NEW.resource, NEW.end_s - NEW.start_s)
        ON CONFLICT (resource) DO UPDATE SET max_len = excluded.max_len
        WHERE excluded.max_len > max_len;
END;

-- A booking that stops occupying, or is deleted while occupying: only its long rows are
-- visited, and only when it has one (an ordinary booking: one probe, nothing counted).
CREATE TRIGGER bookings_lengths_delete BEFORE DELETE ON bookings
WHEN OLD.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist')
    AND EXISTS (SELECT 1 FROM booking_resources r
                WHERE r.booking_id = OLD.id AND r.end_s - r.start_s > 86400 /* EXTENT_FLOOR */)
BEGIN
    UPDATE resource_lengths SET n = n - 1 WHERE (resource, len) IN
        (SELECT r.resource, r.end_s - r.start_s FROM booking_resources r
         WHERE r.booking_id = OLD.id AND r.end_s - r.start_s > 86400 /* EXTENT_FLOOR */);
    DELETE FROM resource_lengths WHERE n <= 0 AND resource IN
        (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id);
    DELETE FROM resource_extent WHERE resource IN (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id) AND short_max <= 0
        AND NOT EXISTS (SELECT 1 FROM resource_lengths l WHERE l.resource = resource_extent.resource);
    UPDATE resource_extent
        SET max_len = MAX(short_max, COALESCE((SELECT MAX(l.len) FROM resource_lengths l
                                               WHERE l.resource = resource_extent.resource), 0))
        WHERE resource IN (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id);
END;

CREATE TRIGGER bookings_lengths_stop AFTER UPDATE OF status ON bookings
WHEN OLD.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist') AND NEW.status IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist')
    AND EXISTS (SELECT 1 FROM booking_resources r
                WHERE r.booking_id = OLD.id AND r.end_s - r.start_s > 86400 /* EXTENT_FLOOR */)
BEGIN
    UPDATE resource_lengths SET n = n - 1 WHERE (resource, len) IN
        (SELECT r.resource, r.end_s - r.start_s FROM booking_resources r
         WHERE r.booking_id = OLD.id AND r.end_s - r.start_s > 86400 /* EXTENT_FLOOR */);
    DELETE FROM resource_lengths WHERE n <= 0 AND resource IN
        (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id);
    DELETE FROM resource_extent WHERE resource IN (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id) AND short_max <= 0
        AND NOT EXISTS (SELECT 1 FROM resource_lengths l WHERE l.resource = resource_extent.resource);
    UPDATE resource_extent
        SET max_len = MAX(short_max, COALESCE((SELECT MAX(l.len) FROM resource_lengths l
                                               WHERE l.resource = resource_extent.resource), 0))
        WHERE resource IN (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id);
END;

CREATE TRIGGER bookings_lengths_start AFTER UPDATE OF status ON bookings
WHEN OLD.status IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist') AND NEW.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist')
    AND EXISTS (SELECT 1 FROM booking_resources r
                WHERE r.booking_id = NEW.id AND r.end_s - r.start_s > 86400 /* EXTENT_FLOOR */)
BEGIN
    INSERT INTO resource_lengths (resource, len, n)
        SELECT r.resource, r.end_s - r.start_s, 1 FROM booking_resources r
        WHERE r.booking_id = NEW.id AND r.end_s - r.start_s > 86400 /* EXTENT_FLOOR */
        ON CONFLICT (resource, len) DO UPDATE SET n = n + 1;
    INSERT INTO resource_extent (resource, max_len)
        SELECT r.resource, r.end_s - r.start_s FROM booking_resources r
        WHERE r.booking_id = NEW.id AND r.end_s - r.start_s > 86400 /* EXTENT_FLOOR */
        ON CONFLICT (resource) DO UPDATE SET max_len = excluded.max_len
        WHERE excluded.max_len > max_len;
END;
