-- Webhooks (`WebhookStore`): subscriptions, the delivery queue (one row per
-- subscription and event, unique on the pair so enqueuing twice is harmless)
-- and the log of every attempt. Times are Unix milliseconds.
CREATE TABLE webhook_subscriptions (
    id         TEXT    NOT NULL PRIMARY KEY,
    url        TEXT    NOT NULL,
    events     TEXT    NOT NULL, -- a JSON array of event types
    secret     TEXT    NOT NULL, -- the HMAC key, never returned by the API after creation
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_s  INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id TEXT    NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    created_ms      INTEGER NOT NULL,
    UNIQUE (subscription_id, event_id)
);
-- The claim: due pending rows, and the earlier pending rows of the same appointment.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (subscription_id, aggregate_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (subscription_id, created_ms, seq);

CREATE TABLE webhook_attempts (
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    http_status INTEGER,
    error       TEXT,
    status      TEXT    NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, at_ms);
