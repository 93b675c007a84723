//! `RRULE` values: [`Frequency`], [`WeekdayNum`], [`Until`] and [`RRule`],
//! with their RFC 5545 text: parsing (which ends in
//! [`RRuleBuilder::build`](super::RRuleBuilder::build)(super::RRuleBuilder::build)), Display and serde.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::time::Timestamp;

/// The `FREQ` of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum Frequency {
    /// Every second.
    Secondly,
    /// Every minute.
    Minutely,
    /// Every hour.
    Hourly,
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every year.
    Yearly,
}

impl Frequency {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Secondly => "SECONDLY",
            Self::Minutely => "MINUTELY",
            Self::Hourly => "HOURLY",
            Self::Daily => "DAILY",
            Self::Weekly => "WEEKLY",
            Self::Monthly => "MONTHLY",
            Self::Yearly => "YEARLY",
        }
    }
}

impl fmt::Display for Frequency {
    /// The RFC 5545 name: `DAILY`, `WEEKLY`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Frequency {
    type Err = Error;
    /// Parse an RFC 5545 `FREQ` value (`WEEKLY`), case-insensitive.
    fn from_str(value: &str) -> Result<Self> {
        Ok(match value.to_ascii_uppercase().as_str() {
            "SECONDLY" => Self::Secondly,
            "MINUTELY" => Self::Minutely,
            "HOURLY" => Self::Hourly,
            "DAILY" => Self::Daily,
            "WEEKLY" => Self::Weekly,
            "MONTHLY" => Self::Monthly,
            "YEARLY" => Self::Yearly,
            _ => {
                return Err(Error::rrule(format!(
                    "FREQ={value} is not one of SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY"
                )));
            }
        })
    }
}

/// A `BYDAY` entry: every such weekday (`MO`), or the n-th of the month or
/// year (`2TU`, `-1FR`). Build one with [`WeekdayNum::every`] or
/// [`WeekdayNum::nth`] (which checks the ordinal), or parse its RFC 5545 text.
///
/// ```
/// use hcas_core::WeekdayNum;
/// use hcas_core::chrono::Weekday;
/// let last_friday = WeekdayNum::nth(-1, Weekday::Fri).unwrap();
/// assert_eq!(last_friday.to_string(), "-1FR");
/// assert_eq!(last_friday.ordinal(), Some(-1));
/// assert_eq!(WeekdayNum::every(Weekday::Mon).to_string(), "MO");
/// assert_eq!("2tu".parse::<WeekdayNum>().unwrap(), WeekdayNum::nth(2, Weekday::Tue).unwrap());
/// assert_eq!(WeekdayNum::nth(0, Weekday::Mon).unwrap_err().code(), hcas_core::ErrorCode::InvalidRrule);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct WeekdayNum {
    /// 0 for every such weekday, else ±1..=53.
    pub(super) n: i8,
    pub(super) weekday: Weekday,
}

impl WeekdayNum {
    /// Every `weekday` of the period (`MO`).
    #[must_use]
    pub const fn every(weekday: Weekday) -> Self {
        Self { n: 0, weekday }
    }

    /// The `n`-th `weekday` of the month or year (`2TU`); negative counts from
    /// the end (`-1FR`, the last Friday). Only `FREQ=MONTHLY` and `YEARLY` rules
    /// accept one (checked when the rule is built).
    ///
    /// # Errors
    /// `invalid_rrule` unless `n` is in ±1..=53.
    pub fn nth(n: i8, weekday: Weekday) -> Result<Self> {
        if n == 0 || n.unsigned_abs() > 53 {
            return Err(Error::rrule(format!(
                "BYDAY: `{n}{}` has ordinal {n}; an ordinal is ±1..=53 (WeekdayNum::every for every such weekday)",
                weekday_code(weekday)
            )));
        }
        Ok(Self { n, weekday })
    }

    /// The weekday.
    #[must_use]
    pub const fn weekday(self) -> Weekday {
        self.weekday
    }

    /// The ordinal (±1..=53), or `None` for every such weekday.
    #[must_use]
    pub const fn ordinal(self) -> Option<i8> {
        if self.n == 0 { None } else { Some(self.n) }
    }
}

impl fmt::Display for WeekdayNum {
    /// RFC 5545 text: `MO`, `2TU`, `-1FR`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.n != 0 {
            write!(f, "{}", self.n)?;
        }
        f.write_str(weekday_code(self.weekday))
    }
}

impl FromStr for WeekdayNum {
    type Err = Error;
    /// Parse `MO`, `2TU`, `-1FR` (case-insensitive).
    fn from_str(item: &str) -> Result<Self> {
        let bad = || {
            Error::rrule(format!(
                "BYDAY: `{item}` is not a weekday like MO, 2TU or -1FR"
            ))
        };
        // Found by fuzzing: a multi-byte character where a weekday code should be.
        if item.len() < 2 || !item.is_ascii() {
            return Err(bad());
        }
        let (num, wd) = item.split_at(item.len() - 2);
        let weekday = parse_weekday(&wd.to_ascii_uppercase()).ok_or_else(bad)?;
        if num.is_empty() {
            return Ok(Self::every(weekday));
        }
        let digits = num.strip_prefix(['+', '-']).unwrap_or(num);
        if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Self::nth(num.parse().map_err(|_| bad())?, weekday)
    }
}

/// The `UNTIL` bound of a rule (inclusive). Its text form is the RFC 5545
/// value: `20261231`, `20261231T170000` or `20261231T220000Z`.
///
/// ```
/// use hcas_core::Until;
/// let u: Until = "20261231T220000Z".parse().unwrap();
/// assert!(matches!(u, Until::Timestamp(_)));
/// assert_eq!(u.to_string(), "20261231T220000Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Until {
    /// `...Z`: compared as an instant against the resolved occurrence.
    Timestamp(Timestamp),
    /// A local datetime: compared as local wall time.
    Local(NaiveDateTime),
    /// A date: occurrences on local dates up to and including it. Its year
    /// (like a [`Until::Local`]'s) must be in 1..=9999, checked when the rule is built.
    Date(NaiveDate),
}

impl Until {
    /// The rule every `UNTIL` obeys, however it was made: a year RFC 5545 can write.
    pub(super) fn check(self) -> Result<Self> {
        use chrono::Datelike;
        let year = match self {
            Self::Timestamp(_) => return Ok(self),
            Self::Local(l) => l.year(),
            Self::Date(d) => d.year(),
        };
        if (1..=9999).contains(&year) {
            Ok(self)
        } else {
            Err(Error::rrule(format!(
                "UNTIL: year {year} is outside 0001..9999"
            )))
        }
    }
}

impl fmt::Display for Until {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timestamp(t) => write!(f, "{}", t.naive_utc().format("%Y%m%dT%H%M%SZ")),
            Self::Local(l) => write!(f, "{}", l.format("%Y%m%dT%H%M%S")),
            Self::Date(d) => write!(f, "{}", d.format("%Y%m%d")),
        }
    }
}

impl FromStr for Until {
    type Err = Error;
    /// Parse an RFC 5545 `UNTIL` value.
    fn from_str(value: &str) -> Result<Self> {
        parse_until(value)?.check()
    }
}

/// A parsed, validated RFC 5545 `RRULE`: parse its text, or build one with
/// [`RRule::builder`]; both apply the same checks.
///
/// ```
/// use hcas_core::{Frequency, RRule, WeekdayNum};
/// use hcas_core::chrono::Weekday;
/// let r: RRule = "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1".parse().unwrap();
/// assert_eq!(r.to_string(), "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1");
/// assert_eq!("FREQ=FORTNIGHTLY".parse::<RRule>().unwrap_err().code(), hcas_core::ErrorCode::InvalidRrule);
///
/// // Every other week on Monday and Thursday, ten times.
/// let built = RRule::builder(Frequency::Weekly)
///     .interval(2)
///     .by_day([WeekdayNum::every(Weekday::Mon), WeekdayNum::every(Weekday::Thu)])
///     .count(10)
///     .build()
///     .unwrap();
/// assert_eq!(built.to_string(), "FREQ=WEEKLY;COUNT=10;INTERVAL=2;BYDAY=MO,TH");
/// assert_eq!(built, "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10".parse().unwrap());
/// assert_eq!(built.interval(), 2);
///
/// // The parser's rules hold for built rules too: a numbered BYDAY needs MONTHLY or YEARLY.
/// let bad = RRule::builder(Frequency::Weekly)
///     .by_day([WeekdayNum::nth(-1, Weekday::Fri).unwrap()])
///     .build();
/// assert_eq!(bad.unwrap_err().code(), hcas_core::ErrorCode::InvalidRrule);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RRule {
    pub(super) freq: Frequency,
    pub(super) interval: u64,
    pub(super) count: Option<u64>,
    pub(super) until: Option<Until>,
    pub(super) by_second: Vec<u8>,
    pub(super) by_minute: Vec<u8>,
    pub(super) by_hour: Vec<u8>,
    pub(super) by_day: Vec<WeekdayNum>,
    pub(super) by_month_day: Vec<i8>,
    pub(super) by_year_day: Vec<i16>,
    pub(super) by_week_no: Vec<i8>,
    pub(super) by_month: Vec<u8>,
    pub(super) by_set_pos: Vec<i16>,
    pub(super) wkst: Weekday,
}

/// The RFC 5545 code of a weekday (`MO` … `SU`).
///
/// ```
/// use chrono::Weekday;
/// assert_eq!(hcas_core::recurrence::weekday_code(Weekday::Thu), "TH");
/// ```
#[must_use]
pub fn weekday_code(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

/// The weekday of an RFC 5545 code, exactly as written there (`MO` … `SU`,
/// upper case); `None` for anything else.
///
/// ```
/// use chrono::Weekday;
/// use hcas_core::recurrence::parse_weekday;
/// assert_eq!(parse_weekday("SU"), Some(Weekday::Sun));
/// assert_eq!(parse_weekday("su"), None);
/// ```
#[must_use]
pub fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

/// The integers of a list part, syntax only (their range is [`RRuleBuilder::build`](super::RRuleBuilder::build)'s
/// to check). RFC 5545 allows a sign only where negative values exist.
fn parse_int_list(name: &str, value: &str, signed: bool) -> Result<Vec<i64>> {
    value
        .split(',')
        .map(|item| {
            let digits = if signed {
                item.strip_prefix(['+', '-']).unwrap_or(item)
            } else {
                item
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 4
            {
                return Err(Error::rrule(format!(
                    "{name}={value}: `{item}` is not {}an integer",
                    if signed {
                        "a signed "
                    } else {
                        "a non-negative "
                    }
                )));
            }
            item.parse()
                .map_err(|_| Error::rrule(format!("{name}={value}: `{item}` is not an integer")))
        })
        .collect()
}

/// A non-negative decimal integer of any length (RFC 5545 sets no maximum); values
/// beyond `u64` saturate, which changes no answer (they reach past year 9999).
/// Zero is [`RRuleBuilder::build`](super::RRuleBuilder::build)'s to refuse.
fn decimal(name: &str, value: &str) -> Result<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::rrule(format!(
            "{name}={value} must be a positive integer"
        )));
    }
    Ok(value.parse::<u64>().unwrap_or(u64::MAX))
}

/// The syntax of an `UNTIL` value; its year range is [`Until::check`]'s.
fn parse_until(value: &str) -> Result<Until> {
    let bad = || {
        Error::rrule(format!(
            "UNTIL={value}: expected YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ"
        ))
    };
    let b = value.as_bytes();
    if !b.iter().take(8).all(u8::is_ascii_digit) || b.len() < 8 {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32> {
        value
            .get(r)
            .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)
    };
    let year = i32::try_from(num(0..4)?).map_err(|_| bad())?;
    let date = NaiveDate::from_ymd_opt(year, num(4..6)?, num(6..8)?).ok_or_else(bad)?;
    match b.len() {
        8 => Ok(Until::Date(date)),
        15 | 16 if b[8] == b'T' => {
            let time =
                NaiveTime::from_hms_opt(num(9..11)?, num(11..13)?, num(13..15)?).ok_or_else(bad)?;
            let dt = date.and_time(time);
            match b.get(15) {
                None => Ok(Until::Local(dt)),
                Some(b'Z') => Timestamp::from_naive_utc(dt)
                    .map(Until::Timestamp)
                    .map_err(|_| bad()),
                Some(_) => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

impl RRule {
    /// Parse RRULE text (`RRULE:` prefix optional, names case-insensitive).
    /// The text fills an [`RRuleBuilder`](super::RRuleBuilder), whose [`build`](super::RRuleBuilder::build)
    /// checks it.
    ///
    /// # Errors
    /// `invalid_rrule`, with a message naming the offending part.
    pub fn parse(text: &str) -> Result<Self> {
        if !text.is_ascii() {
            return Err(Error::rrule(format!(
                "`{text}` has non-ASCII characters; RRULE text is ASCII (FREQ=...;BYDAY=MO,...)"
            )));
        }
        let upper = text.trim().to_ascii_uppercase();
        let body = upper.strip_prefix("RRULE:").unwrap_or(&upper);
        if body.is_empty() {
            return Err(Error::rrule(
                "the rule is empty; it needs at least FREQ=...",
            ));
        }
        let mut freq = None;
        let mut b = Self::builder(Frequency::Daily);
        let mut seen: Vec<&str> = Vec::new();
        for part in body.split(';') {
            let (name, value) = part.split_once('=').ok_or_else(|| {
                Error::rrule(format!("`{part}` is not NAME=VALUE (rule: {text})"))
            })?;
            if value.is_empty() {
                return Err(Error::rrule(format!("{name} has no value")));
            }
            if seen.contains(&name) {
                return Err(Error::rrule(format!("{name} appears more than once")));
            }
            seen.push(name);
            match name {
                "FREQ" => freq = Some(value.parse::<Frequency>()?),
                "INTERVAL" => b.interval = decimal(name, value)?,
                "COUNT" => b.count = Some(decimal(name, value)?),
                "UNTIL" => b.until = Some(parse_until(value)?),
                "BYSECOND" => b.by_second = parse_int_list(name, value, false)?,
                "BYMINUTE" => b.by_minute = parse_int_list(name, value, false)?,
                "BYHOUR" => b.by_hour = parse_int_list(name, value, false)?,
                "BYMONTHDAY" => b.by_month_day = parse_int_list(name, value, true)?,
                "BYYEARDAY" => b.by_year_day = parse_int_list(name, value, true)?,
                "BYWEEKNO" => b.by_week_no = parse_int_list(name, value, true)?,
                "BYMONTH" => b.by_month = parse_int_list(name, value, false)?,
                "BYSETPOS" => b.by_set_pos = parse_int_list(name, value, true)?,
                "WKST" => {
                    b.wkst = parse_weekday(value).ok_or_else(|| {
                        Error::rrule(format!("WKST={value} is not a weekday (MO..SU)"))
                    })?;
                }
                "BYDAY" => {
                    b.by_day = value
                        .split(',')
                        .map(str::parse::<WeekdayNum>)
                        .collect::<Result<_>>()?;
                }
                _ => {
                    return Err(Error::rrule(format!(
                        "unknown rule part `{name}` (RFC 5545 parts: FREQ, UNTIL, COUNT, INTERVAL, BYSECOND, BYMINUTE, BYHOUR, BYDAY, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYMONTH, BYSETPOS, WKST)"
                    )));
                }
            }
        }
        b.freq = freq.ok_or_else(|| Error::rrule(format!("`{text}` has no FREQ")))?;
        b.build()
    }

    /// `FREQ`.
    #[must_use]
    pub const fn freq(&self) -> Frequency {
        self.freq
    }

    /// `FREQ` (the same as [`RRule::freq`]).
    #[must_use]
    pub const fn frequency(&self) -> Frequency {
        self.freq
    }

    /// `INTERVAL` (1 when not given).
    #[must_use]
    pub const fn interval(&self) -> u64 {
        self.interval
    }

    /// `COUNT`, if any.
    #[must_use]
    pub const fn count(&self) -> Option<u64> {
        self.count
    }

    /// `UNTIL`, if any.
    #[must_use]
    pub const fn until(&self) -> Option<Until> {
        self.until
    }

    /// `BYSECOND`, ascending (empty when not given).
    #[must_use]
    pub fn by_second(&self) -> &[u8] {
        &self.by_second
    }

    /// `BYMINUTE`, ascending (empty when not given).
    #[must_use]
    pub fn by_minute(&self) -> &[u8] {
        &self.by_minute
    }

    /// `BYHOUR`, ascending (empty when not given).
    #[must_use]
    pub fn by_hour(&self) -> &[u8] {
        &self.by_hour
    }

    /// `BYDAY`, in the order given (empty when not given).
    #[must_use]
    pub fn by_day(&self) -> &[WeekdayNum] {
        &self.by_day
    }

    /// `BYMONTHDAY`, ascending (empty when not given).
    #[must_use]
    pub fn by_month_day(&self) -> &[i8] {
        &self.by_month_day
    }

    /// `BYYEARDAY`, ascending (empty when not given).
    #[must_use]
    pub fn by_year_day(&self) -> &[i16] {
        &self.by_year_day
    }

    /// `BYWEEKNO`, ascending (empty when not given).
    #[must_use]
    pub fn by_week_no(&self) -> &[i8] {
        &self.by_week_no
    }

    /// `BYMONTH`, ascending (empty when not given).
    #[must_use]
    pub fn by_month(&self) -> &[u8] {
        &self.by_month
    }

    /// `BYSETPOS`, ascending (empty when not given).
    #[must_use]
    pub fn by_set_pos(&self) -> &[i16] {
        &self.by_set_pos
    }

    /// `WKST` (Monday when not given).
    #[must_use]
    pub const fn wkst(&self) -> Weekday {
        self.wkst
    }

    /// Whether the rule uses BYHOUR, BYMINUTE or BYSECOND.
    #[must_use]
    pub fn has_time_parts(&self) -> bool {
        !(self.by_hour.is_empty() && self.by_minute.is_empty() && self.by_second.is_empty())
    }
}

impl fmt::Display for RRule {
    /// The RFC 5545 text (without the `RRULE:` prefix), parts in a fixed order;
    /// it parses back to an equal rule.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, name: &str, v: &[T]) -> fmt::Result {
            if v.is_empty() {
                return Ok(());
            }
            write!(f, ";{name}=")?;
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{x}")?;
            }
            Ok(())
        }
        write!(f, "FREQ={}", self.freq.as_str())?;
        if let Some(u) = self.until {
            write!(f, ";UNTIL={u}")?;
        }
        if let Some(c) = self.count {
            write!(f, ";COUNT={c}")?;
        }
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        list(f, "BYSECOND", &self.by_second)?;
        list(f, "BYMINUTE", &self.by_minute)?;
        list(f, "BYHOUR", &self.by_hour)?;
        list(f, "BYDAY", &self.by_day)?;
        list(f, "BYMONTHDAY", &self.by_month_day)?;
        list(f, "BYYEARDAY", &self.by_year_day)?;
        list(f, "BYWEEKNO", &self.by_week_no)?;
        list(f, "BYMONTH", &self.by_month)?;
        list(f, "BYSETPOS", &self.by_set_pos)?;
        if self.wkst != Weekday::Mon {
            write!(f, ";WKST={}", weekday_code(self.wkst))?;
        }
        Ok(())
    }
}

impl FromStr for RRule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// Serialises an RFC 5545 text value with `Display`, deserialises with
/// `FromStr` (so every check applies on the way in).
macro_rules! serde_as_text {
    ($($t:ty),+) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )+};
}

serde_as_text!(RRule, WeekdayNum, Until);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn every(w: Weekday) -> WeekdayNum {
        WeekdayNum::every(w)
    }

    #[test]
    fn weekday_num_until_and_frequency_text() {
        assert_eq!(
            WeekdayNum::nth(53, Weekday::Sun).unwrap().to_string(),
            "53SU"
        );
        assert_eq!(
            WeekdayNum::nth(-53, Weekday::Sun).unwrap().ordinal(),
            Some(-53)
        );
        assert_eq!(every(Weekday::Wed).ordinal(), None);
        assert_eq!(every(Weekday::Wed).weekday(), Weekday::Wed);
        for bad in [0, 54, -54, i8::MIN, i8::MAX] {
            let e = WeekdayNum::nth(bad, Weekday::Tue).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidRrule);
            assert!(e.message().contains("BYDAY"), "{}", e.message());
        }
        assert_eq!(
            "+2tu".parse::<WeekdayNum>().unwrap(),
            WeekdayNum::nth(2, Weekday::Tue).unwrap()
        );
        for bad in ["", "M", "XX", "0MO", "100MO", "+MO", "1\u{e9}O", "MO1"] {
            assert_eq!(
                bad.parse::<WeekdayNum>().unwrap_err().code(),
                ErrorCode::InvalidRrule,
                "{bad}"
            );
        }
        for text in ["20261231", "20261231T170000", "20261231T170000Z"] {
            assert_eq!(text.parse::<Until>().unwrap().to_string(), text);
        }
        for bad in [
            "00000101",
            "2026",
            "20261301",
            "20261231T250000",
            "20261231T170000X",
        ] {
            assert_eq!(
                bad.parse::<Until>().unwrap_err().code(),
                ErrorCode::InvalidRrule,
                "{bad}"
            );
        }
        assert_eq!("weekly".parse::<Frequency>().unwrap(), Frequency::Weekly);
        assert_eq!(Frequency::Secondly.to_string(), "SECONDLY");
        assert_eq!(
            "FORTNIGHTLY".parse::<Frequency>().unwrap_err().code(),
            ErrorCode::InvalidRrule
        );
    }

    #[test]
    fn serde_is_rfc_text_both_ways() {
        let r: RRule = serde_json::from_str("\"FREQ=WEEKLY;BYDAY=MO,FR;COUNT=4\"").unwrap();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            "\"FREQ=WEEKLY;COUNT=4;BYDAY=MO,FR\""
        );
        let e = serde_json::from_str::<RRule>("\"FREQ=WEEKLY;BYDAY=1MO\"").unwrap_err();
        assert!(e.to_string().contains("numbered BYDAY"), "{e}");
        let w: WeekdayNum = serde_json::from_str("\"-1FR\"").unwrap();
        assert_eq!(serde_json::to_string(&w).unwrap(), "\"-1FR\"");
        assert!(serde_json::from_str::<WeekdayNum>("\"0FR\"").is_err());
        let u: Until = serde_json::from_str("\"20261231T170000Z\"").unwrap();
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"20261231T170000Z\"");
        assert!(serde_json::from_str::<Until>("\"00001231\"").is_err());
    }

    #[test]
    fn rejects_rfc_violations() {
        for bad in [
            "FREQ=WEEKLY;BYDAY=1MO",
            "FREQ=MONTHLY;BYWEEKNO=3",
            "FREQ=DAILY;COUNT=3;UNTIL=20260101",
            "FREQ=DAILY;INTERVAL=0",
            "FREQ=DAILY;BYSETPOS=1",
            "FREQ=WEEKLY;BYMONTHDAY=3",
            "FREQ=MONTHLY;BYYEARDAY=3",
            "FREQ=DAILY;FREQ=DAILY",
            "BYDAY=MO",
            "FREQ=DAILY;BYMONTH=0",
            "FREQ=DAILY;UNTIL=2026",
            "FREQ=DAILY;X-FOO=1",
            // Found by fuzzing: a multi-byte character where a weekday code should be.
            "FREQ=DAILY;BYDAY=\u{e9}O",
        ] {
            assert_eq!(
                RRule::parse(bad).unwrap_err().code(),
                crate::ErrorCode::InvalidRrule,
                "{bad}"
            );
        }
    }
}
