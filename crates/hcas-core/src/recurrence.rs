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
use crate::time::{DAY, Timestamp, parse_local_datetime};
use crate::zone::{Zone, ZoneSpans};

/// Maximum span of a recurrence query window, in days (100 Julian years).
pub const MAX_RECURRENCE_WINDOW_DAYS: i64 = 36_525;
/// Maximum number of occurrences one query returns when it sets no `limit`.
pub const MAX_OCCURRENCES: usize = 100_000;
/// Local-time slack around a query window: any zone offset plus any DST gap.
const WALK_MARGIN: i64 = 2 * DAY;

/// Maximum number of rule periods one query may step through.
pub const MAX_PERIODS: u64 = 50_000_000;

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
    freq: Frequency,
    interval: u64,
    count: Option<u64>,
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

const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 => {
            if is_leap(year) {
                29
            } else {
                28
            }
        }
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

const fn days_in_year(year: i32) -> u32 {
    if is_leap(year) { 366 } else { 365 }
}

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const EPOCH_CE_DAYS: i64 = 719_163;
/// Day number (days since 1970-01-01) of 9999-12-31: expansion stops after it.
const LAST_DAY: i64 = 2_932_896;

/// Day number of a date.
fn day_number(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - EPOCH_CE_DAYS
}

fn date_of(n: i64) -> Option<NaiveDate> {
    i32::try_from(n + EPOCH_CE_DAYS)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
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

/// A calendar day with the fields the BY* parts test, stepped without chrono.
#[derive(Debug, Clone, Copy)]
struct Day {
    /// Days since 1970-01-01.
    n: i64,
    year: i32,
    month: u32,
    day: u32,
    ordinal: u32,
    /// 0 = Monday.
    weekday: u32,
}

impl Day {
    fn of(n: i64) -> Option<Self> {
        let d = date_of(n)?;
        Some(Self {
            n,
            year: d.year(),
            month: d.month(),
            day: d.day(),
            ordinal: d.ordinal(),
            weekday: d.weekday().num_days_from_monday(),
        })
    }

    fn next(&mut self) {
        self.n += 1;
        self.weekday = (self.weekday + 1) % 7;
        self.day += 1;
        self.ordinal += 1;
        if self.day > days_in_month(self.year, self.month) {
            self.day = 1;
            self.month += 1;
            if self.month > 12 {
                self.month = 1;
                self.year += 1;
                self.ordinal = 1;
            }
        }
    }
}

/// A rule bound to its `DTSTART`, with RFC 5545's implicit defaults made explicit.
#[derive(Debug, Clone)]
struct Plan {
    freq: Frequency,
    interval: i64,
    dtstart: NaiveDateTime,
    /// DTSTART as local seconds since 1970-01-01T00:00.
    dt0: i64,
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
    times: Vec<i64>,
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
                        times.push(i64::from(h * 3600 + m * 60 + s));
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
            // Any interval this long reaches past year 9999 at once.
            interval: i64::try_from(rule.interval.min(1 << 50)).unwrap_or(1 << 50),
            dtstart,
            dt0: dtstart.and_utc().timestamp(),
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

    /// Whether day `d` passes every day-level BY* part.
    fn day_ok(&self, d: &Day) -> bool {
        if !self.has_day_filter {
            return true;
        }
        if self.months != 0 && self.months & (1 << d.month) == 0 {
            return false;
        }
        if self.month_days.any {
            let dim = days_in_month(d.year, d.month);
            if !self.month_days.has(d.day, dim + 1 - d.day) {
                return false;
            }
        }
        if self.year_days.any {
            let diy = days_in_year(d.year);
            if !self.year_days.has(d.ordinal, diy + 1 - d.ordinal) {
                return false;
            }
        }
        if self.week_nos.any {
            let Some(date) = date_of(d.n) else {
                return false;
            };
            let (w, n) = week_number(date, self.wkst);
            if !self.week_nos.has(w, n + 1 - w) {
                return false;
            }
        }
        if self.weekdays_plain != 0 || !self.weekdays_nth.is_empty() {
            if self.weekdays_plain & (1 << d.weekday) != 0 {
                return true;
            }
            if self.weekdays_nth.is_empty() {
                return false;
            }
            // n-th weekday within the month (MONTHLY, or YEARLY with BYMONTH) or the year.
            let (pos, len) = if self.freq == Frequency::Monthly
                || (self.freq == Frequency::Yearly && self.months != 0)
            {
                (d.day, days_in_month(d.year, d.month))
            } else {
                (d.ordinal, days_in_year(d.year))
            };
            let nth = i32::try_from((pos - 1) / 7 + 1).unwrap_or(0);
            let nth_back = -i32::try_from((len - pos) / 7 + 1).unwrap_or(0);
            return self.weekdays_nth.iter().any(|e| {
                e.weekday.num_days_from_monday() == d.weekday
                    && (i32::from(e.n) == nth || i32::from(e.n) == nth_back)
            });
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

fn naive_from_seconds(s: i64) -> NaiveDateTime {
    crate::time::naive_from_secs(s)
}

/// Day number of the first of month `mi` (months since year 0, January = 0).
fn month_start(mi: i64) -> Option<(i64, i32, u32)> {
    let y = i32::try_from(mi.div_euclid(12)).ok()?;
    let m = u32::try_from(mi.rem_euclid(12) + 1).ok()?;
    let first = NaiveDate::from_ymd_opt(y, m, 1)?;
    Some((day_number(first), y, m))
}

/// Walk the rule's instances in ascending local wall time (local seconds since
/// 1970-01-01T00:00), starting no later than `lo` (or at `DTSTART` when the rule
/// has COUNT), stopping after `hi`. `visit` returns `false` to stop.
///
/// Days are stepped as integers and instances built as seconds: no calendar
/// library call and no allocation per instance.
///
/// # Errors
/// `invalid_window` when the walk exceeds [`MAX_PERIODS`].
#[allow(clippy::too_many_lines)]
fn walk(
    rule: &RRule,
    plan: &Plan,
    lo: i64,
    hi: i64,
    mut visit: impl FnMut(i64) -> bool,
) -> Result<()> {
    use Frequency::{Daily, Monthly, Weekly, Yearly};
    let dt0 = plan.dt0;
    let d0 = dt0.div_euclid(DAY);
    let (y0, m0) = (plan.dtstart.year(), i64::from(plan.dtstart.month0()));
    let ws0 = day_number(week_start(plan.dtstart.date(), plan.wkst));
    let step = plan.interval;
    let count = rule.count;
    let stop_local = match rule.until {
        Some(Until::Local(l)) => Some(l.and_utc().timestamp()),
        Some(Until::Date(d)) => Some((day_number(d) + 1) * DAY - 1),
        _ => None,
    };
    // Index (in periods of length 1, not INTERVAL) of local second `t` relative to DTSTART.
    let raw_index = |t: i64| -> i64 {
        let day = t.div_euclid(DAY);
        match plan.freq {
            Yearly => Day::of(day).map_or(0, |d| i64::from(d.year - y0)),
            Monthly => Day::of(day).map_or(0, |d| {
                i64::from(d.year - y0) * 12 + i64::from(d.month) - 1 - m0
            }),
            Weekly => (day - ws0).div_euclid(7),
            Daily => day - d0,
            f => (t - dt0).div_euclid(unit_seconds(f)),
        }
    };
    // The smallest k whose period starts at or after local second `t` (sub-daily).
    let ceil_k = |t: i64| -> i64 {
        let u = unit_seconds(plan.freq);
        let diff = t - dt0;
        let units = diff.div_euclid(u) + i64::from(diff.rem_euclid(u) != 0);
        units.div_euclid(step) + i64::from(units.rem_euclid(step) != 0)
    };
    let mut k: i64 = if count.is_some() {
        0
    } else {
        let idx = raw_index(lo);
        if idx <= 0 { 0 } else { idx.div_euclid(step) }
    };
    let mut emitted: u64 = 0;
    let mut periods: u64 = 0;
    let mut buf: Vec<i64> = Vec::with_capacity(plan.times.len().max(1) * 8);
    let mut picked: Vec<i64> = Vec::new();
    let mut cached_day: Option<Day> = None;
    // The day after the last period's last day, to step into the next period
    // without a calendar conversion when periods are adjacent (INTERVAL=1).
    let mut next_day: Option<Day> = None;
    loop {
        periods += 1;
        if periods > MAX_PERIODS {
            return Err(Error::window(format!(
                "the rule needs more than {MAX_PERIODS} steps to cover the query; narrow the window or move DTSTART closer to it"
            )));
        }
        buf.clear();
        let n = k.saturating_mul(step);
        if plan.freq >= Daily {
            let (first, last) = match plan.freq {
                Yearly => {
                    let Ok(y) = i32::try_from(i64::from(y0) + n) else {
                        return Ok(());
                    };
                    match (
                        NaiveDate::from_ymd_opt(y, 1, 1),
                        NaiveDate::from_ymd_opt(y, 12, 31),
                    ) {
                        (Some(a), Some(b)) => (day_number(a), day_number(b)),
                        _ => return Ok(()),
                    }
                }
                Monthly => {
                    let Some((a, y, m)) = month_start(i64::from(y0) * 12 + m0 + n) else {
                        return Ok(());
                    };
                    (a, a + i64::from(days_in_month(y, m)) - 1)
                }
                Weekly => {
                    let a = ws0 + 7 * n;
                    // The first week starts at DTSTART's date, so BYSETPOS counts
                    // only its days from there (as python-dateutil, rrule.js and
                    // the `rrule` crate do).
                    (if n == 0 { d0 } else { a }, a + 6)
                }
                _ => (d0 + n, d0 + n),
            };
            let first_second = first * DAY;
            if first_second > hi || first > LAST_DAY || stop_local.is_some_and(|s| first_second > s)
            {
                return Ok(());
            }
            let mut day = match next_day {
                Some(d) if d.n == first => d,
                _ => {
                    let Some(d) = Day::of(first) else {
                        return Ok(());
                    };
                    d
                }
            };
            loop {
                if plan.day_ok(&day) {
                    let base = day.n * DAY;
                    buf.extend(plan.times.iter().map(|t| base + t));
                }
                if day.n >= last {
                    break;
                }
                day.next();
            }
            day.next();
            next_day = Some(day);
            k += 1;
        } else {
            let f = plan.freq;
            let u = unit_seconds(f);
            let start = dt0 + n * u;
            let day_n = start.div_euclid(DAY);
            if start > hi || day_n > LAST_DAY || stop_local.is_some_and(|s| start > s) {
                return Ok(());
            }
            let day = match cached_day {
                Some(d) if d.n == day_n => d,
                _ => {
                    let Some(d) = Day::of(day_n) else {
                        return Ok(());
                    };
                    cached_day = Some(d);
                    d
                }
            };
            if !plan.day_ok(&day) {
                k = ceil_k((day_n + 1) * DAY).max(k + 1);
                continue;
            }
            let sod = start - day_n * DAY;
            let (h, m, sec) = (sod / 3600, sod / 60 % 60, sod % 60);
            let in_list = |v: &[u32], x: i64| v.is_empty() || v.iter().any(|&y| i64::from(y) == x);
            if !in_list(&plan.hours, h) {
                if f == Frequency::Hourly {
                    k += 1;
                } else {
                    k = ceil_k(start - sod % 3600 + 3600).max(k + 1);
                }
                continue;
            }
            if f == Frequency::Secondly && !in_list(&plan.minutes, m) {
                k = ceil_k(start - sec + 60).max(k + 1);
                continue;
            }
            match f {
                Frequency::Hourly => {
                    let hour_base = start - sod % 3600;
                    for &mm in &plan.minutes {
                        for &ss in &plan.seconds {
                            buf.push(hour_base + i64::from(mm * 60 + ss));
                        }
                    }
                }
                Frequency::Minutely => {
                    if in_list(&plan.minutes, m) {
                        buf.extend(plan.seconds.iter().map(|&ss| start - sec + i64::from(ss)));
                    }
                }
                _ => {
                    if in_list(&plan.seconds, sec) {
                        buf.push(start);
                    }
                }
            }
            k += 1;
        }
        if !plan.set_pos.is_empty() && !buf.is_empty() {
            let len = i64::try_from(buf.len()).unwrap_or(i64::MAX);
            picked.clear();
            picked.extend(plan.set_pos.iter().filter_map(|&p| {
                let p = i64::from(p);
                let idx = if p > 0 { p - 1 } else { len + p };
                usize::try_from(idx).ok().and_then(|i| buf.get(i).copied())
            }));
            picked.sort_unstable();
            picked.dedup();
            std::mem::swap(&mut buf, &mut picked);
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
/// use hcas_core::{Timestamp, Recurrence, Zone};
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
    /// Local seconds, sorted.
    exdates: Vec<i64>,
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

    /// Remove the occurrences at these local datetimes (EXDATE). An EXDATE
    /// applies to the whole set, RDATEs included (RFC 5545 §3.8.5.1).
    #[must_use]
    pub fn with_exdates(mut self, exdates: Vec<NaiveDateTime>) -> Self {
        let mut ex: Vec<i64> = exdates.iter().map(|d| d.and_utc().timestamp()).collect();
        ex.sort_unstable();
        ex.dedup();
        self.exdates = ex;
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

    /// The RDATEs (local datetimes), as given.
    pub(crate) fn rdates(&self) -> &[NaiveDateTime] {
        &self.rdates
    }

    /// The EXDATEs as local seconds since 1970-01-01T00:00, sorted.
    pub(crate) fn exdates_local(&self) -> &[i64] {
        &self.exdates
    }

    /// Walk instances (local seconds) whose local time may resolve into
    /// `[from, to)`, with their instants; UTC `UNTIL` applied.
    fn instances(
        &self,
        from: Timestamp,
        to: Timestamp,
        mut visit: impl FnMut(i64, Timestamp) -> bool,
    ) -> Result<()> {
        let lo = from.unix() - WALK_MARGIN;
        let mut hi = to.unix() + WALK_MARGIN;
        let until_instant = match self.rule.until {
            Some(Until::Timestamp(u)) => {
                hi = hi.min(u.unix() + WALK_MARGIN);
                Some(u)
            }
            _ => None,
        };
        let spans = ZoneSpans::new(
            self.zone,
            Timestamp::clamped(lo - WALK_MARGIN),
            Timestamp::clamped(hi + WALK_MARGIN),
        );
        walk(&self.rule, &self.plan, lo, hi, |local| {
            if local < lo {
                return true;
            }
            let t = spans.resolve_seconds(local);
            if until_instant.is_some_and(|u| t > u) {
                return true;
            }
            visit(local, t)
        })
    }

    /// Visit each rule instance (before EXDATE/RDATE) in ascending local time
    /// whose local datetime may resolve into `[from, to)`, with its instant.
    /// `UNTIL` is applied; `visit` returns `false` to stop.
    ///
    /// # Errors
    /// `invalid_window` when the rule would need too many steps to reach the window.
    pub fn for_each_instance(
        &self,
        from: Timestamp,
        to: Timestamp,
        mut visit: impl FnMut(NaiveDateTime, Timestamp) -> bool,
    ) -> Result<()> {
        self.instances(from, to, |local, t| visit(naive_from_seconds(local), t))
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
        self.for_each_local_seconds(lo.and_utc().timestamp(), hi.and_utc().timestamp(), |l| {
            visit(naive_from_seconds(l))
        })
    }

    /// As [`Recurrence::for_each_local`], in local seconds since 1970-01-01T00:00.
    pub(crate) fn for_each_local_seconds(
        &self,
        lo: i64,
        hi: i64,
        mut visit: impl FnMut(i64) -> bool,
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
        from: Timestamp,
        to: Timestamp,
        limit: Option<usize>,
    ) -> Result<Vec<Timestamp>> {
        if to <= from {
            return Err(Error::new(
                crate::ErrorCode::InvalidInterval,
                format!("the query window end {to} must be after its start {from}"),
            ));
        }
        if to.unix() - from.unix() > MAX_RECURRENCE_WINDOW_DAYS * DAY {
            return Err(Error::window(format!(
                "a recurrence query may span at most {MAX_RECURRENCE_WINDOW_DAYS} days; split {from}..{to}"
            )));
        }
        // Without a limit, collect one more than the maximum to detect overflow.
        let cap = limit.unwrap_or(MAX_OCCURRENCES + 1);
        let mut out: Vec<Timestamp> = Vec::new();
        // Instances come in local order; a DST gap can move one past a later
        // local time by at most the gap, and two instances can resolve to one
        // instant, so once `cap` *distinct* instants are in hand the walk goes
        // on for a margin of local time, then stops.
        let mut stop_after: Option<i64> = None;
        self.instances(from, to, |local, t| {
            if stop_after.is_some_and(|s| local > s) {
                return false;
            }
            if t < from || t >= to || self.exdates.binary_search(&local).is_ok() {
                return true;
            }
            out.push(t);
            if stop_after.is_none() && out.len() >= cap {
                out.sort_unstable();
                out.dedup();
                if out.len() >= cap {
                    stop_after = Some(local + WALK_MARGIN);
                }
            }
            true
        })?;
        for &r in &self.rdates {
            if self.exdates.binary_search(&r.and_utc().timestamp()).is_ok() {
                continue;
            }
            let t = self.zone.resolve(r);
            if from <= t && t < to {
                out.push(t);
            }
        }
        out.sort_unstable();
        out.dedup();
        if limit.is_none() && out.len() > MAX_OCCURRENCES {
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
