-- hcas-store, PostgreSQL: bookings, their resources, capacities, idempotency keys, outbox.
-- Times are Unix seconds (UTC) in bigint columns; `during` is the same interval as a
-- tstzrange for the exclusion constraint. `payload` is the full booking as JSON.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE bookings (
    id             text    PRIMARY KEY,
    start_s        bigint  NOT NULL,
    end_s          bigint  NOT NULL CHECK (end_s > start_s),
    status         text    NOT NULL,
    hold_expires_s bigint,
    version        bigint  NOT NULL DEFAULT 1,
    payload        jsonb   NOT NULL
);

-- One row per (booking, resource).
--   blocking:     the booking's status occupies the resource regardless of time
--                 (pending, booked, arrived, checked-in, fulfilled). Holds are NOT
--                 blocking here: a hold stops blocking when it expires, which a
--                 constraint cannot see; live holds are enforced by the
--                 transactional check under the per-resource advisory lock.
--   capacity_one: the resource's capacity was 1 when the row was written.
CREATE TABLE booking_resources (
    booking_id   text    NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    resource     text    NOT NULL,
    start_s      bigint  NOT NULL,
    end_s        bigint  NOT NULL,
    during       tstzrange GENERATED ALWAYS AS
                     (tstzrange(to_timestamp(start_s::double precision),
                                to_timestamp(end_s::double precision), '[)')) STORED,
    blocking     boolean NOT NULL,
    capacity_one boolean NOT NULL,
    PRIMARY KEY (booking_id, resource),
    -- Last line of defence for capacity-1 resources: no two blocking rows overlap.
    CONSTRAINT booking_resources_no_overlap
        EXCLUDE USING gist (resource WITH =, during WITH &&) WHERE (blocking AND capacity_one)
);

-- Overlap queries: `resource = ANY($1) AND start_s < :end AND end_s > :start`.
CREATE INDEX booking_resources_resource_start ON booking_resources (resource, start_s);

CREATE TABLE capacities (
    resource text    PRIMARY KEY,
    capacity integer NOT NULL CHECK (capacity >= 1)
);

CREATE TABLE idempotency (
    key        text PRIMARY KEY,
    booking_id text NOT NULL REFERENCES bookings (id)
);

CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    kind         text    NOT NULL,
    aggregate_id text    NOT NULL,
    payload      jsonb   NOT NULL,
    created_s    bigint  NOT NULL,
    sent         boolean NOT NULL DEFAULT false
);

CREATE INDEX outbox_unsent ON outbox (id) WHERE NOT sent;
