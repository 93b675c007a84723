//! `RRULE` values: [`Frequency`], [`WeekdayNum`], [`Until`] and [`RRule`], with parsing, validation and Display.

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

/// A `BYDAY` entry: a weekday, optionally the n-th (`2TU`, `-1FR`) of the month or year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WeekdayNum {
    /// 0 for every such weekday, else ±1..=53.
    pub n: i8,
    /// The weekday.
    pub weekday: Weekday,
}

/// The `UNTIL` bound of a rule (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Until {
    /// `...Z`: compared as an instant against the resolved occurrence.
    Timestamp(Timestamp),
    /// A local datetime: compared as local wall time.
    Local(NaiveDateTime),
    /// A date: occurrences on local dates up to and including it.
    Date(NaiveDate),
}

/// A parsed, validated RFC 5545 `RRULE`.
///
/// ```
/// use hcas_core::RRule;
/// let r: RRule = "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1".parse().unwrap();
/// assert_eq!(r.to_string(), "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1");
/// assert_eq!("FREQ=FORTNIGHTLY".parse::<RRule>().unwrap_err().code(), hcas_core::ErrorCode::InvalidRrule);
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

fn weekday_code(w: Weekday) -> &'static str {
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

fn parse_weekday(s: &str) -> Option<Weekday> {
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

fn parse_int_list<T: TryFrom<i64> + Ord + Copy>(
    name: &str,
    value: &str,
    lo: i64,
    hi: i64,
    allow_zero: bool,
    allow_negative: bool,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for item in value.split(',') {
        let bad = || {
            Error::rrule(format!(
                "{name}={value}: `{item}` must be an integer in {}{lo}..{hi}",
                if allow_negative { "±" } else { "" }
            ))
        };
        // RFC 5545: a sign only where negative values exist (BYMONTHDAY, BYYEARDAY, ...).
        let digits = if allow_negative {
            item.strip_prefix(['+', '-']).unwrap_or(item)
        } else {
            item
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 4 {
            return Err(bad());
        }
        let n: i64 = item.parse().map_err(|_| bad())?;
        let mag = n.abs();
        if (n < 0 && !allow_negative) || (n == 0 && !allow_zero) || mag < lo.min(1) || mag > hi {
            return Err(bad());
        }
        if !allow_zero && mag < lo {
            return Err(bad());
        }
        out.push(T::try_from(n).map_err(|_| bad())?);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// A positive decimal integer of any length (RFC 5545 sets no maximum); values
/// beyond `u64` saturate, which changes no answer (they reach past year 9999).
fn positive_integer(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = value.parse::<u64>().unwrap_or(u64::MAX);
    (n >= 1).then_some(n)
}

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
    if year < 1 {
        return Err(bad());
    }
    match b.len() {
        8 => Ok(Until::Date(date)),
        15 | 16 if b[8] == b'T' => {
            let time =
                NaiveTime::from_hms_opt(num(9..11)?, num(11..13)?, num(13..15)?).ok_or_else(bad)?;
            let dt = date.and_time(time);
            match b.get(15) {
                None => Ok(Until::Local(dt)),
                Some(b'Z') => Timestamp::from_naive_utc(dt).map(Until::Timestamp),
                Some(_) => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

impl RRule {
    /// Parse RRULE text (`RRULE:` prefix optional, names case-insensitive).
    ///
    /// # Errors
    /// `invalid_rrule`, with a message naming the offending part.
    #[allow(clippy::too_many_lines)]
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
        let mut rule = Self {
            freq: Frequency::Daily,
            interval: 1,
            count: None,
            until: None,
            by_second: Vec::new(),
            by_minute: Vec::new(),
            by_hour: Vec::new(),
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_year_day: Vec::new(),
            by_week_no: Vec::new(),
            by_month: Vec::new(),
            by_set_pos: Vec::new(),
            wkst: Weekday::Mon,
        };
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
                "FREQ" => {
                    freq = Some(match value {
                        "SECONDLY" => Frequency::Secondly,
                        "MINUTELY" => Frequency::Minutely,
                        "HOURLY" => Frequency::Hourly,
                        "DAILY" => Frequency::Daily,
                        "WEEKLY" => Frequency::Weekly,
                        "MONTHLY" => Frequency::Monthly,
                        "YEARLY" => Frequency::Yearly,
                        _ => {
                            return Err(Error::rrule(format!(
                                "FREQ={value} is not one of SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY"
                            )));
                        }
                    });
                }
                "INTERVAL" => {
                    rule.interval = positive_integer(value).ok_or_else(|| {
                        Error::rrule(format!("INTERVAL={value} must be a positive integer"))
                    })?;
                }
                "COUNT" => {
                    rule.count = Some(positive_integer(value).ok_or_else(|| {
                        Error::rrule(format!("COUNT={value} must be a positive integer"))
                    })?);
                }
                "UNTIL" => rule.until = Some(parse_until(value)?),
                "BYSECOND" => rule.by_second = parse_int_list(name, value, 0, 59, true, false)?,
                "BYMINUTE" => rule.by_minute = parse_int_list(name, value, 0, 59, true, false)?,
                "BYHOUR" => rule.by_hour = parse_int_list(name, value, 0, 23, true, false)?,
                "BYMONTHDAY" => {
                    rule.by_month_day = parse_int_list(name, value, 1, 31, false, true)?
                }
                "BYYEARDAY" => rule.by_year_day = parse_int_list(name, value, 1, 366, false, true)?,
                "BYWEEKNO" => rule.by_week_no = parse_int_list(name, value, 1, 53, false, true)?,
                "BYMONTH" => rule.by_month = parse_int_list(name, value, 1, 12, false, false)?,
                "BYSETPOS" => rule.by_set_pos = parse_int_list(name, value, 1, 366, false, true)?,
                "WKST" => {
                    rule.wkst = parse_weekday(value).ok_or_else(|| {
                        Error::rrule(format!("WKST={value} is not a weekday (MO..SU)"))
                    })?;
                }
                "BYDAY" => {
                    for item in value.split(',') {
                        let bad = || {
                            Error::rrule(format!(
                                "BYDAY={value}: `{item}` is not a weekday like MO, 2TU or -1FR"
                            ))
                        };
                        if item.len() < 2 {
                            return Err(bad());
                        }
                        let (num, wd) = item.split_at(item.len() - 2);
                        let weekday = parse_weekday(wd).ok_or_else(bad)?;
                        let n = if num.is_empty() {
                            0
                        } else {
                            let digits = num.strip_prefix(['+', '-']).unwrap_or(num);
                            if digits.is_empty()
                                || digits.len() > 2
                                || !digits.bytes().all(|b| b.is_ascii_digit())
                            {
                                return Err(bad());
                            }
                            let n: i8 = num.parse().map_err(|_| bad())?;
                            if n == 0 || n.abs() > 53 {
                                return Err(bad());
                            }
                            n
                        };
                        let e = WeekdayNum { n, weekday };
                        if !rule.by_day.contains(&e) {
                            rule.by_day.push(e);
                        }
                    }
                }
                _ => {
                    return Err(Error::rrule(format!(
                        "unknown rule part `{name}` (RFC 5545 parts: FREQ, UNTIL, COUNT, INTERVAL, BYSECOND, BYMINUTE, BYHOUR, BYDAY, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYMONTH, BYSETPOS, WKST)"
                    )));
                }
            }
        }
        rule.freq = freq.ok_or_else(|| Error::rrule(format!("`{text}` has no FREQ")))?;
        rule.validate()?;
        Ok(rule)
    }

    fn validate(&self) -> Result<()> {
        use Frequency::{Daily, Monthly, Weekly, Yearly};
        if self.count.is_some() && self.until.is_some() {
            return Err(Error::rrule("COUNT and UNTIL must not both be given"));
        }
        if !self.by_week_no.is_empty() && self.freq != Yearly {
            return Err(Error::rrule("BYWEEKNO is only valid with FREQ=YEARLY"));
        }
        if !self.by_year_day.is_empty() && matches!(self.freq, Daily | Weekly | Monthly) {
            return Err(Error::rrule(
                "BYYEARDAY must not be used with FREQ=DAILY, WEEKLY or MONTHLY",
            ));
        }
        if !self.by_month_day.is_empty() && self.freq == Weekly {
            return Err(Error::rrule("BYMONTHDAY must not be used with FREQ=WEEKLY"));
        }
        if self.by_day.iter().any(|d| d.n != 0) {
            if !matches!(self.freq, Monthly | Yearly) {
                return Err(Error::rrule(
                    "a numbered BYDAY (like 2TU) is only valid with FREQ=MONTHLY or YEARLY",
                ));
            }
            if self.freq == Yearly && !self.by_week_no.is_empty() {
                return Err(Error::rrule(
                    "a numbered BYDAY must not be combined with BYWEEKNO",
                ));
            }
        }
        let has_other_by = !(self.by_second.is_empty()
            && self.by_minute.is_empty()
            && self.by_hour.is_empty()
            && self.by_day.is_empty()
            && self.by_month_day.is_empty()
            && self.by_year_day.is_empty()
            && self.by_week_no.is_empty()
            && self.by_month.is_empty());
        if !self.by_set_pos.is_empty() && !has_other_by {
            return Err(Error::rrule(
                "BYSETPOS needs another BYxxx part to select from",
            ));
        }
        Ok(())
    }

    /// The frequency.
    #[must_use]
    pub const fn frequency(&self) -> Frequency {
        self.freq
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

    /// Whether the rule uses BYHOUR, BYMINUTE or BYSECOND.
    #[must_use]
    pub fn has_time_parts(&self) -> bool {
        !(self.by_hour.is_empty() && self.by_minute.is_empty() && self.by_second.is_empty())
    }
}

impl fmt::Display for RRule {
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
        match self.until {
            Some(Until::Timestamp(t)) => {
                write!(f, ";UNTIL={}", t.naive_utc().format("%Y%m%dT%H%M%SZ"))?
            }
            Some(Until::Local(l)) => write!(f, ";UNTIL={}", l.format("%Y%m%dT%H%M%S"))?,
            Some(Until::Date(d)) => write!(f, ";UNTIL={}", d.format("%Y%m%d"))?,
            None => {}
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
        if !self.by_day.is_empty() {
            let days: Vec<String> = self
                .by_day
                .iter()
                .map(|d| {
                    if d.n == 0 {
                        weekday_code(d.weekday).to_string()
                    } else {
                        format!("{}{}", d.n, weekday_code(d.weekday))
                    }
                })
                .collect();
            list(f, "BYDAY", &days)?;
        }
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

impl Serialize for RRule {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
