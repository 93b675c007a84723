//! Helpers shared by the SQL adapters (SQLite, PostgreSQL).

use hcas_core::{Instant, Interval};

use crate::StoreError;

/// A database error: the store is unavailable (retryable).
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// A row that does not decode: not retryable.
pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("corrupt {what} in the database: {e}"))
}

/// A value as JSON text for a payload column.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| corrupt("value", e))
}

/// The busy interval of a booking row's columns (`status`, `start_s`,
/// `end_s`, `hold_expires_s`), if it blocks at `now` (the core's rule,
/// [`hcas_core::booking::Status::blocks`]): no JSON to decode.
pub(crate) fn busy_from_columns(
    status: &str,
    start: i64,
    end: i64,
    hold_expires: Option<i64>,
    now: Instant,
) -> Result<Option<Interval>, StoreError> {
    let status = hcas_core::booking::Status::parse(status).map_err(|e| corrupt("status", e))?;
    let hold_expires = hold_expires
        .map(Instant::from_unix)
        .transpose()
        .map_err(|e| corrupt("hold_expires", e))?;
    if !status.blocks(hold_expires, now) {
        return Ok(None);
    }
    let instant = |t: i64| Instant::from_unix(t).map_err(|e| corrupt("booking interval", e));
    Interval::new(instant(start)?, instant(end)?)
        .map(Some)
        .map_err(|e| corrupt("booking interval", e))
}

/// A JSON `payload` column read back into its record.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

/// `(payload, version)` rows read back into versioned records.
pub(crate) fn stored_rows<T: serde::de::DeserializeOwned>(
    what: &str,
    rows: Vec<(String, i64)>,
) -> Result<Vec<crate::Stored<T>>, StoreError> {
    rows.into_iter()
        .map(|(payload, version)| {
            Ok(crate::Stored {
                value: decode(what, &payload)?,
                version,
            })
        })
        .collect()
}

/// `(seq, payload)` rows of the audit table.
pub(crate) fn audit_records(
    rows: Vec<(i64, String)>,
) -> Result<Vec<crate::AuditRecord>, StoreError> {
    rows.into_iter()
        .map(|(seq, payload)| {
            Ok(crate::AuditRecord {
                seq,
                event: decode("audit event", &payload)?,
            })
        })
        .collect()
}

/// `(id, kind, aggregate_id, payload, created_s)` rows of the outbox.
pub(crate) fn outbox_events(
    rows: Vec<(i64, String, String, String, i64)>,
) -> Result<Vec<crate::OutboxEvent>, StoreError> {
    rows.into_iter()
        .map(|(id, kind, aggregate_id, payload, created)| {
            Ok(crate::OutboxEvent {
                id,
                kind,
                aggregate_id,
                payload: decode("outbox event", &payload)?,
                created: Instant::from_unix(created)
                    .map_err(|e| corrupt("outbox event time", e))?,
            })
        })
        .collect()
}

/// A `LIMIT` parameter.
pub(crate) fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
