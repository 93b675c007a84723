//! [`Minutes`]: the engine's length of time.

use super::*;

/// A length of time in whole minutes: appointment lengths, grid steps,
/// buffers, notice, horizons and policy thresholds.
///
/// The engine's durations are whole minutes (FORMAT.md); this type keeps them
/// from being confused with seconds or counts. On the wire it is a plain
/// integer (`"duration": 30`). It may be negative where a field allows it (a
/// shift earlier); each field says its own range.
///
/// ```
/// use hcas_core::Minutes;
/// let half_hour = Minutes::new(30);
/// assert_eq!(Minutes::hours(2).get(), 120);
/// assert_eq!(half_hour.as_seconds(), 1800);
/// assert_eq!(half_hour.to_string(), "30 min");
/// let std: std::time::Duration = half_hour.try_into().unwrap();
/// assert_eq!(std.as_secs(), 1800);
/// assert_eq!(Minutes::try_from(std::time::Duration::from_secs(5400)).unwrap(), Minutes::new(90));
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Minutes(i64);

impl Minutes {
    /// No time at all.
    pub const ZERO: Self = Self(0);

    /// `minutes` minutes.
    #[must_use]
    pub const fn new(minutes: i64) -> Self {
        Self(minutes)
    }

    /// `hours` hours, as minutes (saturating at the `i64` range).
    #[must_use]
    pub const fn hours(hours: i64) -> Self {
        Self(hours.saturating_mul(60))
    }

    /// `days` days of 24 hours, as minutes (saturating at the `i64` range).
    #[must_use]
    pub const fn days(days: i64) -> Self {
        Self(days.saturating_mul(1440))
    }

    /// The number of minutes.
    #[must_use]
    pub const fn get(self) -> i64 {
        self.0
    }

    /// The length in seconds (saturating at the `i64` range).
    #[must_use]
    pub const fn as_seconds(self) -> i64 {
        self.0.saturating_mul(MINUTE)
    }

    /// Whether this is negative.
    #[must_use]
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `seconds` as minutes.
    ///
    /// ```
    /// use hcas_core::{ErrorCode, Minutes};
    /// assert_eq!(Minutes::from_seconds(5400).unwrap(), Minutes::new(90));
    /// assert_eq!(Minutes::from_seconds(-60).unwrap(), Minutes::new(-1));
    /// assert_eq!(Minutes::from_seconds(90).unwrap_err().code(), ErrorCode::InvalidDuration);
    /// ```
    ///
    /// # Errors
    /// `invalid_duration` unless `seconds` is a whole number of minutes.
    pub fn from_seconds(seconds: i64) -> Result<Self> {
        if seconds % MINUTE == 0 {
            Ok(Self(seconds / MINUTE))
        } else {
            Err(Error::duration(format!(
                "{seconds} seconds is not a whole number of minutes"
            )))
        }
    }

    /// `self + other`.
    ///
    /// ```
    /// use hcas_core::Minutes;
    /// assert_eq!(Minutes::new(30).checked_add(Minutes::new(15)).unwrap(), Minutes::new(45));
    /// assert!(Minutes::new(i64::MAX).checked_add(Minutes::new(1)).is_err());
    /// ```
    ///
    /// # Errors
    /// `invalid_duration` on `i64` overflow.
    pub fn checked_add(self, other: Self) -> Result<Self> {
        self.0
            .checked_add(other.0)
            .map(Self)
            .ok_or_else(|| self.overflow("+", other.0))
    }

    /// `self - other`.
    ///
    /// # Errors
    /// `invalid_duration` on `i64` overflow.
    pub fn checked_sub(self, other: Self) -> Result<Self> {
        self.0
            .checked_sub(other.0)
            .map(Self)
            .ok_or_else(|| self.overflow("-", other.0))
    }

    /// `self * factor` (e.g. a number of back-to-back appointments).
    ///
    /// ```
    /// use hcas_core::Minutes;
    /// assert_eq!(Minutes::new(20).checked_mul(3).unwrap(), Minutes::hours(1));
    /// assert!(Minutes::new(i64::MAX).checked_mul(2).is_err());
    /// ```
    ///
    /// # Errors
    /// `invalid_duration` on `i64` overflow.
    pub fn checked_mul(self, factor: i64) -> Result<Self> {
        self.0
            .checked_mul(factor)
            .map(Self)
            .ok_or_else(|| self.overflow("*", factor))
    }

    fn overflow(self, op: &str, other: i64) -> Error {
        Error::duration(format!("{} {op} {other} minutes overflows", self.0))
    }
}

impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} min", self.0)
    }
}

impl From<i64> for Minutes {
    fn from(minutes: i64) -> Self {
        Self(minutes)
    }
}

impl From<Minutes> for i64 {
    fn from(m: Minutes) -> Self {
        m.0
    }
}

impl From<Minutes> for chrono::TimeDelta {
    fn from(m: Minutes) -> Self {
        Self::seconds(m.as_seconds())
    }
}

impl TryFrom<std::time::Duration> for Minutes {
    type Error = Error;
    /// # Errors
    /// `invalid_duration` unless the duration is a whole number of minutes
    /// that fits an `i64`.
    fn try_from(d: std::time::Duration) -> Result<Self> {
        if d.subsec_nanos() != 0 || !d.as_secs().is_multiple_of(60) {
            return Err(Error::new(
                crate::error::ErrorCode::InvalidDuration,
                format!("{d:?} is not a whole number of minutes"),
            ));
        }
        i64::try_from(d.as_secs() / 60).map(Self).map_err(|_| {
            Error::new(
                crate::error::ErrorCode::InvalidDuration,
                format!("{d:?} is too long"),
            )
        })
    }
}

impl TryFrom<Minutes> for std::time::Duration {
    type Error = Error;
    /// # Errors
    /// `invalid_duration` for a negative length (a `std` duration cannot be
    /// negative).
    fn try_from(m: Minutes) -> Result<Self> {
        u64::try_from(m.as_seconds())
            .map(Self::from_secs)
            .map_err(|_| {
                Error::new(
                    crate::error::ErrorCode::InvalidDuration,
                    format!("{m} is negative; std::time::Duration cannot be"),
                )
            })
    }
}
