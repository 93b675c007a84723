//! Retrying: which SQLSTATEs are worth another attempt, and the loop that
//! runs one (at most [`RETRIES`] more times).

use hcas_core::Error;

use crate::StoreError;
use crate::sql::db;

use super::RETRIES;

/// Why one attempt failed: a final answer, or a retryable database error.
pub(crate) enum Fail {
    Store(StoreError),
    Retry(sqlx::Error),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// A failed attempt that may be worth running again.
pub(crate) trait Retryable {
    /// Whether the same attempt may succeed when run again.
    fn is_retry(&self) -> bool;
}

impl Retryable for Fail {
    fn is_retry(&self) -> bool {
        matches!(self, Self::Retry(_))
    }
}

/// Run `attempt` again after each retryable failure, at most [`RETRIES`]
/// more times. A retryable error at the end is the last one, for callers
/// that report something better than "retries exhausted" (the winner of a race).
pub(crate) async fn retrying<T, E, F, Fut>(mut attempt: F) -> Result<T, E>
where
    E: Retryable,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut retries = 0;
    loop {
        match attempt().await {
            Err(e) if e.is_retry() && retries < RETRIES => retries += 1,
            done => return done,
        }
    }
}

impl From<hcas_core::Error> for Fail {
    fn from(e: hcas_core::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Self {
        if is_retryable(&e) {
            Self::Retry(e)
        } else {
            Self::Store(db(e))
        }
    }
}

/// `23P01` exclusion violation, `40P01` deadlock, `40001` serialization failure.
pub(crate) fn is_retryable(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(sqlx::error::DatabaseError::code)
        .is_some_and(|c| matches!(c.as_ref(), "23P01" | "40P01" | "40001"))
}

/// Why one attempt of a series write failed: a final answer, or a reason
/// to run it again (a retryable database error, or an occurrence id or a
/// resource that changed under the attempt).
pub(super) enum SeriesFail {
    Store(StoreError),
    Retry(String),
}

impl From<StoreError> for SeriesFail {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl Retryable for SeriesFail {
    fn is_retry(&self) -> bool {
        matches!(self, Self::Retry(_))
    }
}

impl SeriesFail {
    /// The caller's answer once retries are exhausted.
    pub(super) fn exhausted(self) -> StoreError {
        match self {
            Self::Store(e) => e,
            Self::Retry(e) => StoreError::Unavailable(format!("retries exhausted: {e}")),
        }
    }
}

impl From<Error> for SeriesFail {
    fn from(e: Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<sqlx::Error> for SeriesFail {
    fn from(e: sqlx::Error) -> Self {
        if is_retryable(&e) {
            Self::Retry(e.to_string())
        } else {
            Self::Store(db(e))
        }
    }
}
