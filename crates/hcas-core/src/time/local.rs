//! Local wall time at the edges: dates, [`LocalTime`] and datetimes, strictly parsed.

use super::*;

pub(super) fn check_year(date: NaiveDate, text: &str) -> Result<()> {
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
