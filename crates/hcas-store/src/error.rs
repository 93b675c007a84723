//! [`StoreError`]: why a store call failed, with a stable code and whether a
//! retry may help; and how the SQL adapters classify database errors.

use hcas_core::booking::Conflict;

/// Why a store call failed; [`StoreError::code`] is stable and
/// [`StoreError::is_retryable`] says whether the same call may succeed later.
/// The store knows no HTTP: mapping these to statuses is the server's job
/// (`docs/storage.md` lists the mapping the reference server uses).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such record.
    #[error("{what} {id} not found")]
    NotFound {
        /// The kind of record (`booking`, ...).
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// Not booked: these resources are taken, by these bookings.
    #[error("conflict: {}", describe(conflicts))]
    Conflict {
        /// Every conflicting resource with every blocking booking on it, as the core reports them.
        conflicts: Vec<Conflict>,
    },
    /// A record with this id exists already (a create with no expected version).
    #[error("{what} {id} already exists")]
    AlreadyExists {
        /// The kind of record (`patient`, ...).
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// An optimistic-concurrency check failed: someone changed the record first.
    #[error("{id}: expected version {expected}, found {found}")]
    VersionMismatch {
        /// The record's id.
        id: String,
        /// The version the caller read.
        expected: i64,
        /// The version in the store.
        found: i64,
    },
    /// The database could not be reached or is busy; retrying may succeed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Bad input, with the core's stable error code.
    #[error(transparent)]
    Invalid(#[from] hcas_core::Error),
    /// The store holds data it cannot read (a corrupt row) or broke an
    /// invariant of its own; retrying does not help. Never caused by input.
    #[error("internal store error: {0}")]
    Internal(String),
    /// Stored ciphertext or a wrapped data key failed authentication: it was
    /// altered, truncated, reordered or belongs to another document. Nothing
    /// of the plaintext is returned with it; retrying does not help. Loud on
    /// purpose: it means tampering or corruption of the document storage.
    #[error("integrity failure: {0}")]
    Integrity(String),
    /// A key-encryption key is not available: its version was retired (or is
    /// missing from the key file), or the key file cannot be used. The message
    /// says which key id and what to fix; it never contains key material.
    #[error("key unavailable: {0}")]
    KeyUnavailable(String),
}

fn describe(conflicts: &[Conflict]) -> String {
    conflicts
        .iter()
        .map(|c| format!("{} taken by {}", c.resource, c.with.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

impl StoreError {
    /// The stable code: `not_found`, `conflict`, `already_exists`, `version_mismatch`,
    /// `unavailable`, `invalid`, `internal`, `integrity` or `key_unavailable`
    /// (the core's own code is [`StoreError::core_code`]).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::AlreadyExists { .. } => "already_exists",
            Self::VersionMismatch { .. } => "version_mismatch",
            Self::Unavailable(_) => "unavailable",
            Self::Invalid(_) => "invalid",
            Self::Internal(_) => "internal",
            Self::Integrity(_) => "integrity",
            Self::KeyUnavailable(_) => "key_unavailable",
        }
    }

    /// For [`StoreError::Invalid`], the core's stable code (`invalid_request`, ...).
    #[must_use]
    pub fn core_code(&self) -> Option<hcas_core::ErrorCode> {
        match self {
            Self::Invalid(e) => Some(e.code()),
            _ => None,
        }
    }

    /// Whether the same call may succeed when retried unchanged.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// How the SQL adapters answer a database error, by its cause: a lost or
/// unobtainable connection, a serialization failure (`40001`), a deadlock
/// (`40P01`), a lock or statement timeout (`55P03`, `57014` from a timeout)
/// and SQLite busy/locked are [`StoreError::Unavailable`] (retryable); data
/// the database refused (PostgreSQL classes `22`, `23`, `54`; SQLite
/// constraint, too big, mismatch, range) is [`StoreError::Invalid`] with the
/// code `invalid_request` and a message naming the problem, the code and the
/// constraint, never the values; anything else is [`StoreError::Internal`].
/// See `docs/storage.md`, "Errors".
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[must_use]
pub fn sql_error(e: sqlx::Error) -> StoreError {
    crate::sql::classify(e)
}
