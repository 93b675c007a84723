//! The named options of the [`Ledger`](super::Ledger)'s operations, so a call
//! reads as what it asks (`BookOptions::at(now).idempotency_key(key)`) and an
//! option can be added later without breaking callers.

use super::Booking;
use crate::error::{Error, Result};
use crate::time::{Minutes, Timestamp};

/// How to [`Ledger::book`](super::Ledger::book): at which instant, and under
/// which idempotency key (none by default).
///
/// ```
/// use hcas_core::booking::BookOptions;
/// let now = "2026-05-04T08:00:00Z".parse().unwrap();
/// let opts = BookOptions::at(now).idempotency_key("req-42");
/// assert_eq!((opts.now, opts.idempotency_key), (now, Some("req-42")));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BookOptions<'a> {
    /// The current instant: decides which holds still block, and when an
    /// idempotency key was first used.
    pub now: Timestamp,
    /// A key seen before (within [`IDEMPOTENCY_TTL`](super::IDEMPOTENCY_TTL))
    /// returns the booking it created instead of a second one.
    pub idempotency_key: Option<&'a str>,
}

impl<'a> BookOptions<'a> {
    /// Book at `now`, without an idempotency key.
    #[must_use]
    pub const fn at(now: Timestamp) -> Self {
        Self {
            now,
            idempotency_key: None,
        }
    }

    /// These options with the idempotency key `key` (a `&str`, or an
    /// `Option<&str>` where `None` means no key).
    #[must_use]
    pub fn idempotency_key(mut self, key: impl Into<Option<&'a str>>) -> Self {
        self.idempotency_key = key.into();
        self
    }
}

/// How to [`Ledger::check_with`](super::Ledger::check_with): at which
/// instant, ignoring which booking, and counting which extra bookings.
///
/// ```
/// use hcas_core::booking::CheckOptions;
/// let now = "2026-05-04T08:00:00Z".parse().unwrap();
/// let opts = CheckOptions::at(now).exclude("a1");
/// assert_eq!(opts.exclude, Some("a1"));
/// assert!(opts.extra.is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckOptions<'a> {
    /// The current instant: decides which holds still block.
    pub now: Timestamp,
    /// A booking to ignore (a hold being confirmed, a booking being moved).
    pub exclude: Option<&'a str>,
    /// Bookings to count as if they were in the ledger (a series' own
    /// earlier occurrences).
    pub extra: &'a [Booking],
}

impl<'a> CheckOptions<'a> {
    /// Check at `now`, against the ledger as it is.
    #[must_use]
    pub const fn at(now: Timestamp) -> Self {
        Self {
            now,
            exclude: None,
            extra: &[],
        }
    }

    /// These options ignoring the booking `id`.
    #[must_use]
    pub const fn exclude(mut self, id: &'a str) -> Self {
        self.exclude = Some(id);
        self
    }

    /// These options counting `bookings` as if they were in the ledger.
    #[must_use]
    pub const fn extra(mut self, bookings: &'a [Booking]) -> Self {
        self.extra = bookings;
        self
    }
}

/// How to [`Ledger::hold`](super::Ledger::hold): placed at `now`, lapsing at
/// `expires` (after `now`).
///
/// ```
/// use hcas_core::booking::HoldOptions;
/// use hcas_core::Minutes;
/// let now = "2026-05-04T08:00:00Z".parse().unwrap();
/// let opts = HoldOptions::lasting(now, Minutes::new(15)).unwrap();
/// assert_eq!(opts.expires.to_string(), "2026-05-04T08:15:00Z");
/// assert_eq!(opts, HoldOptions::new(now, "2026-05-04T08:15:00Z".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HoldOptions {
    /// The current instant.
    pub now: Timestamp,
    /// When the hold lapses.
    pub expires: Timestamp,
}

impl HoldOptions {
    /// A hold placed at `now` that lapses at `expires` (checked by
    /// [`Ledger::hold`](super::Ledger::hold): it must be after `now`).
    #[must_use]
    pub const fn new(now: Timestamp, expires: Timestamp) -> Self {
        Self { now, expires }
    }

    /// A hold placed at `now` that lasts `length`.
    ///
    /// # Errors
    /// `invalid_duration` for a length that is not positive;
    /// `invalid_datetime` when `now + length` is out of the engine's range.
    pub fn lasting(now: Timestamp, length: Minutes) -> Result<Self> {
        if length.get() <= 0 {
            return Err(Error::duration(format!(
                "a hold must last a positive number of minutes, got {}",
                length.get()
            )));
        }
        Ok(Self::new(now, now.plus_minutes(length.get())?))
    }
}

/// How to [`Ledger::reschedule`](super::Ledger::reschedule): at which
/// instant, and the reason recorded on the cancelled booking.
///
/// ```
/// use hcas_core::booking::RescheduleOptions;
/// let now = "2026-05-04T08:00:00Z".parse().unwrap();
/// let opts = RescheduleOptions::new(now, "patient asked");
/// assert_eq!(opts.reason, "patient asked");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RescheduleOptions<'a> {
    /// The current instant.
    pub now: Timestamp,
    /// Why: stored as the old booking's `cancel_reason`.
    pub reason: &'a str,
}

impl<'a> RescheduleOptions<'a> {
    /// Reschedule at `now`, for `reason`.
    #[must_use]
    pub const fn new(now: Timestamp, reason: &'a str) -> Self {
        Self { now, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn setters_fill_their_field_and_defaults_are_empty() {
        let now = t("2026-05-04T08:00:00Z");
        let b = BookOptions::at(now);
        assert_eq!(b.idempotency_key, None);
        assert_eq!(b.idempotency_key("k").idempotency_key, Some("k"));
        assert_eq!(b.idempotency_key("k").idempotency_key(None), b);
        let extra = [Booking::new(
            "x",
            vec!["room:R1".into()],
            crate::time::Interval::new(now, t("2026-05-04T09:00:00Z")).unwrap(),
        )];
        let c = CheckOptions::at(now).exclude("a1").extra(&extra);
        assert_eq!((c.now, c.exclude, c.extra.len()), (now, Some("a1"), 1));
        assert_eq!(CheckOptions::at(now).exclude, None);
    }

    #[test]
    fn a_hold_must_last() {
        let now = t("2026-05-04T08:00:00Z");
        for bad in [0, -1] {
            let e = HoldOptions::lasting(now, Minutes::new(bad)).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidDuration);
        }
        assert_eq!(
            HoldOptions::lasting(now, Minutes::hours(1))
                .unwrap()
                .expires,
            t("2026-05-04T09:00:00Z")
        );
        assert!(HoldOptions::lasting(Timestamp::MAX, Minutes::new(1)).is_err());
    }
}
