-- The longest booking ever written per resource, so overlap queries can bound
-- their index range from below: a row overlapping [s, e) has start_s > s - max_len.
-- Kept by a trigger, so no insert path can forget it; it only grows. Rows and
-- the bound commit together, so a reader sees both or neither.

CREATE TABLE resource_extent (
    resource text   PRIMARY KEY,
    max_len  bigint NOT NULL CHECK (max_len > 0)
);

INSERT INTO resource_extent (resource, max_len)
    SELECT resource, max(end_s - start_s) FROM booking_resources GROUP BY resource;

CREATE FUNCTION booking_resources_extent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most rows are no longer than the stored bound: one index probe, no write.
    IF NOT EXISTS (SELECT 1 FROM resource_extent
                   WHERE resource = NEW.resource AND max_len >= NEW.end_s - NEW.start_s) THEN
        INSERT INTO resource_extent (resource, max_len)
            VALUES (NEW.resource, NEW.end_s - NEW.start_s)
        ON CONFLICT (resource) DO UPDATE
            SET max_len = GREATEST(resource_extent.max_len, EXCLUDED.max_len);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER booking_resources_extent AFTER INSERT ON booking_resources
    FOR EACH ROW EXECUTE FUNCTION booking_resources_extent();
