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
    if !status.blocks(hold_expires.map(Instant::from_unix), now) {
        return Ok(None);
    }
    Interval::new(Instant::from_unix(start), Instant::from_unix(end))
        .map(Some)
        .map_err(|e| corrupt("booking interval", e))
}
