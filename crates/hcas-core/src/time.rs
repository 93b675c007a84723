//! UTC instants, half-open intervals, interval sets, and strict parsing of the
//! shared encodings (RFC 3339 instants, local dates, times and datetimes).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

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

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.naive_utc().format("%Y-%m-%dT%H:%M:%SZ"))
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

/// A half-open interval `[start, end)` of instants with `end > start`.
///
/// Two intervals that only touch do not overlap.
///
/// ```
/// use hcas_core::{Timestamp, Interval};
/// let a = Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:30:00Z").unwrap();
/// let b = Interval::parse("2026-05-04T09:30:00Z", "2026-05-04T10:00:00Z").unwrap();
/// assert!(!a.overlaps(&b));
/// assert_eq!(Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:00:00Z").unwrap_err().code(),
///            hcas_core::ErrorCode::InvalidInterval);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Interval {
    start: Timestamp,
    end: Timestamp,
}

impl Interval {
    /// `[start, end)`.
    ///
    /// # Errors
    /// `invalid_interval` when `end <= start`.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self> {
        if end <= start {
            return Err(Error::new(
                crate::ErrorCode::InvalidInterval,
                format!("interval end {end} must be after its start {start}"),
            ));
        }
        Ok(Self { start, end })
    }

    /// Parse both ends as RFC 3339 instants.
    ///
    /// # Errors
    /// `invalid_datetime` for a malformed end, `invalid_interval` when `end <= start`.
    pub fn parse(start: &str, end: &str) -> Result<Self> {
        Self::new(Timestamp::parse(start)?, Timestamp::parse(end)?)
    }

    /// Inclusive start.
    #[must_use]
    pub const fn start(&self) -> Timestamp {
        self.start
    }

    /// Exclusive end.
    #[must_use]
    pub const fn end(&self) -> Timestamp {
        self.end
    }

    /// Length in seconds (always positive).
    #[must_use]
    pub const fn seconds(&self) -> i64 {
        self.end.0 - self.start.0
    }

    /// Whether the two share at least one instant.
    #[must_use]
    pub fn overlaps(&self, other: &Self) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whether `t` lies in `[start, end)`.
    #[must_use]
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            start: Timestamp,
            end: Timestamp,
        }
        let raw = Raw::deserialize(d)?;
        Self::new(raw.start, raw.end).map_err(serde::de::Error::custom)
    }
}

/// A set of instants as sorted, disjoint, non-touching half-open intervals.
///
/// All operations are linear sweeps over the sorted lists.
///
/// ```
/// use hcas_core::{Interval, IntervalSet};
/// let i = |a: &str, b: &str| Interval::parse(a, b).unwrap();
/// let work = IntervalSet::from_intervals([i("2026-05-04T09:00:00Z", "2026-05-04T17:00:00Z")]);
/// let busy = IntervalSet::from_intervals([i("2026-05-04T12:00:00Z", "2026-05-04T13:00:00Z")]);
/// let free = work.subtract(&busy);
/// assert_eq!(free.len(), 2);
/// assert_eq!(free.total_seconds(), 7 * 3600);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<Interval>", into = "Vec<Interval>")]
pub struct IntervalSet {
    items: Vec<Interval>,
}

impl From<Vec<Interval>> for IntervalSet {
    fn from(v: Vec<Interval>) -> Self {
        Self::from_intervals(v)
    }
}

impl From<IntervalSet> for Vec<Interval> {
    fn from(s: IntervalSet) -> Self {
        s.items
    }
}

impl IntervalSet {
    /// The empty set.
    #[must_use]
    pub const fn new() -> Self {
        Self { items: Vec::new() }
    }

    /// Normalise any intervals (unsorted, overlapping, touching) into a set.
    pub fn from_intervals(items: impl IntoIterator<Item = Interval>) -> Self {
        let mut items: Vec<Interval> = items.into_iter().collect();
        items.sort_unstable();
        Self {
            items: merge_sorted(items),
        }
    }

    /// The disjoint intervals, ascending.
    #[must_use]
    pub fn intervals(&self) -> &[Interval] {
        &self.items
    }

    /// Number of disjoint intervals.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Total covered seconds.
    #[must_use]
    pub fn total_seconds(&self) -> i64 {
        self.items.iter().map(Interval::seconds).sum()
    }

    /// Whether `t` is covered (binary search).
    #[must_use]
    pub fn contains(&self, t: Timestamp) -> bool {
        let i = self.items.partition_point(|iv| iv.end <= t);
        self.items.get(i).is_some_and(|iv| iv.start <= t)
    }

    /// Whether any covered instant lies in `iv` (binary search).
    #[must_use]
    pub fn overlaps(&self, iv: &Interval) -> bool {
        let i = self.items.partition_point(|x| x.end <= iv.start);
        self.items.get(i).is_some_and(|x| x.start < iv.end)
    }

    /// `self ∪ other`.
    #[must_use]
    pub fn union(&self, other: &Self) -> Self {
        let mut merged = Vec::with_capacity(self.items.len() + other.items.len());
        let (mut a, mut b) = (self.items.iter().peekable(), other.items.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => {
                    if x.start <= y.start {
                        a.next()
                    } else {
                        b.next()
                    }
                }
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            if let Some(iv) = next {
                merged.push(*iv);
            }
        }
        Self {
            items: merge_sorted(merged),
        }
    }

    /// `self ∩ other`.
    #[must_use]
    pub fn intersection(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.items.len() && j < other.items.len() {
            let (x, y) = (self.items[i], other.items[j]);
            let start = x.start.max(y.start);
            let end = x.end.min(y.end);
            if start < end {
                out.push(Interval { start, end });
            }
            if x.end <= y.end {
                i += 1;
            } else {
                j += 1;
            }
        }
        Self { items: out }
    }

    /// `self \ other`.
    #[must_use]
    pub fn subtract(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        let mut j = 0;
        for x in &self.items {
            let mut cur = x.start;
            while j < other.items.len() && other.items[j].end <= cur {
                j += 1;
            }
            let mut k = j;
            while k < other.items.len() && other.items[k].start < x.end {
                let y = other.items[k];
                if y.start > cur {
                    out.push(Interval {
                        start: cur,
                        end: y.start,
                    });
                }
                cur = cur.max(y.end);
                if y.end >= x.end {
                    break;
                }
                k += 1;
            }
            if cur < x.end {
                out.push(Interval {
                    start: cur,
                    end: x.end,
                });
            }
        }
        Self { items: out }
    }
}

/// Merge a sorted list in place: overlapping or touching intervals become one.
pub(crate) fn merge_sorted(mut items: Vec<Interval>) -> Vec<Interval> {
    let mut w = 0usize;
    for r in 0..items.len() {
        let cur = items[r];
        if w > 0 && cur.start <= items[w - 1].end {
            if cur.end > items[w - 1].end {
                items[w - 1].end = cur.end;
            }
        } else {
            items[w] = cur;
            w += 1;
        }
    }
    items.truncate(w);
    items
}

fn check_year(date: NaiveDate, text: &str) -> Result<()> {
    use chrono::Datelike;
    if (MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        Ok(())
    } else {
        Err(Error::datetime(format!(
            "`{text}` is outside the years 0001-9999"
        )))
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// Parse a local date `YYYY-MM-DD`.
///
/// # Errors
/// `invalid_datetime` when malformed or impossible (e.g. `2026-02-30`).
pub fn parse_local_date(text: &str) -> Result<NaiveDate> {
    let b = text.as_bytes();
    let bad = || {
        Error::datetime(format!(
            "`{text}` is not a local date YYYY-MM-DD (like 2026-03-08)"
        ))
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (y, m, d) = (
        digits(&b[0..4]).ok_or_else(bad)?,
        digits(&b[5..7]).ok_or_else(bad)?,
        digits(&b[8..10]).ok_or_else(bad)?,
    );
    let year = i32::try_from(y).map_err(|_| bad())?;
    let date = NaiveDate::from_ymd_opt(year, m, d)
        .ok_or_else(|| Error::datetime(format!("`{text}` is not a day of the calendar")))?;
    check_year(date, text)?;
    Ok(date)
}

/// A local wall-clock time of day, to the second: `00:00` to `23:59:59`, plus
/// [`LocalTime::MIDNIGHT_END`] (`24:00`), the midnight that ends a day, which
/// only a window's end may be.
///
/// On the wire `HH:MM`, or `HH:MM:SS` when the seconds are not zero.
///
/// ```
/// use hcas_core::{ErrorCode, LocalTime};
/// let t = LocalTime::new(9, 30).unwrap();
/// assert_eq!((t.hour(), t.minute(), t.second()), (9, 30, 0));
/// assert_eq!(LocalTime::parse("09:30").unwrap(), t);
/// assert_eq!(t.to_string(), "09:30");
/// // `24:00` only where a window ends.
/// assert_eq!(LocalTime::parse("24:00").unwrap_err().code(), ErrorCode::InvalidDatetime);
/// assert_eq!(LocalTime::parse_end("24:00").unwrap(), LocalTime::MIDNIGHT_END);
/// assert_eq!(LocalTime::new(24, 0).unwrap_err().code(), ErrorCode::InvalidDatetime);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    secs: u32,
}

impl LocalTime {
    /// `00:00`, the midnight that starts a day.
    pub const MIDNIGHT: Self = Self { secs: 0 };
    /// `24:00`, the midnight that ends a day: only valid as a window's end
    /// (see [`LocalTime::parse_end`]).
    pub const MIDNIGHT_END: Self = Self { secs: 86_400 };

    /// `hour:minute`, from `00:00` to `23:59`.
    ///
    /// # Errors
    /// `invalid_datetime` out of range (use [`LocalTime::MIDNIGHT_END`] for `24:00`).
    pub fn new(hour: u32, minute: u32) -> Result<Self> {
        Self::from_hms(hour, minute, 0)
    }

    /// `hour:minute:second`, from `00:00:00` to `23:59:59`.
    ///
    /// ```
    /// use hcas_core::LocalTime;
    /// assert_eq!(LocalTime::from_hms(9, 30, 15).unwrap().seconds(), 34_215);
    /// assert!(LocalTime::from_hms(9, 60, 0).is_err());
    /// ```
    ///
    /// # Errors
    /// `invalid_datetime` out of range (use [`LocalTime::MIDNIGHT_END`] for `24:00`).
    pub fn from_hms(hour: u32, minute: u32, second: u32) -> Result<Self> {
        if hour < 24 && minute < 60 && second < 60 {
            Ok(Self {
                secs: hour * 3600 + minute * 60 + second,
            })
        } else {
            Err(Error::datetime(format!(
                "{hour:02}:{minute:02}:{second:02} is not a time of day 00:00:00..=23:59:59{}",
                if (hour, minute, second) == (24, 0, 0) {
                    " (24:00 is LocalTime::MIDNIGHT_END, only a window's end)"
                } else {
                    ""
                }
            )))
        }
    }

    /// The hour, `0..=23` (`24` for [`LocalTime::MIDNIGHT_END`]).
    #[must_use]
    pub const fn hour(self) -> u32 {
        self.secs / 3600
    }

    /// The minute, `0..=59`.
    #[must_use]
    pub const fn minute(self) -> u32 {
        self.secs / 60 % 60
    }

    /// The second, `0..=59`.
    #[must_use]
    pub const fn second(self) -> u32 {
        self.secs % 60
    }

    /// Seconds after local midnight, `0..=86_400` (86 400 is `24:00`).
    #[must_use]
    pub const fn seconds(self) -> u32 {
        self.secs
    }

    /// Whether this is `24:00` ([`LocalTime::MIDNIGHT_END`]), the midnight that ends the day.
    #[must_use]
    pub const fn is_end_of_day(self) -> bool {
        self.secs == 86_400
    }

    /// As a `chrono` time; `None` for `24:00`, which `chrono` has no value for.
    ///
    /// ```
    /// use hcas_core::LocalTime;
    /// use hcas_core::chrono::NaiveTime;
    /// assert_eq!(LocalTime::new(9, 30).unwrap().to_naive_time(), NaiveTime::from_hms_opt(9, 30, 0));
    /// assert_eq!(LocalTime::MIDNIGHT_END.to_naive_time(), None);
    /// ```
    #[must_use]
    pub fn to_naive_time(self) -> Option<NaiveTime> {
        NaiveTime::from_num_seconds_from_midnight_opt(self.secs, 0)
    }

    /// Parse a time of day `HH:MM` or `HH:MM:SS`, `00:00` to `23:59:59`: a
    /// window's start, a local datetime's time.
    ///
    /// # Errors
    /// `invalid_datetime` when malformed or out of range, `24:00` included
    /// (see [`LocalTime::parse_end`]).
    pub fn parse(text: &str) -> Result<Self> {
        let t = Self::parse_any(text, false)?;
        if t.is_end_of_day() {
            return Err(Error::datetime(format!(
                "`{text}`: 24:00 is only allowed as the end of a window"
            )));
        }
        Ok(t)
    }

    /// Parse a window's end: as [`LocalTime::parse`], and `24:00` (the
    /// midnight that ends the day, [`LocalTime::MIDNIGHT_END`]).
    ///
    /// ```
    /// use hcas_core::LocalTime;
    /// assert!(LocalTime::parse_end("24:00").unwrap().is_end_of_day());
    /// assert_eq!(LocalTime::parse_end("17:30").unwrap(), LocalTime::new(17, 30).unwrap());
    /// assert!(LocalTime::parse_end("24:01").is_err());
    /// ```
    ///
    /// # Errors
    /// `invalid_datetime` when malformed or out of range.
    pub fn parse_end(text: &str) -> Result<Self> {
        Self::parse_any(text, true)
    }

    fn parse_any(text: &str, allow_24: bool) -> Result<Self> {
        let b = text.as_bytes();
        let bad = || {
            Error::datetime(format!(
                "`{text}` is not a local time HH:MM or HH:MM:SS (like 09:30){}",
                if allow_24 { ", or 24:00" } else { "" }
            ))
        };
        let (h, m, s) = match b.len() {
            5 if b[2] == b':' => (digits(&b[0..2]), digits(&b[3..5]), Some(0)),
            8 if b[2] == b':' && b[5] == b':' => {
                (digits(&b[0..2]), digits(&b[3..5]), digits(&b[6..8]))
            }
            _ => return Err(bad()),
        };
        let (h, m, s) = (h.ok_or_else(bad)?, m.ok_or_else(bad)?, s.ok_or_else(bad)?);
        if (h, m, s) == (24, 0, 0) {
            return Ok(Self::MIDNIGHT_END);
        }
        Self::from_hms(h, m, s).map_err(|_| bad())
    }
}

/// A `chrono` time of day, when it is a whole second.
///
/// ```
/// use hcas_core::LocalTime;
/// use hcas_core::chrono::NaiveTime;
/// let t = LocalTime::try_from(NaiveTime::from_hms_opt(9, 30, 0).unwrap()).unwrap();
/// assert_eq!(t.to_string(), "09:30");
/// assert!(LocalTime::try_from(NaiveTime::from_hms_milli_opt(9, 30, 0, 5).unwrap()).is_err());
/// ```
///
/// # Errors
/// `invalid_datetime` for a sub-second part (leap seconds included).
impl TryFrom<NaiveTime> for LocalTime {
    type Error = Error;
    fn try_from(t: NaiveTime) -> Result<Self> {
        if t.nanosecond() != 0 {
            return Err(Error::datetime(format!(
                "{t} has a sub-second part; local times have whole seconds"
            )));
        }
        Ok(Self {
            secs: t.num_seconds_from_midnight(),
        })
    }
}

impl FromStr for LocalTime {
    type Err = Error;
    /// As [`LocalTime::parse`] (`24:00` refused; see [`LocalTime::parse_end`]).
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.secs / 3600, self.secs / 60 % 60, self.secs % 60);
        if s == 0 {
            write!(f, "{h:02}:{m:02}")
        } else {
            write!(f, "{h:02}:{m:02}:{s:02}")
        }
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse_end(&s).map_err(serde::de::Error::custom)
    }
}

/// Parse a local datetime `YYYY-MM-DDTHH:MM[:SS]` with no offset.
///
/// # Errors
/// `invalid_datetime` when malformed, impossible, or carrying an offset.
pub fn parse_local_datetime(text: &str) -> Result<NaiveDateTime> {
    let bad = || {
        Error::datetime(format!(
            "`{text}` is not a local datetime YYYY-MM-DDTHH:MM[:SS] without offset (like 2026-03-02T09:00)"
        ))
    };
    let (d, t) = text.split_once('T').ok_or_else(bad)?;
    let date = parse_local_date(d)?;
    let time = LocalTime::parse(t).map_err(|_| bad())?;
    let secs = time.seconds();
    let nt = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).ok_or_else(bad)?;
    Ok(date.and_time(nt))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(a: i64, b: i64) -> Interval {
        Interval::new(Timestamp(a), Timestamp(b)).unwrap()
    }

    #[test]
    fn parse_instants_strictly() {
        assert_eq!(
            Timestamp::parse("2026-03-08T09:00:00-05:00")
                .unwrap()
                .to_string(),
            "2026-03-08T14:00:00Z"
        );
        assert!(Timestamp::parse("2026-03-08T09:00:00.000Z").is_ok());
        for bad in [
            "2026-03-08T09:00:00",
            "2026-03-08",
            "2026-02-30T00:00:00Z",
            "2026-03-08T09:00:00.5Z",
            "",
        ] {
            assert_eq!(
                Timestamp::parse(bad).unwrap_err().code(),
                crate::ErrorCode::InvalidDatetime,
                "{bad}"
            );
        }
    }

    #[test]
    fn parse_local_values() {
        assert!(parse_local_date("2024-02-29").is_ok());
        for bad in [
            "2026-02-29",
            "2026-3-08",
            "20260308",
            "2026-13-01",
            "0000-01-01",
        ] {
            assert!(parse_local_date(bad).is_err(), "{bad}");
        }
        assert_eq!(LocalTime::parse_end("24:00").unwrap().seconds(), 86_400);
        assert!(LocalTime::parse("24:00").is_err());
        assert!(LocalTime::parse("24:00:00").is_err());
        assert!(LocalTime::parse_end("24:01").is_err());
        assert!(LocalTime::parse_end("24:00:01").is_err());
        assert!(LocalTime::parse_end("25:00").is_err());
        assert_eq!(LocalTime::parse("09:30:15").unwrap().seconds(), 34_215);
        assert_eq!(LocalTime::parse_end("09:30:15").unwrap().seconds(), 34_215);
        assert!(parse_local_datetime("2026-03-02T09:00").is_ok());
        assert!(parse_local_datetime("2026-03-02T09:00Z").is_err());
        assert!(parse_local_datetime("2026-03-02T24:00").is_err());
    }

    #[test]
    fn from_unix_checks_the_range_like_parse() {
        let min = Timestamp::parse("0001-01-01T00:00:00Z").unwrap();
        let max = Timestamp::parse("9999-12-31T23:59:59Z").unwrap();
        assert_eq!((Timestamp::MIN, Timestamp::MAX), (min, max));
        assert_eq!(Timestamp::from_unix(min.unix()).unwrap(), min);
        assert_eq!(Timestamp::from_unix(max.unix()).unwrap(), max);
        for bad in [
            min.unix() - 1,
            max.unix() + 1,
            i64::MIN,
            i64::MAX,
            i64::MIN / 2,
        ] {
            let e = Timestamp::from_unix(bad).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidDatetime, "{bad}");
            assert!(e.message().contains("0001-9999"), "{e}");
        }
        assert_eq!(Timestamp::EPOCH.to_string(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn arithmetic_that_leaves_the_range_is_an_error() {
        let max = Timestamp::MAX;
        assert_eq!(
            max.plus_minutes(1).unwrap_err().code(),
            crate::ErrorCode::InvalidDatetime
        );
        assert!(Timestamp::MIN.plus_minutes(-1).is_err());
        assert!(Timestamp::MIN.plus_seconds(-1).is_err());
        assert!(Timestamp::EPOCH.plus_minutes(i64::MAX).is_err());
        assert!(Timestamp::EPOCH.plus_minutes(i64::MIN).is_err());
        assert!(max.plus_seconds(i64::MAX).is_err());
        assert_eq!(
            max.plus_minutes(-1).unwrap().to_string(),
            "9999-12-31T23:58:59Z"
        );
        let t = Timestamp::parse("2026-03-08T14:00:00Z").unwrap();
        assert_eq!(
            t.plus_minutes(90).unwrap().to_string(),
            "2026-03-08T15:30:00Z"
        );
    }

    #[test]
    fn every_instant_prints_its_own_wall_clock() {
        // The two ends print as themselves (no 1970-01-01 fallback) and parse back.
        for t in [Timestamp::MIN, Timestamp::MAX, Timestamp::EPOCH] {
            assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
        }
        assert_eq!(Timestamp::MIN.to_string(), "0001-01-01T00:00:00Z");
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59Z");
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1)
            .unwrap()
            .and_time(NaiveTime::MIN);
        assert!(Timestamp::from_naive_utc(far).is_err());
        let bad: std::result::Result<Timestamp, _> =
            serde_json::from_str("\"+10000-01-01T00:00:00Z\"");
        assert!(bad.is_err());
    }

    #[test]
    fn checked_add_and_sub_take_minutes() {
        let t = Timestamp::parse("1969-12-31T23:00:00Z").unwrap();
        assert_eq!(
            t.checked_add(Minutes::hours(2)).unwrap().to_string(),
            "1970-01-01T01:00:00Z"
        );
        assert_eq!(
            t.checked_sub(Minutes::new(-60)).unwrap().to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            t.checked_sub(Minutes::days(1)).unwrap().to_string(),
            "1969-12-30T23:00:00Z"
        );
        for bad in [
            Timestamp::MAX.checked_add(Minutes::new(1)),
            Timestamp::MIN.checked_sub(Minutes::new(1)),
            t.checked_sub(Minutes::new(i64::MIN)),
            t.checked_add(Minutes::new(i64::MAX)),
        ] {
            assert_eq!(bad.unwrap_err().code(), crate::ErrorCode::InvalidDatetime);
        }
        assert_eq!(
            (Timestamp::MAX - Timestamp::MIN).num_seconds(),
            MAX_UNIX - MIN_UNIX
        );
        assert_eq!((Timestamp::EPOCH - t).num_minutes(), 60);
        assert_eq!((t - Timestamp::EPOCH).num_seconds(), -3600);
    }

    #[test]
    fn minutes_arithmetic_is_checked() {
        assert_eq!(Minutes::from_seconds(0).unwrap(), Minutes::ZERO);
        assert_eq!(Minutes::from_seconds(-120).unwrap(), Minutes::new(-2));
        for bad in [1, 59, -61, i64::MAX] {
            assert_eq!(
                Minutes::from_seconds(bad).unwrap_err().code(),
                crate::ErrorCode::InvalidDuration,
                "{bad}"
            );
        }
        let m = Minutes::new(40);
        assert_eq!(m.checked_add(Minutes::new(-50)).unwrap(), Minutes::new(-10));
        assert_eq!(m.checked_sub(Minutes::new(50)).unwrap(), Minutes::new(-10));
        assert_eq!(m.checked_mul(-3).unwrap(), Minutes::new(-120));
        assert!(Minutes::new(i64::MIN).checked_sub(Minutes::new(1)).is_err());
        assert!(Minutes::new(i64::MIN).checked_mul(-1).is_err());
        assert!(Minutes::new(i64::MAX).checked_add(Minutes::new(1)).is_err());
    }

    #[test]
    fn chrono_conversions_round_trip_and_check_the_range() {
        use chrono::{FixedOffset, TimeZone};
        for t in [
            Timestamp::MIN,
            Timestamp::MAX,
            Timestamp::EPOCH,
            Timestamp::parse("1900-02-28T13:14:15Z").unwrap(),
        ] {
            let dt: DateTime<Utc> = t.into();
            assert_eq!(dt.timestamp(), t.unix());
            assert_eq!(Timestamp::try_from(dt).unwrap(), t);
        }
        // Any offset: the instant it names.
        let east = FixedOffset::east_opt(5 * 3600 + 45 * 60).unwrap();
        let k = east.with_ymd_and_hms(1960, 6, 1, 9, 0, 0).unwrap();
        assert_eq!(
            Timestamp::try_from(k).unwrap().to_string(),
            "1960-06-01T03:15:00Z"
        );
        // A local wall clock inside 0001-9999 can still name an instant outside it.
        let west = FixedOffset::west_opt(5 * 3600).unwrap();
        let late = west.with_ymd_and_hms(9999, 12, 31, 23, 0, 0).unwrap();
        let early = east.with_ymd_and_hms(1, 1, 1, 0, 30, 0).unwrap();
        for bad in [Timestamp::try_from(late), Timestamp::try_from(early)] {
            assert_eq!(bad.unwrap_err().code(), crate::ErrorCode::InvalidDatetime);
        }
        // Sub-second parts fall to the second that contains them, before 1970 too.
        let frac = DateTime::from_timestamp(10, 999_999_999).unwrap();
        assert_eq!(Timestamp::try_from(frac).unwrap().unix(), 10);
        let before = DateTime::from_timestamp(-1, 500_000_000).unwrap(); // -0.5 s
        assert_eq!(Timestamp::try_from(before).unwrap().unix(), -1);
    }

    #[test]
    fn system_time_conversions_round_trip_and_check_the_range() {
        use std::time::{Duration, SystemTime, UNIX_EPOCH};
        for t in [
            Timestamp::MIN,
            Timestamp::MAX,
            Timestamp::EPOCH,
            Timestamp::parse("1969-07-20T20:17:40Z").unwrap(),
        ] {
            let st = SystemTime::try_from(t).unwrap();
            assert_eq!(Timestamp::try_from(st).unwrap(), t);
        }
        let pre = Timestamp::parse("1969-12-31T23:59:00Z").unwrap();
        assert_eq!(
            SystemTime::try_from(pre).unwrap(),
            UNIX_EPOCH - Duration::from_secs(60)
        );
        // Truncated to the containing second, towards the past.
        let frac = UNIX_EPOCH + Duration::new(3, 1);
        assert_eq!(Timestamp::try_from(frac).unwrap().unix(), 3);
        let neg = UNIX_EPOCH - Duration::new(3, 1);
        assert_eq!(Timestamp::try_from(neg).unwrap().unix(), -4);
        let exact_neg = UNIX_EPOCH - Duration::from_secs(3);
        assert_eq!(Timestamp::try_from(exact_neg).unwrap().unix(), -3);
        let after_max = UNIX_EPOCH + Duration::from_secs(253_402_300_800);
        let before_min = UNIX_EPOCH - Duration::from_secs(62_135_596_801);
        for bad in [after_max, before_min] {
            assert_eq!(
                Timestamp::try_from(bad).unwrap_err().code(),
                crate::ErrorCode::InvalidDatetime
            );
        }
        // The last fraction of the last second is still in range.
        let last = UNIX_EPOCH + Duration::new(253_402_300_799, 999_999_999);
        assert_eq!(Timestamp::try_from(last).unwrap(), Timestamp::MAX);
    }

    #[cfg(feature = "jiff")]
    #[test]
    fn jiff_conversions_round_trip_and_check_the_range() {
        for t in [
            Timestamp::MIN,
            Timestamp::EPOCH,
            Timestamp::parse("1969-07-20T20:17:40Z").unwrap(),
            Timestamp::parse("9999-12-30T22:00:00Z").unwrap(),
        ] {
            let j = jiff::Timestamp::try_from(t).unwrap();
            assert_eq!(j.as_second(), t.unix());
            assert_eq!(Timestamp::try_from(j).unwrap(), t);
        }
        // jiff stops short of 9999-12-31T23:59:59Z.
        for t in [
            Timestamp::MAX,
            Timestamp::parse("9999-12-30T22:00:01Z").unwrap(),
        ] {
            assert_eq!(
                jiff::Timestamp::try_from(t).unwrap_err().code(),
                crate::ErrorCode::InvalidDatetime
            );
        }
        // Truncated to the containing second, towards the past.
        let frac = jiff::Timestamp::new(7, 250_000_000).unwrap();
        assert_eq!(Timestamp::try_from(frac).unwrap().unix(), 7);
        let neg = jiff::Timestamp::new(-7, -250_000_000).unwrap();
        assert_eq!(Timestamp::try_from(neg).unwrap().unix(), -8);
        // Outside 0001-9999, which jiff can hold.
        for bad in [
            jiff::Timestamp::from_second(MIN_UNIX - 1).unwrap(),
            jiff::Timestamp::MIN,
        ] {
            assert_eq!(
                Timestamp::try_from(bad).unwrap_err().code(),
                crate::ErrorCode::InvalidDatetime
            );
        }
    }

    #[test]
    fn local_times_are_built_checked_and_read_back() {
        let t = LocalTime::from_hms(23, 59, 59).unwrap();
        assert_eq!((t.hour(), t.minute(), t.second()), (23, 59, 59));
        assert_eq!(t.seconds(), 86_399);
        assert_eq!(t.to_string(), "23:59:59");
        assert_eq!(LocalTime::new(0, 0).unwrap(), LocalTime::MIDNIGHT);
        for (h, m, s) in [(24, 0, 0), (23, 60, 0), (0, 0, 60), (25, 0, 0)] {
            assert_eq!(
                LocalTime::from_hms(h, m, s).unwrap_err().code(),
                crate::ErrorCode::InvalidDatetime
            );
        }
        assert!(
            LocalTime::new(24, 0)
                .unwrap_err()
                .message()
                .contains("MIDNIGHT_END")
        );
        let end = LocalTime::MIDNIGHT_END;
        assert_eq!((end.hour(), end.minute(), end.second()), (24, 0, 0));
        assert!(end.is_end_of_day() && !LocalTime::MIDNIGHT.is_end_of_day());
        assert_eq!(end.to_string(), "24:00");
        assert_eq!(end.to_naive_time(), None);
        assert_eq!(t.to_naive_time(), NaiveTime::from_hms_opt(23, 59, 59));
        assert_eq!(
            "07:05".parse::<LocalTime>().unwrap(),
            LocalTime::new(7, 5).unwrap()
        );
        assert!("24:00".parse::<LocalTime>().is_err());
        let nt = NaiveTime::from_hms_opt(7, 5, 9).unwrap();
        assert_eq!(
            LocalTime::try_from(nt).unwrap(),
            LocalTime::from_hms(7, 5, 9).unwrap()
        );
        let leap = NaiveTime::from_hms_milli_opt(23, 59, 59, 1_500).unwrap();
        assert!(LocalTime::try_from(leap).is_err());
        // The wire accepts 24:00 (a window's end); the window checks its start.
        let back: LocalTime = serde_json::from_str("\"24:00\"").unwrap();
        assert_eq!(back, end);
    }

    #[test]
    fn set_operations() {
        let a = IntervalSet::from_intervals([iv(0, 10), iv(10, 20), iv(30, 40), iv(5, 8)]);
        assert_eq!(a.intervals(), &[iv(0, 20), iv(30, 40)]);
        let b = IntervalSet::from_intervals([iv(15, 35)]);
        assert_eq!(a.union(&b).intervals(), &[iv(0, 40)]);
        assert_eq!(a.intersection(&b).intervals(), &[iv(15, 20), iv(30, 35)]);
        assert_eq!(a.subtract(&b).intervals(), &[iv(0, 15), iv(35, 40)]);
        assert!(
            a.contains(Timestamp(0)) && !a.contains(Timestamp(20)) && a.contains(Timestamp(39))
        );
        assert!(!a.overlaps(&iv(20, 30)) && a.overlaps(&iv(19, 30)));
    }
}
