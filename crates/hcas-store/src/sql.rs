//! Helpers shared by the SQL adapters (SQLite, PostgreSQL).

use hcas_core::booking::Booking;
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

/// The busy intervals of stored booking payloads: whether a booking blocks
/// at `now` is the core's rule (statuses, live holds).
pub(crate) fn busy_from_payloads(
    payloads: impl IntoIterator<Item = String>,
    now: Instant,
) -> Result<Vec<Interval>, StoreError> {
    let mut out = Vec::new();
    for payload in payloads {
        let b: Booking = serde_json::from_str(&payload).map_err(|e| corrupt("booking", e))?;
        if b.blocks(now) {
            out.push(b.interval()?);
        }
    }
    Ok(out)
}
