-- The longest booking ever written per resource, so overlap queries can bound
-- their index range from below: a row overlapping [s, e) has start_s > s - max_len.
-- Kept by a trigger, so no insert path can forget it; it only grows.

CREATE TABLE resource_extent (
    resource TEXT    PRIMARY KEY NOT NULL,
    max_len  INTEGER NOT NULL CHECK (max_len > 0)
);

INSERT INTO resource_extent (resource, max_len)
    SELECT resource, MAX(end_s - start_s) FROM booking_resources GROUP BY resource;

CREATE TRIGGER booking_resources_extent AFTER INSERT ON booking_resources
BEGIN
    INSERT OR IGNORE INTO resource_extent (resource, max_len)
        VALUES (NEW.resource, NEW.end_s - NEW.start_s);
    UPDATE resource_extent SET max_len = NEW.end_s - NEW.start_s
        WHERE resource = NEW.resource AND max_len < NEW.end_s - NEW.start_s;
END;
