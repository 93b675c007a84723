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
