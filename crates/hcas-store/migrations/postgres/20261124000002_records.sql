-- hcas-store, PostgreSQL: the ports besides bookings. Every record is its JSON `payload`
-- (the Rust type, serde) plus the columns its queries filter and sort on.
-- Versions: 1 on creation, +1 per change (optimistic concurrency).

CREATE TABLE patients (
    id      text   PRIMARY KEY,
    version bigint NOT NULL,
    payload jsonb  NOT NULL
);

CREATE TABLE providers (
    id      text   PRIMARY KEY,
    version bigint NOT NULL,
    payload jsonb  NOT NULL
);

-- One schedule per provider: rules, overrides, time off (records::Schedule).
CREATE TABLE schedules (
    provider_id text   PRIMARY KEY REFERENCES providers (id),
    version     bigint NOT NULL,
    payload     jsonb  NOT NULL
);

-- Ids that lists are sorted by are `COLLATE "C"`: byte order, as Rust sorts
-- strings, whatever the database's default collation.

-- Waitlist entries (hcas_core::waitlist::WaitEntry), served by (created, id).
CREATE TABLE waitlist (
    id           text   COLLATE "C" PRIMARY KEY,
    provider     text   NOT NULL,
    created_s    bigint NOT NULL,
    window_end_s bigint NOT NULL,
    payload      jsonb  NOT NULL
);
CREATE INDEX waitlist_serving ON waitlist (provider, created_s, id);

-- Consents (hcas_core::consent::Consent), read per patient.
CREATE TABLE consents (
    id      text   COLLATE "C" PRIMARY KEY,
    patient text   NOT NULL,
    version bigint NOT NULL,
    payload jsonb  NOT NULL
);
CREATE INDEX consents_patient ON consents (patient, id);

-- Medical-record metadata (records::RecordMeta), listed per patient by creation.
CREATE TABLE records (
    id        text   COLLATE "C" PRIMARY KEY,
    patient   text   NOT NULL,
    category  text   NOT NULL,
    created_s bigint NOT NULL,
    version   bigint NOT NULL,
    payload   jsonb  NOT NULL
);
CREATE INDEX records_patient ON records (patient, created_s, id);

-- The audit trail (records::AuditEvent): append-only, enforced by a trigger.
CREATE TABLE audit (
    seq     bigserial PRIMARY KEY,
    at_s    bigint    NOT NULL,
    patient text,
    payload jsonb     NOT NULL
);
CREATE INDEX audit_patient ON audit (patient, at_s);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit is append-only';
END;
$$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- A series' occurrences; queries must use this exact expression.
CREATE INDEX bookings_series ON bookings ((payload -> 'series' ->> 'id'))
    WHERE (payload -> 'series' ->> 'id') IS NOT NULL;

-- A booking's history is its outbox events, in id order.
CREATE INDEX outbox_aggregate ON outbox (aggregate_id, id);
