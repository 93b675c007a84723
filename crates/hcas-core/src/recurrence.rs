//! RFC 5545 recurrence rules, expanded in local wall time and resolved with
//! the "compatible" DST rule (see `docs/vectors.md`).
//!
//! Expansion follows the RFC's period model: for each period of the rule's
//! frequency (a year, month, week, day, hour, minute or second, stepping by
//! `INTERVAL`), the BY* parts select the days and times inside it, BYSETPOS
//! picks among them, and instances before `DTSTART` are dropped. Rules without
//! `COUNT` start at the period that contains the query window instead of at
//! `DTSTART`, so a rule that began decades ago costs the same as a new one.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::time::{Instant, parse_local_datetime};
use crate::zone::Zone;

/// Maximum span of a recurrence query window, in days (100 Julian years).
pub const MAX_RECURRENCE_WINDOW_DAYS: i64 = 36_525;
/// Maximum number of occurrences one query returns when it sets no `limit`.
pub const MAX_OCCURRENCES: usize = 100_000;
/// Maximum number of rule periods one query may step through.
pub const MAX_PERIODS: u64 = 10_000_000;

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
    Instant(Instant),
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
    freq: Frequency,
    interval: u32,
    count: Option<u32>,
    until: Option<Until>,
    by_second: Vec<u8>,
    by_minute: Vec<u8>,
    by_hour: Vec<u8>,
    by_day: Vec<WeekdayNum>,
    by_month_day: Vec<i8>,
    by_year_day: Vec<i16>,
    by_week_no: Vec<i8>,
    by_month: Vec<u8>,
    by_set_pos: Vec<i16>,
    wkst: Weekday,
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
        let digits = item.strip_prefix(['+', '-']).unwrap_or(item);
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
                Some(b'Z') => Ok(Until::Instant(Instant::from_naive_utc(dt))),
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
                    rule.interval = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| {
                            (1..=100_000).contains(n) && value.bytes().all(|b| b.is_ascii_digit())
                        })
                        .ok_or_else(|| {
                            Error::rrule(format!("INTERVAL={value} must be a positive integer"))
                        })?;
                }
                "COUNT" => {
                    rule.count = Some(
                        value
                            .parse::<u32>()
                            .ok()
                            .filter(|n| *n >= 1 && value.bytes().all(|b| b.is_ascii_digit()))
                            .ok_or_else(|| {
                                Error::rrule(format!("COUNT={value} must be a positive integer"))
                            })?,
                    );
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
            if self.freq == Monthly && self.by_day.iter().any(|d| d.n.abs() > 5) {
                return Err(Error::rrule(
                    "with FREQ=MONTHLY a numbered BYDAY is within ±1..5",
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
    pub const fn count(&self) -> Option<u32> {
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
            Some(Until::Instant(t)) => {
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

/// Bit set over small signed integers (positive and negative halves).
#[derive(Debug, Clone, Default)]
struct SignedSet {
    pos: [u64; 6],
    neg: [u64; 6],
    any: bool,
}

impl SignedSet {
    fn from_iter(values: impl IntoIterator<Item = i64>) -> Self {
        let mut s = Self::default();
        for v in values {
            s.any = true;
            let (arr, m) = if v > 0 {
                (&mut s.pos, v)
            } else {
                (&mut s.neg, -v)
            };
            let m = usize::try_from(m).unwrap_or(0);
            if m < 384 {
                arr[m / 64] |= 1 << (m % 64);
            }
        }
        s
    }
    /// Whether `pos` (1-based) or its negative form `neg` (-1 = last) is in the set.
    fn has(&self, pos: u32, neg: u32) -> bool {
        let bit = |arr: &[u64; 6], m: u32| {
            let m = m as usize;
            m < 384 && arr[m / 64] & (1 << (m % 64)) != 0
        };
        bit(&self.pos, pos) || bit(&self.neg, neg)
    }
}

/// Days between `a` and `b` (`b - a`).
fn days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    (b - a).num_days()
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let first = NaiveDate::from_ymd_opt(year, month, 1);
    match (first, next) {
        (Some(a), Some(b)) => u32::try_from(days_between(a, b)).unwrap_or(30),
        _ => 30,
    }
}

fn days_in_year(year: i32) -> u32 {
    if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
        366
    } else {
        365
    }
}

/// Start of the week (beginning on `wkst`) that contains `d`.
fn week_start(d: NaiveDate, wkst: Weekday) -> NaiveDate {
    let back = (7 + d.weekday().num_days_from_monday() - wkst.num_days_from_monday()) % 7;
    d - TimeDelta::days(i64::from(back))
}

/// (week number, weeks in that week-numbering year) of `d`, RFC 5545 / ISO 8601
/// with week start `wkst`: week 1 is the first week with at least four days in the year.
fn week_number(d: NaiveDate, wkst: Weekday) -> (u32, u32) {
    let ws = week_start(d, wkst);
    let wy = (ws + TimeDelta::days(3)).year();
    let first = |y: i32| NaiveDate::from_ymd_opt(y, 1, 4).map_or(ws, |jan4| week_start(jan4, wkst));
    let w1 = first(wy);
    let week = u32::try_from(days_between(w1, ws) / 7 + 1).unwrap_or(1);
    let weeks = u32::try_from(days_between(w1, first(wy + 1)) / 7).unwrap_or(52);
    (week, weeks)
}

/// A rule bound to its `DTSTART`, with RFC 5545's implicit defaults made explicit.
#[derive(Debug, Clone)]
struct Plan {
    freq: Frequency,
    interval: i64,
    dtstart: NaiveDateTime,
    months: u16,
    month_days: SignedSet,
    year_days: SignedSet,
    week_nos: SignedSet,
    weekdays_plain: u8,
    weekdays_nth: Vec<WeekdayNum>,
    hours: Vec<u32>,
    minutes: Vec<u32>,
    seconds: Vec<u32>,
    /// For coarse frequencies: the sorted times of day (seconds) of every instance.
    times: Vec<u32>,
    set_pos: Vec<i16>,
    wkst: Weekday,
    has_day_filter: bool,
}

impl Plan {
    fn new(rule: &RRule, dtstart: NaiveDateTime) -> Self {
        use Frequency::{Daily, Hourly, Minutely, Monthly, Weekly, Yearly};
        let freq = rule.freq;
        let mut by_month: Vec<u8> = rule.by_month.clone();
        let mut by_month_day: Vec<i8> = rule.by_month_day.clone();
        let mut by_day = rule.by_day.clone();
        if rule.by_week_no.is_empty()
            && rule.by_year_day.is_empty()
            && rule.by_month_day.is_empty()
            && rule.by_day.is_empty()
        {
            let day = i8::try_from(dtstart.day()).unwrap_or(1);
            match freq {
                Yearly => {
                    if by_month.is_empty() {
                        by_month.push(u8::try_from(dtstart.month()).unwrap_or(1));
                    }
                    by_month_day.push(day);
                }
                Monthly => by_month_day.push(day),
                Weekly => by_day.push(WeekdayNum {
                    n: 0,
                    weekday: dtstart.weekday(),
                }),
                _ => {}
            }
        }
        let or_default = |v: &[u8], d: u32, applies: bool| -> Vec<u32> {
            if v.is_empty() {
                if applies { vec![d] } else { Vec::new() }
            } else {
                v.iter().map(|&x| u32::from(x)).collect()
            }
        };
        let hours = or_default(&rule.by_hour, dtstart.hour(), freq > Hourly);
        let minutes = or_default(&rule.by_minute, dtstart.minute(), freq > Minutely);
        let seconds = or_default(
            &rule.by_second,
            dtstart.second(),
            freq > Frequency::Secondly,
        );
        let mut times = Vec::new();
        if freq >= Daily {
            for &h in &hours {
                for &m in &minutes {
                    for &s in &seconds {
                        times.push(h * 3600 + m * 60 + s);
                    }
                }
            }
            times.sort_unstable();
        }
        let months = by_month.iter().fold(0u16, |acc, &m| acc | (1 << m));
        let mut weekdays_plain = 0u8;
        let mut weekdays_nth = Vec::new();
        for d in &by_day {
            if d.n == 0 {
                weekdays_plain |= 1 << d.weekday.num_days_from_monday();
            } else {
                weekdays_nth.push(*d);
            }
        }
        let month_days = SignedSet::from_iter(by_month_day.iter().map(|&x| i64::from(x)));
        let year_days = SignedSet::from_iter(rule.by_year_day.iter().map(|&x| i64::from(x)));
        let week_nos = SignedSet::from_iter(rule.by_week_no.iter().map(|&x| i64::from(x)));
        let has_day_filter =
            months != 0 || month_days.any || year_days.any || week_nos.any || !by_day.is_empty();
        Self {
            freq,
            interval: i64::from(rule.interval),
            dtstart,
            months,
            month_days,
            year_days,
            week_nos,
            weekdays_plain,
            weekdays_nth,
            hours,
            minutes,
            seconds,
            times,
            set_pos: rule.by_set_pos.clone(),
            wkst: rule.wkst,
            has_day_filter,
        }
    }

    /// Whether local date `d` passes every day-level BY* part.
    fn day_ok(&self, d: NaiveDate) -> bool {
        if !self.has_day_filter {
            return true;
        }
        let month = d.month();
        if self.months != 0 && self.months & (1 << month) == 0 {
            return false;
        }
        if self.month_days.any {
            let dim = days_in_month(d.year(), month);
            if !self.month_days.has(d.day(), dim + 1 - d.day()) {
                return false;
            }
        }
        if self.year_days.any {
            let diy = days_in_year(d.year());
            if !self.year_days.has(d.ordinal(), diy + 1 - d.ordinal()) {
                return false;
            }
        }
        if self.week_nos.any {
            let (w, n) = week_number(d, self.wkst);
            if !self.week_nos.has(w, n + 1 - w) {
                return false;
            }
        }
        if self.weekdays_plain != 0 || !self.weekdays_nth.is_empty() {
            let wd = d.weekday();
            if self.weekdays_plain & (1 << wd.num_days_from_monday()) != 0 {
                return true;
            }
            if self.weekdays_nth.is_empty() {
                return false;
            }
            // n-th weekday within the month (MONTHLY, or YEARLY with BYMONTH) or the year.
            let (pos, len) = if self.freq == Frequency::Monthly
                || (self.freq == Frequency::Yearly && self.months != 0)
            {
                (d.day(), days_in_month(d.year(), month))
            } else {
                (d.ordinal(), days_in_year(d.year()))
            };
            let nth = i32::try_from((pos - 1) / 7 + 1).unwrap_or(0);
            let nth_back = -i32::try_from((len - pos) / 7 + 1).unwrap_or(0);
            return self
                .weekdays_nth
                .iter()
                .any(|e| e.weekday == wd && (i32::from(e.n) == nth || i32::from(e.n) == nth_back));
        }
        true
    }
}

/// The unit length in seconds of a sub-daily frequency.
const fn unit_seconds(f: Frequency) -> i64 {
    match f {
        Frequency::Hourly => 3600,
        Frequency::Minutely => 60,
        _ => 1,
    }
}

fn naive_seconds(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

fn naive_from_seconds(s: i64) -> NaiveDateTime {
    Instant::from_unix(s).naive_utc()
}

/// Walk the rule's instances in ascending local wall time, starting no later
/// than `lo` (or at `DTSTART` when the rule has COUNT), stopping after `hi`.
/// `visit` returns `false` to stop. Errors when the walk exceeds [`MAX_PERIODS`].
fn walk(
    rule: &RRule,
    plan: &Plan,
    lo: NaiveDateTime,
    hi: NaiveDateTime,
    mut visit: impl FnMut(NaiveDateTime) -> bool,
) -> Result<()> {
    use Frequency::{Daily, Monthly, Weekly, Yearly};
    let dt0 = plan.dtstart;
    let d0 = dt0.date();
    let step = plan.interval;
    let mut emitted: u64 = 0;
    let count = rule.count.map(u64::from);
    let stop_local = match rule.until {
        Some(Until::Local(l)) => Some(l),
        Some(Until::Date(d)) => d.and_hms_opt(23, 59, 59),
        _ => None,
    };
    // Index (in periods of length 1, not INTERVAL) of local time `t` relative to DTSTART.
    let raw_index = |t: NaiveDateTime| -> i64 {
        match plan.freq {
            Yearly => i64::from(t.year() - dt0.year()),
            Monthly => {
                i64::from(t.year() - dt0.year()) * 12 + i64::from(t.month())
                    - i64::from(dt0.month())
            }
            Weekly => days_between(week_start(d0, plan.wkst), t.date()).div_euclid(7),
            Daily => days_between(d0, t.date()),
            f => (naive_seconds(t) - naive_seconds(dt0)).div_euclid(unit_seconds(f)),
        }
    };
    let first_k = |t: NaiveDateTime| -> i64 {
        let idx = raw_index(t);
        if idx <= 0 { 0 } else { idx.div_euclid(step) }
    };
    // Jump target: the smallest k whose period starts at or after `t`.
    let ceil_k = |t: NaiveDateTime| -> i64 {
        let u = unit_seconds(plan.freq);
        let diff = naive_seconds(t) - naive_seconds(dt0);
        let units = diff.div_euclid(u) + i64::from(diff.rem_euclid(u) != 0);
        let span = step;
        units.div_euclid(span) + i64::from(units.rem_euclid(span) != 0)
    };
    let mut k: i64 = if count.is_some() { 0 } else { first_k(lo) };
    let mut periods: u64 = 0;
    let mut buf: Vec<NaiveDateTime> = Vec::new();
    loop {
        periods += 1;
        if periods > MAX_PERIODS {
            return Err(Error::window(format!(
                "the rule needs more than {MAX_PERIODS} steps to cover the query; narrow the window or move DTSTART closer to it"
            )));
        }
        buf.clear();
        let n = k * step;
        match plan.freq {
            Yearly | Monthly | Weekly | Daily => {
                let (first, last) = match plan.freq {
                    Yearly => {
                        let y = dt0.year() + i32::try_from(n).unwrap_or(i32::MAX - 1);
                        match (
                            NaiveDate::from_ymd_opt(y, 1, 1),
                            NaiveDate::from_ymd_opt(y, 12, 31),
                        ) {
                            (Some(a), Some(b)) => (a, b),
                            _ => return Ok(()),
                        }
                    }
                    Monthly => {
                        let mi = i64::from(dt0.year()) * 12 + i64::from(dt0.month0()) + n;
                        let (y, m) = (mi.div_euclid(12), mi.rem_euclid(12) + 1);
                        let Ok(y) = i32::try_from(y) else {
                            return Ok(());
                        };
                        let m = u32::try_from(m).unwrap_or(1);
                        match NaiveDate::from_ymd_opt(y, m, 1) {
                            Some(a) => (a, a + TimeDelta::days(i64::from(days_in_month(y, m)) - 1)),
                            None => return Ok(()),
                        }
                    }
                    Weekly => {
                        let a = week_start(d0, plan.wkst) + TimeDelta::days(7 * n);
                        // The first week starts at DTSTART's date, so BYSETPOS counts
                        // only its days from there (as python-dateutil, rrule.js and
                        // the `rrule` crate do).
                        (if n == 0 { d0 } else { a }, a + TimeDelta::days(6))
                    }
                    _ => {
                        let a = d0 + TimeDelta::days(n);
                        (a, a)
                    }
                };
                if first.and_time(NaiveTime::MIN) > hi || first.year() > 9999 {
                    return Ok(());
                }
                if stop_local.is_some_and(|s| first.and_time(NaiveTime::MIN) > s) {
                    return Ok(());
                }
                let mut d = first;
                while d <= last {
                    if plan.day_ok(d) {
                        let base = d.and_time(NaiveTime::MIN);
                        for &t in &plan.times {
                            buf.push(base + TimeDelta::seconds(i64::from(t)));
                        }
                    }
                    d += TimeDelta::days(1);
                }
                k += 1;
            }
            f => {
                let u = unit_seconds(f);
                let start = naive_from_seconds(naive_seconds(dt0) + n * u);
                if start > hi || start.year() > 9999 || stop_local.is_some_and(|s| start > s) {
                    return Ok(());
                }
                let date = start.date();
                if !plan.day_ok(date) {
                    k = ceil_k((date + TimeDelta::days(1)).and_time(NaiveTime::MIN)).max(k + 1);
                    continue;
                }
                let (h, m, s) = (start.hour(), start.minute(), start.second());
                let hour_ok =
                    f == Frequency::Hourly || plan.hours.is_empty() || plan.hours.contains(&h);
                if !hour_ok {
                    let next_hour = start
                        .with_minute(0)
                        .and_then(|x| x.with_second(0))
                        .unwrap_or(start)
                        + TimeDelta::hours(1);
                    k = ceil_k(next_hour).max(k + 1);
                    continue;
                }
                if f == Frequency::Hourly && !plan.hours.is_empty() && !plan.hours.contains(&h) {
                    k += 1;
                    continue;
                }
                if f == Frequency::Secondly
                    && !plan.minutes.is_empty()
                    && !plan.minutes.contains(&m)
                {
                    let next_min = start.with_second(0).unwrap_or(start) + TimeDelta::minutes(1);
                    k = ceil_k(next_min).max(k + 1);
                    continue;
                }
                let hour_base = start
                    .with_minute(0)
                    .and_then(|x| x.with_second(0))
                    .unwrap_or(start);
                match f {
                    Frequency::Hourly => {
                        for &mm in &plan.minutes {
                            for &ss in &plan.seconds {
                                buf.push(hour_base + TimeDelta::seconds(i64::from(mm * 60 + ss)));
                            }
                        }
                    }
                    Frequency::Minutely => {
                        if plan.minutes.is_empty() || plan.minutes.contains(&m) {
                            let min_base = start.with_second(0).unwrap_or(start);
                            for &ss in &plan.seconds {
                                buf.push(min_base + TimeDelta::seconds(i64::from(ss)));
                            }
                        }
                    }
                    _ => {
                        if plan.seconds.is_empty() || plan.seconds.contains(&s) {
                            buf.push(start);
                        }
                    }
                }
                buf.sort_unstable();
                k += 1;
            }
        }
        if !plan.set_pos.is_empty() && !buf.is_empty() {
            let len = i64::try_from(buf.len()).unwrap_or(i64::MAX);
            let mut picked: Vec<NaiveDateTime> = plan
                .set_pos
                .iter()
                .filter_map(|&p| {
                    let p = i64::from(p);
                    let idx = if p > 0 { p - 1 } else { len + p };
                    usize::try_from(idx).ok().and_then(|i| buf.get(i).copied())
                })
                .collect();
            picked.sort_unstable();
            picked.dedup();
            buf.clear();
            buf.extend(picked);
        }
        for &inst in &buf {
            if inst < dt0 {
                continue;
            }
            if stop_local.is_some_and(|s| inst > s) {
                return Ok(());
            }
            emitted += 1;
            if count.is_some_and(|c| emitted > c) {
                return Ok(());
            }
            if !visit(inst) {
                return Ok(());
            }
        }
    }
}

/// A recurrence set: a rule from a local `DTSTART` in a zone, with EXDATEs and RDATEs.
///
/// ```
/// use hcas_core::{Instant, Recurrence, Zone};
/// let rec = Recurrence::new(
///     "FREQ=WEEKLY;BYDAY=MO;COUNT=4".parse().unwrap(),
///     hcas_core::time::parse_local_datetime("2026-03-02T09:00").unwrap(),
///     Zone::parse("America/New_York").unwrap(),
/// );
/// let got = rec.between("2026-03-01T00:00:00Z".parse().unwrap(), "2026-04-01T00:00:00Z".parse().unwrap(), None).unwrap();
/// // 09:00 local keeps its wall-clock time across the DST change on 2026-03-08.
/// assert_eq!(got[0].to_string(), "2026-03-02T14:00:00Z");
/// assert_eq!(got[1].to_string(), "2026-03-09T13:00:00Z");
/// assert_eq!(got.len(), 4);
/// ```
#[derive(Debug, Clone)]
pub struct Recurrence {
    rule: RRule,
    zone: Zone,
    exdates: Vec<NaiveDateTime>,
    rdates: Vec<NaiveDateTime>,
    plan: Plan,
}

impl Recurrence {
    /// A recurrence of `rule` from local `dtstart` in `zone`.
    #[must_use]
    pub fn new(rule: RRule, dtstart: NaiveDateTime, zone: Zone) -> Self {
        let plan = Plan::new(&rule, dtstart);
        Self {
            rule,
            zone,
            exdates: Vec::new(),
            rdates: Vec::new(),
            plan,
        }
    }

    /// Remove the occurrences at these local datetimes (EXDATE).
    #[must_use]
    pub fn with_exdates(mut self, mut exdates: Vec<NaiveDateTime>) -> Self {
        exdates.sort_unstable();
        exdates.dedup();
        self.exdates = exdates;
        self
    }

    /// Add occurrences at these local datetimes (RDATE).
    #[must_use]
    pub fn with_rdates(mut self, rdates: Vec<NaiveDateTime>) -> Self {
        self.rdates = rdates;
        self
    }

    /// The rule.
    #[must_use]
    pub const fn rule(&self) -> &RRule {
        &self.rule
    }

    /// The zone.
    #[must_use]
    pub const fn zone(&self) -> Zone {
        self.zone
    }

    /// Local `DTSTART`.
    #[must_use]
    pub const fn dtstart(&self) -> NaiveDateTime {
        self.plan.dtstart
    }

    /// Visit each rule instance (before EXDATE/RDATE) in ascending local time
    /// whose local datetime may resolve into `[from, to)`, with its instant.
    /// `UNTIL` is applied; `visit` returns `false` to stop.
    ///
    /// # Errors
    /// `invalid_window` when the rule would need too many steps to reach the window.
    pub fn for_each_instance(
        &self,
        from: Instant,
        to: Instant,
        mut visit: impl FnMut(NaiveDateTime, Instant) -> bool,
    ) -> Result<()> {
        let margin = TimeDelta::days(2);
        let lo = from.naive_utc() - margin;
        let mut hi = to.naive_utc() + margin;
        let until_instant = match self.rule.until {
            Some(Until::Instant(u)) => {
                hi = hi.min(u.naive_utc() + margin);
                Some(u)
            }
            _ => None,
        };
        walk(&self.rule, &self.plan, lo, hi, |local| {
            if local < lo {
                return true;
            }
            let t = self.zone.resolve(local);
            if until_instant.is_some_and(|u| t > u) {
                return true;
            }
            visit(local, t)
        })
    }

    /// Visit the local datetimes of the rule's instances in `[lo, hi]` (local wall
    /// time), ascending, with COUNT and a local or date UNTIL applied. A UTC
    /// UNTIL is the caller's to apply (it needs the resolved instant).
    ///
    /// # Errors
    /// `invalid_window` when the rule would need too many steps to reach `hi`.
    pub fn for_each_local(
        &self,
        lo: NaiveDateTime,
        hi: NaiveDateTime,
        mut visit: impl FnMut(NaiveDateTime) -> bool,
    ) -> Result<()> {
        walk(&self.rule, &self.plan, lo, hi, |local| {
            local < lo || visit(local)
        })
    }

    /// Every occurrence `s` with `from <= s < to`, ascending and unique, at most
    /// `limit` of them. EXDATEs remove instances by local datetime (they do not
    /// replenish COUNT); RDATEs add instances.
    ///
    /// # Errors
    /// `invalid_interval` when `to <= from`; `invalid_window` when the window spans
    /// more than [`MAX_RECURRENCE_WINDOW_DAYS`] or the answer would exceed
    /// [`MAX_OCCURRENCES`] without a `limit`.
    pub fn between(
        &self,
        from: Instant,
        to: Instant,
        limit: Option<usize>,
    ) -> Result<Vec<Instant>> {
        if to <= from {
            return Err(Error::new(
                crate::ErrorCode::InvalidInterval,
                format!("the query window end {to} must be after its start {from}"),
            ));
        }
        if to.unix() - from.unix() > MAX_RECURRENCE_WINDOW_DAYS * crate::time::DAY {
            return Err(Error::window(format!(
                "a recurrence query may span at most {MAX_RECURRENCE_WINDOW_DAYS} days; split {from}..{to}"
            )));
        }
        let cap = limit.unwrap_or(MAX_OCCURRENCES);
        let mut out: Vec<Instant> = Vec::new();
        let mut overflow = false;
        // Instances are generated in local order; a DST gap can move one past a
        // later local time by at most the gap, so stop a margin after the cap.
        let mut stop_after: Option<NaiveDateTime> = None;
        self.for_each_instance(from, to, |local, t| {
            if stop_after.is_some_and(|s| local > s) {
                return false;
            }
            if t < from || t >= to || self.exdates.binary_search(&local).is_ok() {
                return true;
            }
            out.push(t);
            if out.len() >= cap.saturating_mul(2).max(cap + 64) {
                overflow = limit.is_none();
                return false;
            }
            if out.len() == cap && stop_after.is_none() {
                stop_after = Some(local + TimeDelta::days(2));
            }
            true
        })?;
        for &r in &self.rdates {
            if self.exdates.binary_search(&r).is_ok() {
                continue;
            }
            let t = self.zone.resolve(r);
            if from <= t && t < to {
                out.push(t);
            }
        }
        out.sort_unstable();
        out.dedup();
        if limit.is_none() && (overflow || out.len() > MAX_OCCURRENCES) {
            return Err(Error::window(format!(
                "the window holds more than {MAX_OCCURRENCES} occurrences; pass a limit or narrow it"
            )));
        }
        out.truncate(cap);
        Ok(out)
    }
}

/// Parse a list of local datetimes (EXDATE/RDATE values).
///
/// # Errors
/// `invalid_datetime` naming the bad entry.
pub fn parse_local_list(field: &str, values: &[String]) -> Result<Vec<NaiveDateTime>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| parse_local_datetime(v).map_err(|e| e.at(&format!("{field}[{i}]"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occ(rule: &str, dtstart: &str, tz: &str, from: &str, to: &str) -> Vec<String> {
        let r = Recurrence::new(
            rule.parse().unwrap(),
            parse_local_datetime(dtstart).unwrap(),
            Zone::parse(tz).unwrap(),
        );
        r.between(from.parse().unwrap(), to.parse().unwrap(), None)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn rfc5545_wkst_example() {
        // RFC 5545 §3.8.5.3: "An example where the days generated makes a difference
        // because of WKST": MO gives 5, 7, 19, 21; SU gives 5, 17, 19, 31 (Aug 1997).
        let mo = occ(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
            "1997-08-05T09:00",
            "UTC",
            "1997-08-01T00:00:00Z",
            "1997-09-01T00:00:00Z",
        );
        assert_eq!(
            mo,
            [
                "1997-08-05T09:00:00Z",
                "1997-08-10T09:00:00Z",
                "1997-08-19T09:00:00Z",
                "1997-08-24T09:00:00Z"
            ]
        );
        let su = occ(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
            "1997-08-05T09:00",
            "UTC",
            "1997-08-01T00:00:00Z",
            "1997-09-01T00:00:00Z",
        );
        assert_eq!(
            su,
            [
                "1997-08-05T09:00:00Z",
                "1997-08-17T09:00:00Z",
                "1997-08-19T09:00:00Z",
                "1997-08-31T09:00:00Z"
            ]
        );
    }

    #[test]
    fn last_workday_of_month() {
        let got = occ(
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3",
            "2026-01-01T17:00",
            "UTC",
            "2026-01-01T00:00:00Z",
            "2026-12-01T00:00:00Z",
        );
        // Jan 30 (Fri), Feb 27 (Fri), Mar 31 (Tue) 2026.
        assert_eq!(
            got,
            [
                "2026-01-30T17:00:00Z",
                "2026-02-27T17:00:00Z",
                "2026-03-31T17:00:00Z"
            ]
        );
    }

    #[test]
    fn week_numbers() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        // ISO: 2026-01-01 is Thursday -> week 1 of 2026; 2027-01-01 (Fri) is week 53 of 2026.
        assert_eq!(week_number(d(2026, 1, 1), Weekday::Mon), (1, 53));
        assert_eq!(week_number(d(2027, 1, 1), Weekday::Mon), (53, 53));
        assert_eq!(week_number(d(2024, 12, 30), Weekday::Mon), (1, 52));
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
        ] {
            assert_eq!(
                RRule::parse(bad).unwrap_err().code(),
                crate::ErrorCode::InvalidRrule,
                "{bad}"
            );
        }
    }
}
