//! One rule for ids and resource names, one for free text, and the engine's
//! size limits (issue 9): every adapter and front door goes through these, so
//! they all accept and refuse the same values. Table in `docs/limits.md`.
//!
//! * **Id** (booking, series, waitlist entry, consent, patient, provider,
//!   record, audit): the FHIR `id` rule, 1 to [`MAX_ID_LEN`] characters of
//!   `A-Z a-z 0-9 . -`, so every id exports to FHIR unchanged.
//! * **Resource name**: `kind:id`, with `kind` 1 to [`MAX_KIND_LEN`]
//!   characters of `a-z 0-9 -` starting with a letter (`provider:dr-smith`,
//!   `patient:X1`, `room:R2`), or a bare id.
//! * **Free text** (reasons, names, codes): no control characters except tab
//!   and line feed (NUL included), at most [`MAX_TEXT_LEN`] bytes.
//!
//! ```
//! use hcas_core::id::{check_id, check_resource};
//! assert!(check_id("id", "appt-2026.05.04").is_ok());
//! assert!(check_id("id", "S@20260505T100000").is_err());
//! assert!(check_resource("resources[0]", "provider:dr-smith").is_ok());
//! assert!(check_resource("resources[0]", "provider:dr smith").is_err());
//! ```

use crate::error::{Error, ErrorCode, Result};

/// Longest id: 64 characters (FHIR's `id`).
pub const MAX_ID_LEN: usize = 64;
/// Longest `kind` of a resource name (`provider`, `patient`, `room`, ...).
pub const MAX_KIND_LEN: usize = 32;
/// Longest free-text value (a reason, a name, a code), in bytes.
pub const MAX_TEXT_LEN: usize = 4096;

/// Most resources one booking or request may use.
pub const MAX_RESOURCES: usize = 64;
/// Most working rules one availability (schedule) may have.
pub const MAX_RULES: usize = 1_000;
/// Most date overrides one availability (schedule) may have.
pub const MAX_OVERRIDES: usize = 10_000;
/// Most busy intervals one slot query may carry.
pub const MAX_BUSY: usize = 100_000;
/// Most RDATEs, and most EXDATEs, one recurrence may have.
pub const MAX_RECURRENCE_DATES: usize = 10_000;
/// Most (start, provider) pairs a pooled answer may hold; checked while the
/// answer is built, so a query that would exceed it fails before it allocates
/// more than one provider's slots beyond it.
pub const MAX_POOLED_ENTRIES: usize = 5_000_000;

/// Whether `value` is an id: 1..=64 characters of `A-Z a-z 0-9 . -`.
#[must_use]
pub fn is_id(value: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// Check an id (see the module docs).
///
/// # Errors
/// `invalid_request` naming `field` and the rule.
pub fn check_id(field: &str, value: &str) -> Result<()> {
    if is_id(value) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidRequest,
            format!(
                "{field}: `{}` is not an id: use 1 to {MAX_ID_LEN} characters of A-Z a-z 0-9 . - (the FHIR id rule)",
                shown(value)
            ),
        ))
    }
}

/// Whether `value` is a resource name: `kind:id` or a bare id.
#[must_use]
pub fn is_resource(value: &str) -> bool {
    match value.split_once(':') {
        None => is_id(value),
        Some((kind, id)) => {
            let k = kind.as_bytes();
            (1..=MAX_KIND_LEN).contains(&k.len())
                && k[0].is_ascii_lowercase()
                && k.iter()
                    .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && is_id(id)
        }
    }
}

/// Check a resource name (see the module docs).
///
/// # Errors
/// `invalid_request` naming `field` and the rule.
pub fn check_resource(field: &str, value: &str) -> Result<()> {
    if is_resource(value) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidRequest,
            format!(
                "{field}: `{}` is not a resource name: use kind:id (kind 1 to {MAX_KIND_LEN} of a-z 0-9 -, \
                 starting with a letter; id 1 to {MAX_ID_LEN} of A-Z a-z 0-9 . -), e.g. provider:dr-smith",
                shown(value)
            ),
        ))
    }
}

/// Check a list of resource names: at most [`MAX_RESOURCES`], each valid.
///
/// # Errors
/// `limit_exceeded` for too many, `invalid_request` for a bad name.
pub fn check_resources(field: &str, values: &[String]) -> Result<()> {
    check_count(field, values.len(), "MAX_RESOURCES", MAX_RESOURCES)?;
    for (i, r) in values.iter().enumerate() {
        check_resource(&format!("{field}[{i}]"), r)?;
    }
    Ok(())
}

/// Check free text: no control characters but tab and line feed, at most
/// [`MAX_TEXT_LEN`] bytes.
///
/// # Errors
/// `invalid_request` naming `field`.
pub fn check_text(field: &str, value: &str) -> Result<()> {
    if let Some(c) = value
        .chars()
        .find(|&c| c.is_control() && c != '\t' && c != '\n')
    {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            format!(
                "{field}: control character U+{:04X} is not allowed in text",
                u32::from(c)
            ),
        ));
    }
    if value.len() > MAX_TEXT_LEN {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!(
                "{field}: text of {} bytes is longer than MAX_TEXT_LEN = {MAX_TEXT_LEN}",
                value.len()
            ),
        ));
    }
    Ok(())
}

/// `count` against a named limit.
///
/// # Errors
/// `limit_exceeded` naming `field`, the limit and its value.
pub fn check_count(field: &str, count: usize, name: &str, max: usize) -> Result<()> {
    if count > max {
        Err(Error::new(
            ErrorCode::LimitExceeded,
            format!("{field}: {count} entries is more than {name} = {max}"),
        ))
    } else {
        Ok(())
    }
}

/// A value for an error message: at most 80 characters, controls escaped.
fn shown(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(80)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().count() > 80 {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_fhir_rule() {
        for ok in ["a", "A-1.b", "S.20260505T100000", &"x".repeat(64)] {
            assert!(is_id(ok), "{ok}");
        }
        for bad in [
            "",
            "a_b",
            "S@20260505T100000",
            "a b",
            "é",
            "a\0",
            &"x".repeat(65),
        ] {
            let e = check_id("booking.id", bad).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidRequest, "{bad}");
            assert!(e.message().starts_with("booking.id: "), "{e}");
        }
    }

    #[test]
    fn resource_names_are_kind_colon_id_or_an_id() {
        for ok in ["provider:P1", "patient:X-1.2", "room:R2", "P1", "a0-b:x"] {
            assert!(is_resource(ok), "{ok}");
        }
        for bad in [
            "",
            ":x",
            "provider:",
            "Provider:P1",
            "1room:x",
            "provider:a:b",
            "provider:a b",
            "provider:\0",
            &format!("{}:x", "k".repeat(33)),
        ] {
            assert!(check_resource("r", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_refuses_control_characters_and_names_the_limit() {
        assert!(check_text("reason", "patient called\n\tback").is_ok());
        for bad in ["a\0b", "\u{7}", "x\r", "\u{85}"] {
            let e = check_text("reason", bad).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidRequest, "{bad:?}");
        }
        let e = check_text("reason", &"x".repeat(MAX_TEXT_LEN + 1)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::LimitExceeded);
        assert!(e.message().contains("MAX_TEXT_LEN = 4096"), "{e}");
        let many: Vec<String> = (0..=MAX_RESOURCES).map(|i| format!("room:r{i}")).collect();
        let e = check_resources("resources", &many).unwrap_err();
        assert_eq!(e.code(), ErrorCode::LimitExceeded);
        assert!(e.message().contains("MAX_RESOURCES = 64"), "{e}");
    }
}
