//! Instants, minutes and days as JavaScript passes them, and instants as
//! the packages answer them.
//!
//! An instant arrives as epoch milliseconds (a number; sub-seconds are
//! truncated to the second, towards the past, as the engine keeps whole
//! seconds) or as an ISO 8601 instant string; instants go back as ISO
//! strings in UTC, one per line in one string, or as epoch milliseconds.

use hcas_core::{Error, ErrorCode, Minutes, Result, Timestamp};

/// The first and last epoch milliseconds whose whole second is in the
/// engine's range (the years 0001-9999), bounds JS numbers are exact in.
pub const MS_RANGE: std::ops::RangeInclusive<f64> = -62_135_596_800_000.0..=253_402_300_799_999.0;

/// An instant given as epoch milliseconds, named `name`.
pub fn instant_ms(ms: f64, name: &str) -> Result<Timestamp> {
    if !MS_RANGE.contains(&ms) {
        return Err(Error::new(
            ErrorCode::InvalidDatetime,
            format!("{name}: {ms} epoch milliseconds is not an instant in the years 0001-9999"),
        ));
    }
    // In range, so the whole seconds fit an i64 exactly.
    #[allow(clippy::cast_possible_truncation)]
    let secs = (ms / 1000.0).floor() as i64;
    Timestamp::from_unix(secs).map_err(|e| e.at(name))
}

/// An instant given as an ISO 8601 string, named `name`.
pub fn instant_text(text: &str, name: &str) -> Result<Timestamp> {
    Timestamp::parse(text).map_err(|e| e.at(name))
}

/// Whole minutes named `name`: a fraction or a non-finite number is
/// `invalid_duration` (the engine's checks of sign and size come later).
pub fn minutes(v: f64, name: &str) -> Result<Minutes> {
    Ok(Minutes::new(whole(v, name, "minutes")?))
}

/// Whole days named `name`: as [`minutes`], `invalid_duration` otherwise.
pub fn days(v: f64, name: &str) -> Result<i64> {
    whole(v, name, "days")
}

/// `v` as a whole number of `unit`.
fn whole(v: f64, name: &str, unit: &str) -> Result<i64> {
    if !v.is_finite() || v.fract() != 0.0 || v.abs() >= 1e15 {
        return Err(Error::new(
            ErrorCode::InvalidDuration,
            format!("{name}: {v} is not a whole number of {unit}"),
        ));
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(v as i64)
}

/// Whole minutes as a JS number (the values answered are far below 2^53).
#[allow(clippy::cast_precision_loss)]
pub fn number(m: Minutes) -> f64 {
    m.get() as f64
}

/// Instants as ISO strings in UTC, one per line in a single string (the
/// wrapper splits it): one JS string for the lot costs far less than a JS
/// string per item.
pub fn iso(items: &[Timestamp]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(items.len() * 21);
    for (i, t) in items.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{t}");
    }
    out
}

/// Instants as epoch milliseconds; whole seconds of the years 0001-9999 are
/// exact in an f64.
#[allow(clippy::cast_precision_loss)]
pub fn epoch_ms(items: &[Timestamp]) -> Vec<f64> {
    items.iter().map(|t| t.unix() as f64 * 1000.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T>(r: Result<T>) -> Option<ErrorCode> {
        r.err().map(|e| e.code())
    }

    #[test]
    fn milliseconds_are_truncated_towards_the_past() -> Result<()> {
        // 2026-03-07T10:00:00Z is 1_772_877_600 s after the epoch
        // (20_519 days * 86_400 + 10 * 3_600).
        assert_eq!(instant_ms(1_772_877_600_999.0, "at")?.unix(), 1_772_877_600);
        // Half a second before the epoch is the second before it.
        assert_eq!(instant_ms(-500.0, "at")?.unix(), -1);
        assert_eq!(instant_ms(0.0, "at")?.to_string(), "1970-01-01T00:00:00Z");
        Ok(())
    }

    #[test]
    fn milliseconds_outside_0001_to_9999_are_refused() {
        assert_eq!(
            code(instant_ms(f64::NAN, "at")),
            Some(ErrorCode::InvalidDatetime)
        );
        assert_eq!(
            code(instant_ms(253_402_300_800_000.0, "at")),
            Some(ErrorCode::InvalidDatetime)
        );
        let e = instant_ms(f64::INFINITY, "now").err();
        assert!(e.is_some_and(|e| e.message().starts_with("now: inf epoch milliseconds")));
    }

    #[test]
    fn iso_text_is_parsed_and_named() -> Result<()> {
        assert_eq!(instant_text("1970-01-01T00:01:00Z", "at")?.unix(), 60);
        let e = instant_text("yesterday", "start").err();
        assert_eq!(
            e.as_ref().map(Error::code),
            Some(ErrorCode::InvalidDatetime)
        );
        assert!(e.is_some_and(|e| e.message().starts_with("start")));
        Ok(())
    }

    #[test]
    fn minutes_and_days_must_be_whole() -> Result<()> {
        assert_eq!(minutes(30.0, "duration")?.get(), 30);
        assert_eq!(minutes(-15.0, "duration")?.get(), -15);
        assert_eq!(days(-2.0, "edit.shift.days")?, -2);
        let e = minutes(1.5, "duration").err();
        assert_eq!(
            e.as_ref().map(Error::code),
            Some(ErrorCode::InvalidDuration)
        );
        assert_eq!(
            e.map(|e| e.message().to_string()).as_deref(),
            Some("duration: 1.5 is not a whole number of minutes")
        );
        assert_eq!(
            days(f64::NAN, "d")
                .err()
                .map(|e| e.message().to_string())
                .as_deref(),
            Some("d: NaN is not a whole number of days")
        );
        assert_eq!(code(minutes(1e15, "m")), Some(ErrorCode::InvalidDuration));
        Ok(())
    }

    #[test]
    fn instants_go_back_one_per_line_or_as_milliseconds() -> Result<()> {
        let a = Timestamp::from_unix(0)?;
        let b = Timestamp::from_unix(90)?;
        assert_eq!(iso(&[a, b]), "1970-01-01T00:00:00Z\n1970-01-01T00:01:30Z");
        assert_eq!(iso(&[]), "");
        assert_eq!(epoch_ms(&[a, b]), vec![0.0, 90_000.0]);
        assert_eq!(number(Minutes::new(1440)), 1440.0);
        Ok(())
    }
}
