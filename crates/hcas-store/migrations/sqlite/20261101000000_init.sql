-- hcas-store, SQLite: bookings, their resources, capacities, idempotency keys, outbox.
-- Times are Unix seconds (UTC). `payload` is the full booking as JSON; the
-- columns beside it mirror what queries filter on.

CREATE TABLE bookings (
    id             TEXT    PRIMARY KEY NOT NULL,
    start_s        INTEGER NOT NULL,
    end_s          INTEGER NOT NULL CHECK (end_s > start_s),
    status         TEXT    NOT NULL,
    hold_expires_s INTEGER,
    version        INTEGER NOT NULL DEFAULT 1,
    payload        TEXT    NOT NULL CHECK (json_valid(payload))
);

CREATE TABLE booking_resources (
    booking_id TEXT    NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    resource   TEXT    NOT NULL,
    start_s    INTEGER NOT NULL,
    end_s      INTEGER NOT NULL,
    PRIMARY KEY (booking_id, resource)
);

-- Overlap queries: `resource = ? AND start_s < :end AND end_s > :start`.
CREATE INDEX booking_resources_resource_start ON booking_resources (resource, start_s);

CREATE TABLE capacities (
    resource TEXT    PRIMARY KEY NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity >= 1)
);

CREATE TABLE idempotency (
    key        TEXT PRIMARY KEY NOT NULL,
    booking_id TEXT NOT NULL REFERENCES bookings (id)
);

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    aggregate_id TEXT    NOT NULL,
    payload      TEXT    NOT NULL CHECK (json_valid(payload)),
    created_s    INTEGER NOT NULL,
    sent         INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX outbox_unsent ON outbox (id) WHERE sent = 0;
