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

-- The overlap bound shrinks. `resource_extent.max_len` was the longest booking ever
-- written on a resource; now it is the longest booking that still occupies it (a status
-- other than ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist'): the core's `Status::occupies`, which a test in `sql.rs` checks
-- against this list). `resource_lengths` counts, per resource and length in seconds, the
-- occupying booking rows; triggers keep both on every insert, delete, move (`start_s`,
-- `end_s`) and status change, so no write path can forget them. The bound may be too large
-- (a row whose booking is missing stays counted) but never too small: every occupying
-- booking row is counted, so `start_s > start - max_len` finds it. Rows of non-occupying
-- bookings longer than the bound may be missed; no conflict check needs them.
CREATE TABLE resource_lengths (
    resource TEXT    NOT NULL,
    len      INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (resource, len)
) WITHOUT ROWID;

DROP TRIGGER booking_resources_extent;
DELETE FROM resource_extent;
INSERT INTO resource_lengths (resource, len, n)
    SELECT r.resource, r.end_s - r.start_s, COUNT(*)
    FROM booking_resources r LEFT JOIN bookings b ON b.id = r.booking_id
    WHERE b.status IS NULL OR b.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist')
    GROUP BY r.resource, r.end_s - r.start_s;
INSERT INTO resource_extent (resource, max_len)
    SELECT resource, MAX(len) FROM resource_lengths GROUP BY resource;

CREATE TRIGGER booking_resources_lengths_insert AFTER INSERT ON booking_resources
WHEN NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = NEW.booking_id AND b.status IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist'))
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
WHEN EXISTS (SELECT 1 FROM bookings b WHERE b.id = OLD.booking_id AND b.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist'))
BEGIN
    UPDATE resource_lengths SET n = n - 1 WHERE resource = OLD.resource AND len = OLD.end_s - OLD.start_s;
    DELETE FROM resource_lengths WHERE resource = OLD.resource AND len = OLD.end_s - OLD.start_s AND n <= 0;
    DELETE FROM resource_extent WHERE resource = OLD.resource
        AND NOT EXISTS (SELECT 1 FROM resource_lengths l WHERE l.resource = OLD.resource);
    UPDATE resource_extent
        SET max_len = (SELECT MAX(l.len) FROM resource_lengths l WHERE l.resource = OLD.resource)
        WHERE resource = OLD.resource
          AND max_len > (SELECT MAX(l.len) FROM resource_lengths l WHERE l.resource = OLD.resource);
END;

CREATE TRIGGER booking_resources_lengths_move AFTER UPDATE OF resource, start_s, end_s
ON booking_resources
WHEN EXISTS (SELECT 1 FROM bookings b WHERE b.id = NEW.booking_id AND b.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist'))
BEGIN
    UPDATE resource_lengths SET n = n - 1 WHERE resource = OLD.resource AND len = OLD.end_s - OLD.start_s;
    DELETE FROM resource_lengths WHERE resource = OLD.resource AND len = OLD.end_s - OLD.start_s AND n <= 0;
    DELETE FROM resource_extent WHERE resource = OLD.resource
        AND NOT EXISTS (SELECT 1 FROM resource_lengths l WHERE l.resource = OLD.resource);
    UPDATE resource_extent
        SET max_len = (SELECT MAX(l.len) FROM resource_lengths l WHERE l.resource = OLD.resource)
        WHERE resource = OLD.resource
          AND max_len > (SELECT MAX(l.len) FROM resource_lengths l WHERE l.resource = OLD.resource);
    INSERT INTO resource_lengths (resource, len, n) VALUES (NEW.resource, NEW.end_s - NEW.start_s, 1)
        ON CONFLICT (resource, len) DO UPDATE SET n = n + 1;
    INSERT INTO resource_extent (resource, max_len) VALUES (NEW.resource, NEW.end_s - NEW.start_s)
        ON CONFLICT (resource) DO UPDATE SET max_len = excluded.max_len
        WHERE excluded.max_len > max_len;
END;

CREATE TRIGGER bookings_lengths_delete BEFORE DELETE ON bookings
WHEN OLD.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist')
BEGIN
    UPDATE resource_lengths SET n = n - 1 WHERE (resource, len) IN
        (SELECT r.resource, r.end_s - r.start_s FROM booking_resources r WHERE r.booking_id = OLD.id);
    DELETE FROM resource_lengths WHERE n <= 0 AND resource IN (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id);
    DELETE FROM resource_extent WHERE resource IN (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id)
        AND NOT EXISTS (SELECT 1 FROM resource_lengths l WHERE l.resource = resource_extent.resource);
    UPDATE resource_extent
        SET max_len = (SELECT MAX(l.len) FROM resource_lengths l WHERE l.resource = resource_extent.resource)
        WHERE resource IN (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id)
          AND max_len > (SELECT MAX(l.len) FROM resource_lengths l WHERE l.resource = resource_extent.resource);
END;

CREATE TRIGGER bookings_lengths_stop AFTER UPDATE OF status ON bookings
WHEN OLD.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist') AND NEW.status IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist')
BEGIN
    UPDATE resource_lengths SET n = n - 1 WHERE (resource, len) IN
        (SELECT r.resource, r.end_s - r.start_s FROM booking_resources r WHERE r.booking_id = OLD.id);
    DELETE FROM resource_lengths WHERE n <= 0 AND resource IN (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id);
    DELETE FROM resource_extent WHERE resource IN (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id)
        AND NOT EXISTS (SELECT 1 FROM resource_lengths l WHERE l.resource = resource_extent.resource);
    UPDATE resource_extent
        SET max_len = (SELECT MAX(l.len) FROM resource_lengths l WHERE l.resource = resource_extent.resource)
        WHERE resource IN (SELECT r.resource FROM booking_resources r WHERE r.booking_id = OLD.id)
          AND max_len > (SELECT MAX(l.len) FROM resource_lengths l WHERE l.resource = resource_extent.resource);
END;

CREATE TRIGGER bookings_lengths_start AFTER UPDATE OF status ON bookings
WHEN OLD.status IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist') AND NEW.status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist')
BEGIN
    INSERT INTO resource_lengths (resource, len, n)
        SELECT r.resource, r.end_s - r.start_s, 1 FROM booking_resources r
        WHERE r.booking_id = NEW.id AND 1
        ON CONFLICT (resource, len) DO UPDATE SET n = n + 1;
    INSERT INTO resource_extent (resource, max_len)
        SELECT r.resource, r.end_s - r.start_s FROM booking_resources r
        WHERE r.booking_id = NEW.id AND 1
        ON CONFLICT (resource) DO UPDATE SET max_len = excluded.max_len
        WHERE excluded.max_len > max_len;
END;
