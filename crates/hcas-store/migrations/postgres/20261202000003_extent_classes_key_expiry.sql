-- Idempotency keys expire (`IDEMPOTENCY_TTL_SECONDS`, 24 h after first use, by the
-- caller's `now`): `created_s` is that first use. Keys written before this migration
-- get the `now` of their booking's `appointment.created` event (the instant the key
-- was first used), or 0 (expired) if there is none.
ALTER TABLE idempotency ADD COLUMN created_s bigint NOT NULL DEFAULT 0;
UPDATE idempotency i SET created_s = COALESCE(
    (SELECT min(o.created_s) FROM outbox o
     WHERE o.aggregate_id = i.booking_id AND o.kind = 'appointment.created'), 0);
-- Pruning takes the oldest keys first.
CREATE INDEX idempotency_created ON idempotency (created_s);

-- The overlap bound shrinks, and ordinary bookings pay for it (almost) nothing.
-- `resource_extent.max_len` was the longest booking row ever written on a resource; now it
-- is GREATEST(`short_max`, the longest *long* row that still occupies it), where
--   * a row is long when it lasts more than `EXTENT_FLOOR` seconds (24 h, the constant in
--     `hcas-store`; every use below is marked `/* EXTENT_FLOOR */` and a test checks them);
--   * `short_max` is the longest short row ever written (grow-only, whatever its status,
--     as before: one index probe and, in the common case, no write);
--   * `resource_lengths` counts, per resource and length in seconds, the long rows of
--     occupying bookings (a status other than proposed, cancelled, noshow, entered-in-error,
--     waitlist: the core's `Status::occupies`, which a test checks against the list below).
-- Triggers keep both on every insert, delete, move (`resource`, `start_s`, `end_s`) and status
-- change, so no write path can forget them; a short row, or a status change or delete of a
-- booking without long rows, never touches `resource_lengths`. The bound may be too large
-- (`short_max` never shrinks; a long row whose booking is missing stays counted) but never too
-- small: every short row is under `short_max` and every occupying long row is counted, so
-- `start_s > start - max_len` finds it. Long rows of non-occupying bookings longer than the
-- bound may be missed; no conflict check needs them. Writers change a resource's rows under
-- its advisory lock, so its counts change one transaction at a time.
CREATE TABLE resource_lengths (
    resource text   NOT NULL,
    len      bigint NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (resource, len)
);

ALTER TABLE resource_extent ADD COLUMN short_max bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT resource_extent_short_max CHECK (short_max >= 0 AND max_len >= short_max);

CREATE FUNCTION booking_occupies(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist') $$;

-- Grow-only: a short row of length `l` on resource `r` (any status).
CREATE FUNCTION resource_extent_short(r text, l bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF l > 0 AND NOT EXISTS (SELECT 1 FROM resource_extent
                             WHERE resource = r AND short_max >= l) THEN
        INSERT INTO resource_extent (resource, max_len, short_max) VALUES (r, l, l)
        ON CONFLICT (resource) DO UPDATE
            SET short_max = GREATEST(resource_extent.short_max, EXCLUDED.short_max),
                max_len = GREATEST(resource_extent.max_len, EXCLUDED.max_len);
    END IF;
END;
$$;

-- Add `d` (+1 or -1) occupying long rows of length `l` on resource `r`, and move the bound.
CREATE FUNCTION resource_lengths_add(r text, l bigint, d bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m bigint;
BEGIN
    IF d > 0 THEN
        INSERT INTO resource_lengths (resource, len, n) VALUES (r, l, d)
        ON CONFLICT (resource, len) DO UPDATE SET n = resource_lengths.n + EXCLUDED.n;
        IF NOT EXISTS (SELECT 1 FROM resource_extent WHERE resource = r AND max_len >= l) THEN
            INSERT INTO resource_extent (resource, max_len) VALUES (r, l)
            ON CONFLICT (resource) DO UPDATE
                SET max_len = GREATEST(resource_extent.max_len, EXCLUDED.max_len);
        END IF;
    ELSE
        UPDATE resource_lengths SET n = n + d WHERE resource = r AND len = l;
        DELETE FROM resource_lengths WHERE resource = r AND len = l AND n <= 0;
        IF FOUND THEN
            -- The class emptied: the bound is the longest long class left, or short_max
            -- (neither: no row).
            SELECT GREATEST(x.short_max,
                            COALESCE((SELECT max(len) FROM resource_lengths WHERE resource = r), 0))
                INTO m FROM resource_extent x WHERE x.resource = r;
            IF m = 0 THEN
                DELETE FROM resource_extent WHERE resource = r;
            ELSIF m IS NOT NULL THEN
                UPDATE resource_extent SET max_len = m WHERE resource = r AND max_len > m;
            END IF;
        END IF;
    END IF;
END;
$$;

DROP TRIGGER booking_resources_extent ON booking_resources;
DROP FUNCTION booking_resources_extent();
DELETE FROM resource_extent;
INSERT INTO resource_lengths (resource, len, n)
    SELECT r.resource, r.end_s - r.start_s, count(*)
    FROM booking_resources r LEFT JOIN bookings b ON b.id = r.booking_id
    WHERE r.end_s - r.start_s > 86400 /* EXTENT_FLOOR */
      AND (b.status IS NULL OR booking_occupies(b.status))
    GROUP BY r.resource, r.end_s - r.start_s;
INSERT INTO resource_extent (resource, max_len, short_max)
    SELECT resource, max(len), COALESCE(max(len) FILTER (WHERE short), 0)
    FROM (SELECT resource, end_s - start_s AS len, true AS short FROM booking_resources
          WHERE end_s - start_s BETWEEN 1 AND 86400 /* EXTENT_FLOOR */
          UNION ALL
          SELECT resource, len, false FROM resource_lengths) x
    GROUP BY resource;

-- Insert: a short row only raises `short_max` (the hot path: the old grow-only rule, one
-- index probe, no write unless the bound grows); a long row is counted when its booking
-- occupies (or is missing: the safe side). The WHEN clauses pick the function.
CREATE FUNCTION booking_resources_short() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM resource_extent
                   WHERE resource = NEW.resource AND short_max >= NEW.end_s - NEW.start_s) THEN
        PERFORM resource_extent_short(NEW.resource, NEW.end_s - NEW.start_s);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION booking_resources_long() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM bookings b
                   WHERE b.id = NEW.booking_id AND NOT booking_occupies(b.status)) THEN
        PERFORM resource_lengths_add(NEW.resource, NEW.end_s - NEW.start_s, 1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER booking_resources_short AFTER INSERT ON booking_resources
    FOR EACH ROW WHEN (NEW.end_s - NEW.start_s BETWEEN 1 AND 86400 /* EXTENT_FLOOR */)
    EXECUTE FUNCTION booking_resources_short();
CREATE TRIGGER booking_resources_long AFTER INSERT ON booking_resources
    FOR EACH ROW WHEN (NEW.end_s - NEW.start_s > 86400 /* EXTENT_FLOOR */)
    EXECUTE FUNCTION booking_resources_long();

-- Delete or move of a row (a booking's own delete is counted by `bookings_lengths_delete`;
-- its rows go by cascade afterwards, when the booking is gone and they count no more).
CREATE FUNCTION booking_resources_lengths() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    occ boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT booking_occupies(b.status) INTO occ FROM bookings b WHERE b.id = OLD.booking_id;
        IF occ THEN
            PERFORM resource_lengths_add(OLD.resource, OLD.end_s - OLD.start_s, -1);
        END IF;
        RETURN NULL;
    END IF;
    IF NEW.end_s - NEW.start_s <= 86400 /* EXTENT_FLOOR */ THEN
        PERFORM resource_extent_short(NEW.resource, NEW.end_s - NEW.start_s);
    END IF;
    IF NEW.end_s - NEW.start_s > 86400 /* EXTENT_FLOOR */
       OR OLD.end_s - OLD.start_s > 86400 /* EXTENT_FLOOR */ THEN
        SELECT booking_occupies(b.status) INTO occ FROM bookings b WHERE b.id = NEW.booking_id;
        IF occ THEN
            IF NEW.end_s - NEW.start_s > 86400 /* EXTENT_FLOOR */ THEN
                PERFORM resource_lengths_add(NEW.resource, NEW.end_s - NEW.start_s, 1);
            END IF;
            IF OLD.end_s - OLD.start_s > 86400 /* EXTENT_FLOOR */ THEN
                PERFORM resource_lengths_add(OLD.resource, OLD.end_s - OLD.start_s, -1);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER booking_resources_lengths_delete AFTER DELETE ON booking_resources
    FOR EACH ROW WHEN (OLD.end_s - OLD.start_s > 86400 /* EXTENT_FLOOR */)
    EXECUTE FUNCTION booking_resources_lengths();
-- A move that keeps the resource and the length (re-anchoring) changes nothing.
CREATE TRIGGER booking_resources_lengths_move
    AFTER UPDATE OF resource, start_s, end_s ON booking_resources
    FOR EACH ROW WHEN (OLD.resource IS DISTINCT FROM NEW.resource
                       OR OLD.end_s - OLD.start_s IS DISTINCT FROM NEW.end_s - NEW.start_s)
    EXECUTE FUNCTION booking_resources_lengths();

-- A booking that starts or stops occupying, or is deleted while occupying: only its long
-- rows are visited (none for an ordinary booking: one index probe, nothing counted).
CREATE FUNCTION bookings_lengths() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
    x record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        FOR x IN SELECT r.resource, r.end_s - r.start_s AS len
                 FROM booking_resources r
                 WHERE r.booking_id = OLD.id AND r.end_s - r.start_s > 86400 /* EXTENT_FLOOR */
        LOOP
            PERFORM resource_lengths_add(x.resource, x.len, -1);
        END LOOP;
        RETURN OLD;
    END IF;
    d := CASE WHEN booking_occupies(NEW.status) THEN 1 ELSE -1 END;
    FOR x IN SELECT r.resource, r.end_s - r.start_s AS len
             FROM booking_resources r
             WHERE r.booking_id = NEW.id AND r.end_s - r.start_s > 86400 /* EXTENT_FLOOR */
    LOOP
        PERFORM resource_lengths_add(x.resource, x.len, d);
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE TRIGGER bookings_lengths_delete BEFORE DELETE ON bookings
    FOR EACH ROW WHEN (booking_occupies(OLD.status))
    EXECUTE FUNCTION bookings_lengths();
CREATE TRIGGER bookings_lengths_status AFTER UPDATE OF status ON bookings
    FOR EACH ROW WHEN (booking_occupies(OLD.status) IS DISTINCT FROM booking_occupies(NEW.status))
    EXECUTE FUNCTION bookings_lengths();
