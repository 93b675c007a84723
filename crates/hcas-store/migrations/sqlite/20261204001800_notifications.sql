-- Notifications (`NotificationStore`): the queue of messages to patients, one
-- row per event, channel and recipient (unique on the three, so enqueuing an
-- event twice sends it once), which is also the delivery log per appointment.
-- The payload is the event (ids and times); no names, addresses or message
-- text are stored. Times are Unix milliseconds.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
    recipient       TEXT    NOT NULL,
    appointment_id  TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_error      TEXT,
    created_ms      INTEGER NOT NULL,
    sent_ms         INTEGER,
    UNIQUE (event_id, channel, recipient)
);
-- The claim: due pending rows, and the earlier pending rows of the same appointment.
CREATE INDEX notifications_due ON notifications (next_attempt_ms) WHERE status = 'pending';
CREATE INDEX notifications_order ON notifications (appointment_id, channel, recipient, seq) WHERE status = 'pending';
-- The delivery log of an appointment.
CREATE INDEX notifications_appointment ON notifications (appointment_id, seq, id);
