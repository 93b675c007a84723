//! UTC instants, half-open intervals, interval sets, and strict parsing of the
//! shared encodings (RFC 3339 instants, local dates, times and datetimes).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
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

    /// This instant plus `minutes` minutes (negative: earlier).
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

/// A local wall-clock time of day; `24:00` is representable as the end of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    secs: u32,
}

impl LocalTime {
    /// Seconds after local midnight, `0..=86_400` (86 400 is `24:00`).
    #[must_use]
    pub const fn seconds(self) -> u32 {
        self.secs
    }

    /// Whether this is `24:00`, the midnight that ends the day.
    #[must_use]
    pub const fn is_end_of_day(self) -> bool {
        self.secs == 86_400
    }

    /// From hours, minutes, seconds; `24:00:00` allowed.
    #[must_use]
    pub fn from_hms(h: u32, m: u32, s: u32) -> Option<Self> {
        if (h < 24 && m < 60 && s < 60) || (h == 24 && m == 0 && s == 0) {
            Some(Self {
                secs: h * 3600 + m * 60 + s,
            })
        } else {
            None
        }
    }

    /// Parse `HH:MM` or `HH:MM:SS`; `allow_24` admits `24:00` (end of day).
    ///
    /// # Errors
    /// `invalid_datetime` when malformed or out of range.
    pub fn parse(text: &str, allow_24: bool) -> Result<Self> {
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
        let t = Self::from_hms(h, m, s).ok_or_else(bad)?;
        if t.is_end_of_day() && !allow_24 {
            return Err(Error::datetime(format!(
                "`{text}`: 24:00 is only allowed as the end of a window"
            )));
        }
        Ok(t)
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
        Self::parse(&s, true).map_err(serde::de::Error::custom)
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
    let time = LocalTime::parse(t, false).map_err(|_| bad())?;
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
        assert_eq!(LocalTime::parse("24:00", true).unwrap().seconds(), 86_400);
        assert!(LocalTime::parse("24:00", false).is_err());
        assert!(LocalTime::parse("24:01", true).is_err());
        assert!(LocalTime::parse("25:00", true).is_err());
        assert_eq!(
            LocalTime::parse("09:30:15", false).unwrap().seconds(),
            34_215
        );
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
