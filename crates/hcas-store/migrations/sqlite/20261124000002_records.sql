-- hcas-store, SQLite: the ports besides bookings. Every record is its JSON `payload`
-- (the Rust type, serde) plus the columns its queries filter and sort on.
-- Versions: 1 on creation, +1 per change (optimistic concurrency).

CREATE TABLE patients (
    id      TEXT    PRIMARY KEY,
    version INTEGER NOT NULL,
    payload TEXT    NOT NULL
);

CREATE TABLE providers (
    id      TEXT    PRIMARY KEY,
    version INTEGER NOT NULL,
    payload TEXT    NOT NULL
);

-- One schedule per provider: rules, overrides, time off (records::Schedule).
CREATE TABLE schedules (
    provider_id TEXT    PRIMARY KEY REFERENCES providers (id),
    version     INTEGER NOT NULL,
    payload     TEXT    NOT NULL
);

-- Waitlist entries (hcas_core::waitlist::WaitEntry), served by (created, id).
CREATE TABLE waitlist (
    id           TEXT    PRIMARY KEY,
    provider     TEXT    NOT NULL,
    created_s    INTEGER NOT NULL,
    window_end_s INTEGER NOT NULL,
    payload      TEXT    NOT NULL
);
CREATE INDEX waitlist_serving ON waitlist (provider, created_s, id);

-- Consents (hcas_core::consent::Consent), read per patient.
CREATE TABLE consents (
    id      TEXT    PRIMARY KEY,
    patient TEXT    NOT NULL,
    version INTEGER NOT NULL,
    payload TEXT    NOT NULL
);
CREATE INDEX consents_patient ON consents (patient, id);

-- Medical-record metadata (records::RecordMeta), listed per patient by creation.
CREATE TABLE records (
    id        TEXT    PRIMARY KEY,
    patient   TEXT    NOT NULL,
    category  TEXT    NOT NULL,
    created_s INTEGER NOT NULL,
    version   INTEGER NOT NULL,
    payload   TEXT    NOT NULL
);
CREATE INDEX records_patient ON records (patient, created_s, id);

-- The audit trail (records::AuditEvent): append-only, enforced by triggers.
CREATE TABLE audit (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at_s    INTEGER NOT NULL,
    patient TEXT,
    payload TEXT    NOT NULL
);
CREATE INDEX audit_patient ON audit (patient, at_s);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

-- A series' occurrences; queries must use this exact expression.
CREATE INDEX bookings_series ON bookings (json_extract(payload, '$.series.id'))
    WHERE json_extract(payload, '$.series.id') IS NOT NULL;

-- A booking's history is its outbox events, in id order.
CREATE INDEX outbox_aggregate ON outbox (aggregate_id, id);
