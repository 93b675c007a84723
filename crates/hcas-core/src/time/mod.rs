//! UTC instants, half-open intervals, interval sets, and strict parsing of the
//! shared encodings (RFC 3339 instants, local dates, times and datetimes).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

mod interval;
mod local;
mod minutes;
#[cfg(test)]
mod tests;

pub(crate) use interval::merge_sorted;
pub use interval::{Interval, IntervalSet};
use local::check_year;
pub use local::{LocalTime, parse_local_date, parse_local_datetime};
pub use minutes::Minutes;

/// Seconds in a minute.
pub const MINUTE: i64 = 60;
/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Smallest and largest accepted years: four-digit years only, so every
/// instant formats as RFC 3339 and no arithmetic can overflow.
const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;

/// A point on the UTC time line, with one-second resolution.
///
/// Internally seconds since the Unix epoch; on the wire an RFC 3339 string.
/// Every instant the engine answers with is formatted in UTC with a `Z`.
///
/// ```
/// use hcas_core::Timestamp;
/// let t: Timestamp = "2026-03-08T09:00:00-05:00".parse().unwrap();
/// assert_eq!(t.to_string(), "2026-03-08T14:00:00Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The earliest instant the engine represents: `0001-01-01T00:00:00Z`.
    pub const MIN: Self = Self(MIN_UNIX);
    /// The latest instant the engine represents: `9999-12-31T23:59:59Z`.
    pub const MAX: Self = Self(MAX_UNIX);
    /// The Unix epoch, `1970-01-01T00:00:00Z`.
    pub const EPOCH: Self = Self(0);

    /// The instant `secs` seconds after 1970-01-01T00:00:00Z.
    ///
    /// ```
    /// use hcas_core::{ErrorCode, Timestamp};
    /// assert_eq!(Timestamp::from_unix(0).unwrap().to_string(), "1970-01-01T00:00:00Z");
    /// assert_eq!(Timestamp::from_unix(i64::MAX).unwrap_err().code(), ErrorCode::InvalidDatetime);
    /// ```
    ///
    /// # Errors
    /// `invalid_datetime` outside [`Timestamp::MIN`]..=[`Timestamp::MAX`] (the years
    /// 0001-9999 that [`Timestamp::parse`] accepts).
    pub fn from_unix(secs: i64) -> Result<Self> {
        if (MIN_UNIX..=MAX_UNIX).contains(&secs) {
            Ok(Self(secs))
        } else {
            Err(Error::datetime(format!(
                "{secs} seconds since 1970-01-01T00:00:00Z is outside the years 0001-9999"
            )))
        }
    }

    /// An instant the caller has proven to be in range (crate-internal fast path;
    /// every public constructor checks).
    pub(crate) const fn from_unix_unchecked(secs: i64) -> Self {
        debug_assert!(secs >= MIN_UNIX && secs <= MAX_UNIX);
        Self(secs)
    }

    /// `secs` clamped into the representable range: only for search bounds,
    /// where "before the first instant" and "the first instant" select the same.
    pub(crate) const fn clamped(secs: i64) -> Self {
        Self(if secs < MIN_UNIX {
            MIN_UNIX
        } else if secs > MAX_UNIX {
            MAX_UNIX
        } else {
            secs
        })
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    #[must_use]
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// This instant plus `minutes` (negative: earlier).
    ///
    /// ```
    /// use hcas_core::{ErrorCode, Minutes, Timestamp};
    /// let t: Timestamp = "2026-03-08T14:00:00Z".parse().unwrap();
    /// assert_eq!(t.checked_add(Minutes::new(90)).unwrap().to_string(), "2026-03-08T15:30:00Z");
    /// assert_eq!(Timestamp::MAX.checked_add(Minutes::new(1)).unwrap_err().code(), ErrorCode::InvalidDatetime);
    /// ```
    ///
    /// # Errors
    /// `invalid_datetime` when the result would leave the years 0001-9999.
    pub fn checked_add(self, minutes: Minutes) -> Result<Self> {
        self.plus_minutes(minutes.get())
    }

    /// This instant minus `minutes` (negative: later).
    ///
    /// ```
    /// use hcas_core::{Minutes, Timestamp};
    /// let t: Timestamp = "2026-03-08T14:00:00Z".parse().unwrap();
    /// assert_eq!(t.checked_sub(Minutes::hours(15)).unwrap().to_string(), "2026-03-07T23:00:00Z");
    /// assert!(Timestamp::MIN.checked_sub(Minutes::new(1)).is_err());
    /// ```
    ///
    /// # Errors
    /// `invalid_datetime` when the result would leave the years 0001-9999
    /// (or `minutes` is `i64::MIN`).
    pub fn checked_sub(self, minutes: Minutes) -> Result<Self> {
        minutes.get().checked_neg().map_or_else(
            || Err(self.overflow(minutes.get(), "minutes")),
            |m| self.plus_minutes(m),
        )
    }

    /// This instant plus `minutes` minutes (negative: earlier); the same as
    /// [`Timestamp::checked_add`] with a plain count.
    ///
    /// # Errors
    /// `invalid_datetime` when the result would leave the years 0001-9999
    /// (or the arithmetic would overflow).
    pub fn plus_minutes(self, minutes: i64) -> Result<Self> {
        minutes.checked_mul(MINUTE).map_or_else(
            || Err(self.overflow(minutes, "minutes")),
            |s| self.plus_seconds(s),
        )
    }

    /// This instant plus `secs` seconds (negative: earlier).
    ///
    /// # Errors
    /// `invalid_datetime` when the result would leave the years 0001-9999.
    pub fn plus_seconds(self, secs: i64) -> Result<Self> {
        match self.0.checked_add(secs) {
            Some(t) if (MIN_UNIX..=MAX_UNIX).contains(&t) => Ok(Self(t)),
            _ => Err(self.overflow(secs, "seconds")),
        }
    }

    fn overflow(self, n: i64, unit: &str) -> Error {
        Error::datetime(format!(
            "{self} plus {n} {unit} is outside the years 0001-9999"
        ))
    }

    /// Parse RFC 3339 with an explicit offset (`Z` or `±HH:MM`). A fractional
    /// second part is accepted only when it is zero (e.g. JavaScript's `.000Z`).
    ///
    /// # Errors
    /// `invalid_datetime` when the text is not such an instant.
    pub fn parse(text: &str) -> Result<Self> {
        let dt = DateTime::parse_from_rfc3339(text).map_err(|e| {
            Error::datetime(format!(
                "`{text}` is not an RFC 3339 instant with an offset, like 2026-03-08T14:00:00Z ({e})"
            ))
        })?;
        if dt.nanosecond() != 0 {
            return Err(Error::datetime(format!(
                "`{text}` has a sub-second part; instants have whole seconds"
            )));
        }
        let utc = dt.naive_utc();
        check_year(utc.date(), text)?;
        Ok(Self(utc.and_utc().timestamp()))
    }

    /// The UTC wall clock of this instant (always in the years 0001-9999).
    #[must_use]
    pub fn naive_utc(self) -> NaiveDateTime {
        naive_from_secs(self.0)
    }

    /// The instant whose UTC wall clock is `naive`.
    ///
    /// # Errors
    /// `invalid_datetime` when `naive` is outside the years 0001-9999.
    pub fn from_naive_utc(naive: NaiveDateTime) -> Result<Self> {
        check_year(naive.date(), &naive.to_string())?;
        Ok(Self(naive.and_utc().timestamp()))
    }
}

/// First and last second of the years 0001-9999.
const MIN_UNIX: i64 = -62_135_596_800;
const MAX_UNIX: i64 = 253_402_300_799;

/// The UTC wall clock `secs` seconds after the epoch, for any `secs` within
/// chrono's range (about ±262 000 years, far beyond any value the engine
/// computes from in-range instants plus at most days of offsets or margins).
pub(crate) fn naive_from_secs(secs: i64) -> NaiveDateTime {
    DateTime::from_timestamp(secs, 0).map_or(
        if secs < 0 {
            NaiveDateTime::MIN
        } else {
            NaiveDateTime::MAX
        },
        |d| d.naive_utc(),
    )
}

impl fmt::Display for Timestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ`, the same text as chrono's
    /// `%Y-%m-%dT%H:%M:%SZ` for every instant of the range (years 0001-9999,
    /// so four digits), written digit by digit: chrono's `format` parses its
    /// pattern on every call, which made formatting cost more than a month of
    /// slots (bindings answering ISO strings pay it per item).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.naive_utc();
        let mut text = *b"0000-00-00T00:00:00Z";
        // (position, value, digits); the year is 1..=9999, the rest two digits.
        let year = u32::try_from(t.year()).map_err(|_| fmt::Error)?;
        let fields = [
            (0, year, 4),
            (5, t.month(), 2),
            (8, t.day(), 2),
            (11, t.hour(), 2),
            (14, t.minute(), 2),
            (17, t.second(), 2),
        ];
        for (at, mut v, digits) in fields {
            for i in (at..at + digits).rev() {
                // A decimal digit: always fits a u8.
                text[i] = b'0' + u8::try_from(v % 10).map_err(|_| fmt::Error)?;
                v /= 10;
            }
        }
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for Timestamp {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The time between two instants, exactly: `later - earlier` (negative when
/// the right side is later). Instants span under 10 000 years, so this never
/// overflows.
///
/// ```
/// use hcas_core::Timestamp;
/// let a: Timestamp = "2026-03-08T14:00:00Z".parse().unwrap();
/// let b: Timestamp = "2026-03-08T15:30:05Z".parse().unwrap();
/// assert_eq!((b - a).num_seconds(), 5405);
/// assert_eq!((a - b).num_minutes(), -90);
/// ```
impl std::ops::Sub for Timestamp {
    type Output = chrono::TimeDelta;
    fn sub(self, earlier: Self) -> chrono::TimeDelta {
        chrono::TimeDelta::seconds(self.0 - earlier.0)
    }
}

/// The instant `secs` seconds after the epoch, range-checked; the error names
/// `what`, the value it was converted from.
fn from_unix_naming(secs: i64, what: &dyn fmt::Display) -> Result<Timestamp> {
    Timestamp::from_unix(secs).map_err(|_| {
        Error::datetime(format!(
            "{what} is outside the years 0001-9999 that a Timestamp represents"
        ))
    })
}

/// Every [`Timestamp`] is a `chrono` UTC datetime.
///
/// ```
/// use hcas_core::Timestamp;
/// use hcas_core::chrono::{DateTime, Utc};
/// let t: Timestamp = "1969-07-20T20:17:40Z".parse().unwrap();
/// let dt: DateTime<Utc> = t.into();
/// assert_eq!(dt.timestamp(), -14_182_940);
/// ```
impl From<Timestamp> for DateTime<Utc> {
    fn from(t: Timestamp) -> Self {
        t.naive_utc().and_utc()
    }
}

/// A `chrono` datetime in any zone or offset becomes the instant it names.
///
/// Sub-second parts are **truncated** to the whole second that contains the
/// instant (towards the past, also before 1970): the engine has one-second
/// resolution, and a clock reading always carries nanoseconds. Only
/// [`Timestamp::parse`], the wire format, refuses a non-zero fraction.
///
/// ```
/// use hcas_core::{ErrorCode, Timestamp};
/// use hcas_core::chrono::{DateTime, TimeZone, Utc};
/// use hcas_core::chrono_tz::America::New_York;
/// let local = New_York.with_ymd_and_hms(2026, 3, 8, 9, 0, 0).unwrap();
/// assert_eq!(Timestamp::try_from(local).unwrap().to_string(), "2026-03-08T13:00:00Z");
/// let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
/// assert_eq!(Timestamp::try_from(far).unwrap_err().code(), ErrorCode::InvalidDatetime);
/// ```
///
/// # Errors
/// `invalid_datetime` outside the years 0001-9999 (in UTC).
impl<Z: TimeZone> TryFrom<DateTime<Z>> for Timestamp {
    type Error = Error;
    fn try_from(dt: DateTime<Z>) -> Result<Self> {
        // `timestamp()` is the floor: the nanoseconds are always non-negative.
        from_unix_naming(dt.timestamp(), &dt.naive_utc())
    }
}

/// A [`Timestamp`] as a system time.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use hcas_core::Timestamp;
/// let t: Timestamp = "1969-12-31T23:59:00Z".parse().unwrap();
/// let st = SystemTime::try_from(t).unwrap();
/// assert_eq!(UNIX_EPOCH.duration_since(st).unwrap(), Duration::from_secs(60));
/// ```
///
/// # Errors
/// `invalid_datetime` where the platform's `SystemTime` cannot hold the
/// instant (never on Unix-like systems; Windows' starts in 1601).
/// `From` is not offered for that reason: `SystemTime` arithmetic panics
/// where it overflows.
impl TryFrom<Timestamp> for std::time::SystemTime {
    type Error = Error;
    fn try_from(t: Timestamp) -> Result<Self> {
        let epoch = Self::UNIX_EPOCH;
        let d = std::time::Duration::from_secs(t.0.unsigned_abs());
        if t.0 >= 0 {
            epoch.checked_add(d)
        } else {
            epoch.checked_sub(d)
        }
        .ok_or_else(|| {
            Error::datetime(format!(
                "{t} cannot be represented as this platform's SystemTime"
            ))
        })
    }
}

/// A system time becomes the instant it names, sub-second part **truncated**
/// to the whole second that contains it (towards the past, also before 1970),
/// as for `chrono` datetimes.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use hcas_core::Timestamp;
/// let t = Timestamp::try_from(UNIX_EPOCH + Duration::from_millis(1_500)).unwrap();
/// assert_eq!(t.unix(), 1);
/// let before = Timestamp::try_from(UNIX_EPOCH - Duration::from_millis(500)).unwrap();
/// assert_eq!(before.to_string(), "1969-12-31T23:59:59Z");
/// ```
///
/// # Errors
/// `invalid_datetime` outside the years 0001-9999.
impl TryFrom<std::time::SystemTime> for Timestamp {
    type Error = Error;
    fn try_from(st: std::time::SystemTime) -> Result<Self> {
        let out = || Error::datetime("a SystemTime outside the years 0001-9999");
        let secs = match st.duration_since(std::time::SystemTime::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).map_err(|_| out())?,
            Err(e) => {
                let before = e.duration();
                let whole = i64::try_from(before.as_secs()).map_err(|_| out())?;
                // -1.5 s lies in the second that starts at -2 s.
                let partial = i64::from(before.subsec_nanos() != 0);
                -whole - partial
            }
        };
        Self::from_unix(secs).map_err(|_| out())
    }
}

/// A [`Timestamp`] as a `jiff` timestamp (cargo feature `jiff`).
///
/// ```
/// use hcas_core::Timestamp;
/// let t: Timestamp = "2026-03-08T14:00:00Z".parse().unwrap();
/// let j = jiff::Timestamp::try_from(t).unwrap();
/// assert_eq!(j.to_string(), "2026-03-08T14:00:00Z");
/// ```
///
/// # Errors
/// `invalid_datetime` for the last instants of 9999 (after
/// `9999-12-30T22:00:00Z`): jiff keeps room for any UTC offset at its ends.
#[cfg(feature = "jiff")]
impl TryFrom<Timestamp> for jiff::Timestamp {
    type Error = Error;
    fn try_from(t: Timestamp) -> Result<Self> {
        Self::from_second(t.0)
            .map_err(|e| Error::datetime(format!("{t} is beyond jiff's range ({e})")))
    }
}

/// A `jiff` timestamp becomes the instant it names (cargo feature `jiff`),
/// sub-second part **truncated** to the whole second that contains it (towards
/// the past, also before 1970), as for `chrono` datetimes and `SystemTime`.
///
/// ```
/// use hcas_core::{ErrorCode, Timestamp};
/// let j: jiff::Timestamp = "2026-03-08T14:00:00.75Z".parse().unwrap();
/// assert_eq!(Timestamp::try_from(j).unwrap().to_string(), "2026-03-08T14:00:00Z");
/// let ancient: jiff::Timestamp = "-000001-01-01T00:00:00Z".parse().unwrap();
/// assert_eq!(Timestamp::try_from(ancient).unwrap_err().code(), ErrorCode::InvalidDatetime);
/// ```
///
/// # Errors
/// `invalid_datetime` outside the years 0001-9999.
#[cfg(feature = "jiff")]
impl TryFrom<jiff::Timestamp> for Timestamp {
    type Error = Error;
    fn try_from(j: jiff::Timestamp) -> Result<Self> {
        // jiff truncates towards zero, with a negative fraction before 1970.
        let secs = j.as_second() - i64::from(j.subsec_nanosecond() < 0);
        from_unix_naming(secs, &j)
    }
}
