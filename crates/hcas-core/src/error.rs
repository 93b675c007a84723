//! One error type for the whole engine, with a stable machine code.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The stable, machine-readable reason a call failed.
///
/// Codes are part of the public contract (see `docs/vectors.md`): a code is
/// never renamed, new ones may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The RRULE text is malformed or breaks an RFC 5545 constraint.
    InvalidRrule,
    /// The time zone is not an IANA name known to the engine.
    InvalidTimezone,
    /// An instant, local date, local time or local datetime is malformed or impossible.
    InvalidDatetime,
    /// An interval whose end is not after its start.
    InvalidInterval,
    /// A duration or step that is not positive, or a negative buffer, notice or horizon.
    InvalidDuration,
    /// A query window (or the work it implies) beyond the engine's documented maximum.
    InvalidWindow,
    /// A consent resource that breaks the consent model.
    InvalidConsent,
    /// A request that is structurally malformed: a missing or unknown field, a wrong type.
    InvalidRequest,
    /// A lifecycle change that is not allowed from the current status (or not now).
    InvalidTransition,
    /// The actor's role may not make this change.
    NotPermitted,
    /// An input beyond one of the engine's documented size limits
    /// (`hcas_core::id`, `docs/limits.md`); the message names the limit.
    LimitExceeded,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [Self; 11] = [
        Self::InvalidRrule,
        Self::InvalidTimezone,
        Self::InvalidDatetime,
        Self::InvalidInterval,
        Self::InvalidDuration,
        Self::InvalidWindow,
        Self::InvalidConsent,
        Self::InvalidRequest,
        Self::InvalidTransition,
        Self::NotPermitted,
        Self::LimitExceeded,
    ];

    /// The stable string form, e.g. `"invalid_rrule"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRrule => "invalid_rrule",
            Self::InvalidTimezone => "invalid_timezone",
            Self::InvalidDatetime => "invalid_datetime",
            Self::InvalidInterval => "invalid_interval",
            Self::InvalidDuration => "invalid_duration",
            Self::InvalidWindow => "invalid_window",
            Self::InvalidConsent => "invalid_consent",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidTransition => "invalid_transition",
            Self::NotPermitted => "not_permitted",
            Self::LimitExceeded => "limit_exceeded",
        }
    }
}

/// The code named by its stable string form, e.g. `"invalid_rrule"` (as a
/// binding or a stored answer carries it).
///
/// ```
/// use hcas_core::ErrorCode;
/// assert_eq!("limit_exceeded".parse::<ErrorCode>().unwrap(), ErrorCode::LimitExceeded);
/// assert!("LimitExceeded".parse::<ErrorCode>().is_err());
/// ```
///
/// # Errors
/// `invalid_request` for a string that names no code.
impl std::str::FromStr for ErrorCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Error::request(format!("`{s}` is not an hcas error code")))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An engine error: a stable [`ErrorCode`] and a message that says what to fix.
///
/// ```
/// use hcas_core::{ErrorCode, Zone};
/// let err = Zone::parse("Mars/Olympus_Mons").unwrap_err();
/// assert_eq!(err.code(), ErrorCode::InvalidTimezone);
/// assert!(err.to_string().contains("Mars/Olympus_Mons"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    /// Build an error from a code and a message telling the caller what to fix.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The stable machine code.
    #[must_use]
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human-readable message (free text, may change between versions).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefix the message with the location of the offending field, e.g. `query.duration`.
    #[must_use]
    pub fn at(mut self, field: &str) -> Self {
        self.message = format!("{field}: {}", self.message);
        self
    }

    pub(crate) fn rrule(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRrule, message)
    }
    pub(crate) fn datetime(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidDatetime, message)
    }
    pub(crate) fn duration(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidDuration, message)
    }
    pub(crate) fn window(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidWindow, message)
    }
    pub(crate) fn request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_from_its_string_form() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>().unwrap(), code);
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{code}\""));
        }
        for bad in ["", "InvalidRrule", "invalid_rrule ", "invalid"] {
            let e = bad.parse::<ErrorCode>().unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidRequest, "{bad}");
        }
    }
}
