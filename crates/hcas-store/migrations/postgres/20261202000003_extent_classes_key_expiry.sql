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

-- The overlap bound shrinks. `resource_extent.max_len` was the longest booking ever
-- written on a resource; now it is the longest booking that still occupies it (a status
-- other than proposed, cancelled, noshow, entered-in-error, waitlist: the core's
-- `Status::occupies`, which a test in `sql.rs` checks against this list).
-- `resource_lengths` counts, per resource and length in seconds, the occupying booking
-- rows; triggers keep both on every insert, delete, move (`start_s`, `end_s`) and status
-- change, so no write path can forget them. The bound may be too large (a row whose
-- booking is missing stays counted) but never too small: every occupying booking row is
-- counted, so `start_s > start - max_len` finds it. Rows of non-occupying bookings longer
-- than the bound may be missed; no conflict check needs them. Writers change a resource's
-- rows under its advisory lock, so its counts change one transaction at a time.
CREATE TABLE resource_lengths (
    resource text   NOT NULL,
    len      bigint NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (resource, len)
);

CREATE FUNCTION booking_occupies(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT status NOT IN ('proposed', 'cancelled', 'noshow', 'entered-in-error', 'waitlist') $$;

-- Add `d` (+1 or -1) occupying rows of length `l` on resource `r`, and move the bound.
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
            -- The class emptied: the bound is the longest class left (none: no row).
            SELECT max(len) INTO m FROM resource_lengths WHERE resource = r;
            IF m IS NULL THEN
                DELETE FROM resource_extent WHERE resource = r;
            ELSE
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
    WHERE b.status IS NULL OR booking_occupies(b.status)
    GROUP BY r.resource, r.end_s - r.start_s;
INSERT INTO resource_extent (resource, max_len)
    SELECT resource, max(len) FROM resource_lengths GROUP BY resource;

-- A row counts when its booking occupies (or is missing: the safe side). A booking's own
-- delete is counted by `bookings_lengths_delete` (its rows go by cascade afterwards).
CREATE FUNCTION booking_resources_lengths() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    occ boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The hot path, inlined: one probe, one upsert, one probe.
        IF EXISTS (SELECT 1 FROM bookings b
                   WHERE b.id = NEW.booking_id AND NOT booking_occupies(b.status)) THEN
            RETURN NULL;
        END IF;
        INSERT INTO resource_lengths (resource, len, n)
            VALUES (NEW.resource, NEW.end_s - NEW.start_s, 1)
        ON CONFLICT (resource, len) DO UPDATE SET n = resource_lengths.n + 1;
        IF NOT EXISTS (SELECT 1 FROM resource_extent
                       WHERE resource = NEW.resource AND max_len >= NEW.end_s - NEW.start_s) THEN
            INSERT INTO resource_extent (resource, max_len)
                VALUES (NEW.resource, NEW.end_s - NEW.start_s)
            ON CONFLICT (resource) DO UPDATE
                SET max_len = GREATEST(resource_extent.max_len, EXCLUDED.max_len);
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT booking_occupies(b.status) INTO occ FROM bookings b WHERE b.id = OLD.booking_id;
        IF occ THEN
            PERFORM resource_lengths_add(OLD.resource, OLD.end_s - OLD.start_s, -1);
        END IF;
    ELSIF (OLD.resource, OLD.start_s, OLD.end_s) IS DISTINCT FROM
          (NEW.resource, NEW.start_s, NEW.end_s) THEN
        SELECT booking_occupies(b.status) INTO occ FROM bookings b WHERE b.id = NEW.booking_id;
        IF occ THEN
            PERFORM resource_lengths_add(NEW.resource, NEW.end_s - NEW.start_s, 1);
            PERFORM resource_lengths_add(OLD.resource, OLD.end_s - OLD.start_s, -1);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER booking_resources_lengths
    AFTER INSERT OR DELETE OR UPDATE OF resource, start_s, end_s ON booking_resources
    FOR EACH ROW EXECUTE FUNCTION booking_resources_lengths();

CREATE FUNCTION bookings_lengths() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
    x record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT booking_occupies(OLD.status) THEN
            RETURN OLD;
        END IF;
        FOR x IN SELECT r.resource, r.end_s - r.start_s AS len
                 FROM booking_resources r WHERE r.booking_id = OLD.id LOOP
            PERFORM resource_lengths_add(x.resource, x.len, -1);
        END LOOP;
        RETURN OLD;
    END IF;
    IF booking_occupies(OLD.status) = booking_occupies(NEW.status) THEN
        RETURN NULL;
    END IF;
    d := CASE WHEN booking_occupies(NEW.status) THEN 1 ELSE -1 END;
    FOR x IN SELECT r.resource, r.end_s - r.start_s AS len
             FROM booking_resources r WHERE r.booking_id = NEW.id LOOP
        PERFORM resource_lengths_add(x.resource, x.len, d);
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE TRIGGER bookings_lengths_delete BEFORE DELETE ON bookings
    FOR EACH ROW EXECUTE FUNCTION bookings_lengths();
CREATE TRIGGER bookings_lengths_status AFTER UPDATE OF status ON bookings
    FOR EACH ROW EXECUTE FUNCTION bookings_lengths();
