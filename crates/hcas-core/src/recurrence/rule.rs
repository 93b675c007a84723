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
    fn check(self) -> Result<Self> {
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

/// The parts of an [`RRule`] before validation, set one by one; made by
/// [`RRule::builder`] (or [`RRule::to_builder`]). [`RRuleBuilder::build`]
/// checks them with the very rules [`RRule::parse`] applies (the parser fills
/// a builder and builds it). Each setter replaces any earlier value of its part;
/// list parts are sorted and deduplicated (`BYDAY` keeps its order).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RRuleBuilder {
    freq: Frequency,
    interval: u64,
    count: Option<u64>,
    until: Option<Until>,
    // Wide integers, so a value out of its part's range reaches the one check in `build`.
    by_second: Vec<i64>,
    by_minute: Vec<i64>,
    by_hour: Vec<i64>,
    by_day: Vec<WeekdayNum>,
    by_month_day: Vec<i64>,
    by_year_day: Vec<i64>,
    by_week_no: Vec<i64>,
    by_month: Vec<i64>,
    by_set_pos: Vec<i64>,
    wkst: Weekday,
}

fn wide<T: Into<i64>>(values: impl IntoIterator<Item = T>) -> Vec<i64> {
    values.into_iter().map(Into::into).collect()
}

fn narrow<T: Copy + Into<i64>>(values: &[T]) -> Vec<i64> {
    values.iter().map(|&v| v.into()).collect()
}

/// Check one integer list part against its RFC 5545 range (`±` when `signed`;
/// 0 allowed only when `lo` is 0), then sort and deduplicate it.
fn checked_list<T: TryFrom<i64> + Ord>(
    name: &str,
    values: &[i64],
    lo: i64,
    hi: i64,
    signed: bool,
) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(values.len());
    for &n in values {
        let bad = || {
            let all: Vec<String> = values.iter().map(ToString::to_string).collect();
            Error::rrule(format!(
                "{name}={}: `{n}` must be an integer in {}{lo}..{hi}",
                all.join(","),
                if signed { "±" } else { "" }
            ))
        };
        if (n < 0 && !signed) || (n == 0 && lo > 0) || n.unsigned_abs() > hi.unsigned_abs() {
            return Err(bad());
        }
        out.push(T::try_from(n).map_err(|_| bad())?);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

impl RRuleBuilder {
    /// `INTERVAL`: every `n`-th period (default 1; must be positive).
    pub const fn interval(mut self, n: u64) -> Self {
        self.interval = n;
        self
    }

    /// `COUNT`: at most `n` instances (must be positive; excludes `UNTIL`).
    pub const fn count(mut self, n: u64) -> Self {
        self.count = Some(n);
        self
    }

    /// `UNTIL`: the last instant, local datetime or date (inclusive; excludes `COUNT`).
    pub const fn until(mut self, until: Until) -> Self {
        self.until = Some(until);
        self
    }

    /// `BYSECOND`: seconds 0..=59.
    pub fn by_second(mut self, seconds: impl IntoIterator<Item = u8>) -> Self {
        self.by_second = wide(seconds);
        self
    }

    /// `BYMINUTE`: minutes 0..=59.
    pub fn by_minute(mut self, minutes: impl IntoIterator<Item = u8>) -> Self {
        self.by_minute = wide(minutes);
        self
    }

    /// `BYHOUR`: hours 0..=23.
    pub fn by_hour(mut self, hours: impl IntoIterator<Item = u8>) -> Self {
        self.by_hour = wide(hours);
        self
    }

    /// `BYDAY`: weekdays, numbered ones only with `FREQ=MONTHLY` or `YEARLY`
    /// (and not with `BYWEEKNO`). Duplicates are dropped; the order is kept.
    pub fn by_day(mut self, days: impl IntoIterator<Item = WeekdayNum>) -> Self {
        self.by_day = days.into_iter().collect();
        self
    }

    /// `BYMONTHDAY`: days of the month ±1..=31 (-1 is the last); not with `FREQ=WEEKLY`.
    pub fn by_month_day(mut self, days: impl IntoIterator<Item = i8>) -> Self {
        self.by_month_day = wide(days);
        self
    }

    /// `BYYEARDAY`: days of the year ±1..=366; not with `FREQ=DAILY`, `WEEKLY` or `MONTHLY`.
    pub fn by_year_day(mut self, days: impl IntoIterator<Item = i16>) -> Self {
        self.by_year_day = wide(days);
        self
    }

    /// `BYWEEKNO`: ISO-style week numbers ±1..=53 (weeks start on `WKST`); `FREQ=YEARLY` only.
    pub fn by_week_no(mut self, weeks: impl IntoIterator<Item = i8>) -> Self {
        self.by_week_no = wide(weeks);
        self
    }

    /// `BYMONTH`: months 1..=12.
    pub fn by_month(mut self, months: impl IntoIterator<Item = u8>) -> Self {
        self.by_month = wide(months);
        self
    }

    /// `BYSETPOS`: positions ±1..=366 within each period's instances; needs another BYxxx part.
    pub fn by_set_pos(mut self, positions: impl IntoIterator<Item = i16>) -> Self {
        self.by_set_pos = wide(positions);
        self
    }

    /// `WKST`: the first day of the week (default Monday).
    pub const fn wkst(mut self, weekday: Weekday) -> Self {
        self.wkst = weekday;
        self
    }

    /// Check the parts and make the rule. This is the only place the rules of
    /// RFC 5545 §3.3.10 are checked: [`RRule::parse`] ends here too.
    ///
    /// # Errors
    /// `invalid_rrule`, with a message naming the offending part.
    pub fn build(self) -> Result<RRule> {
        use Frequency::{Daily, Monthly, Weekly, Yearly};
        if self.interval == 0 {
            return Err(Error::rrule("INTERVAL=0 must be a positive integer"));
        }
        if self.count == Some(0) {
            return Err(Error::rrule("COUNT=0 must be a positive integer"));
        }
        let until = self.until.map(Until::check).transpose()?;
        let mut by_day: Vec<WeekdayNum> = Vec::with_capacity(self.by_day.len());
        for d in self.by_day {
            if !by_day.contains(&d) {
                by_day.push(d);
            }
        }
        let rule = RRule {
            freq: self.freq,
            interval: self.interval,
            count: self.count,
            until,
            by_second: checked_list("BYSECOND", &self.by_second, 0, 59, false)?,
            by_minute: checked_list("BYMINUTE", &self.by_minute, 0, 59, false)?,
            by_hour: checked_list("BYHOUR", &self.by_hour, 0, 23, false)?,
            by_day,
            by_month_day: checked_list("BYMONTHDAY", &self.by_month_day, 1, 31, true)?,
            by_year_day: checked_list("BYYEARDAY", &self.by_year_day, 1, 366, true)?,
            by_week_no: checked_list("BYWEEKNO", &self.by_week_no, 1, 53, true)?,
            by_month: checked_list("BYMONTH", &self.by_month, 1, 12, false)?,
            by_set_pos: checked_list("BYSETPOS", &self.by_set_pos, 1, 366, true)?,
            wkst: self.wkst,
        };
        if rule.count.is_some() && rule.until.is_some() {
            return Err(Error::rrule("COUNT and UNTIL must not both be given"));
        }
        if !rule.by_week_no.is_empty() && rule.freq != Yearly {
            return Err(Error::rrule("BYWEEKNO is only valid with FREQ=YEARLY"));
        }
        if !rule.by_year_day.is_empty() && matches!(rule.freq, Daily | Weekly | Monthly) {
            return Err(Error::rrule(
                "BYYEARDAY must not be used with FREQ=DAILY, WEEKLY or MONTHLY",
            ));
        }
        if !rule.by_month_day.is_empty() && rule.freq == Weekly {
            return Err(Error::rrule("BYMONTHDAY must not be used with FREQ=WEEKLY"));
        }
        if rule.by_day.iter().any(|d| d.n != 0) {
            if !matches!(rule.freq, Monthly | Yearly) {
                return Err(Error::rrule(
                    "a numbered BYDAY (like 2TU) is only valid with FREQ=MONTHLY or YEARLY",
                ));
            }
            if rule.freq == Yearly && !rule.by_week_no.is_empty() {
                return Err(Error::rrule(
                    "a numbered BYDAY must not be combined with BYWEEKNO",
                ));
            }
        }
        let has_other_by = !(rule.by_second.is_empty()
            && rule.by_minute.is_empty()
            && rule.by_hour.is_empty()
            && rule.by_day.is_empty()
            && rule.by_month_day.is_empty()
            && rule.by_year_day.is_empty()
            && rule.by_week_no.is_empty()
            && rule.by_month.is_empty());
        if !rule.by_set_pos.is_empty() && !has_other_by {
            return Err(Error::rrule(
                "BYSETPOS needs another BYxxx part to select from",
            ));
        }
        Ok(rule)
    }
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

/// The integers of a list part, syntax only (their range is [`RRuleBuilder::build`]'s
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
/// Zero is [`RRuleBuilder::build`]'s to refuse.
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
    /// Start a rule of frequency `freq`; set its other parts, then
    /// [`RRuleBuilder::build`]. See the example on [`RRule`].
    pub const fn builder(freq: Frequency) -> RRuleBuilder {
        RRuleBuilder {
            freq,
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
        }
    }

    /// A builder holding this rule's parts, to derive a changed rule.
    ///
    /// ```
    /// use hcas_core::RRule;
    /// let r: RRule = "FREQ=DAILY;COUNT=5".parse().unwrap();
    /// let longer = r.to_builder().count(10).build().unwrap();
    /// assert_eq!(longer.to_string(), "FREQ=DAILY;COUNT=10");
    /// ```
    pub fn to_builder(&self) -> RRuleBuilder {
        RRuleBuilder {
            freq: self.freq,
            interval: self.interval,
            count: self.count,
            until: self.until,
            by_second: narrow(&self.by_second),
            by_minute: narrow(&self.by_minute),
            by_hour: narrow(&self.by_hour),
            by_day: self.by_day.clone(),
            by_month_day: narrow(&self.by_month_day),
            by_year_day: narrow(&self.by_year_day),
            by_week_no: narrow(&self.by_week_no),
            by_month: narrow(&self.by_month),
            by_set_pos: narrow(&self.by_set_pos),
            wkst: self.wkst,
        }
    }

    /// Parse RRULE text (`RRULE:` prefix optional, names case-insensitive).
    /// The text fills an [`RRuleBuilder`], whose [`build`](RRuleBuilder::build)
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
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn every(w: Weekday) -> WeekdayNum {
        WeekdayNum::every(w)
    }

    #[test]
    fn builder_sets_every_part_and_getters_read_them() {
        let until = Until::Date(NaiveDate::from_ymd_opt(2027, 6, 30).unwrap());
        let r = RRule::builder(Frequency::Yearly)
            .interval(2)
            .until(until)
            .by_second([30, 0, 30])
            .by_minute([15])
            .by_hour([17, 9])
            .by_day([
                WeekdayNum::nth(-1, Weekday::Fri).unwrap(),
                every(Weekday::Mon),
                every(Weekday::Mon),
            ])
            .by_month_day([-1, 1])
            .by_year_day([100, -1])
            .by_month([12, 3])
            .by_set_pos([-1, 2])
            .wkst(Weekday::Sun)
            .build()
            .unwrap();
        assert_eq!(r.freq(), Frequency::Yearly);
        assert_eq!(r.frequency(), Frequency::Yearly);
        assert_eq!(r.interval(), 2);
        assert_eq!(r.count(), None);
        assert_eq!(r.until(), Some(until));
        assert_eq!(r.by_second(), [0, 30]);
        assert_eq!(r.by_minute(), [15]);
        assert_eq!(r.by_hour(), [9, 17]);
        assert_eq!(
            r.by_day(),
            [
                WeekdayNum::nth(-1, Weekday::Fri).unwrap(),
                every(Weekday::Mon)
            ]
        );
        assert_eq!(r.by_month_day(), [-1, 1]);
        assert_eq!(r.by_year_day(), [-1, 100]);
        assert!(r.by_week_no().is_empty());
        assert_eq!(r.by_month(), [3, 12]);
        assert_eq!(r.by_set_pos(), [-1, 2]);
        assert_eq!(r.wkst(), Weekday::Sun);
        assert_eq!(
            r.to_string(),
            "FREQ=YEARLY;UNTIL=20270630;INTERVAL=2;BYSECOND=0,30;BYMINUTE=15;BYHOUR=9,17;BYDAY=-1FR,MO;BYMONTHDAY=-1,1;BYYEARDAY=-1,100;BYMONTH=3,12;BYSETPOS=-1,2;WKST=SU"
        );
        assert_eq!(r, r.to_string().parse().unwrap());
        assert_eq!(r.to_builder().build().unwrap(), r);
        let weeks = RRule::builder(Frequency::Yearly)
            .by_week_no([-1, 20])
            .count(3)
            .build()
            .unwrap();
        assert_eq!(weeks.by_week_no(), [-1, 20]);
        assert_eq!(weeks.count(), Some(3));
        assert_eq!(weeks.interval(), 1);
        assert_eq!(weeks.wkst(), Weekday::Mon);
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

    /// Every rule the parser refuses for its values (not its syntax, which a
    /// builder cannot express) has a builder equivalent refused with the same
    /// code, and both messages name the part.
    #[test]
    fn parser_rejections_have_builder_equivalents() {
        use Frequency::{Daily, Hourly, Monthly, Weekly, Yearly};
        let b = RRule::builder;
        let date = |y| Until::Date(NaiveDate::from_ymd_opt(y, 1, 1).unwrap());
        let local = |y| {
            Until::Local(
                NaiveDate::from_ymd_opt(y, 1, 1)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap(),
            )
        };
        let cases: Vec<(&str, &str, Result<RRule>)> = vec![
            (
                "FREQ=DAILY;INTERVAL=0",
                "INTERVAL",
                b(Daily).interval(0).build(),
            ),
            ("FREQ=DAILY;COUNT=0", "COUNT", b(Daily).count(0).build()),
            (
                "FREQ=DAILY;COUNT=3;UNTIL=20260101",
                "COUNT",
                b(Daily).count(3).until(date(2026)).build(),
            ),
            (
                "FREQ=DAILY;UNTIL=00000101",
                "UNTIL",
                b(Daily).until(date(0)).build(),
            ),
            (
                "FREQ=DAILY;UNTIL=00000101T000000",
                "UNTIL",
                b(Daily).until(local(0)).build(),
            ),
            (
                "FREQ=DAILY;BYSECOND=60",
                "BYSECOND",
                b(Daily).by_second([60]).build(),
            ),
            (
                "FREQ=DAILY;BYMINUTE=60",
                "BYMINUTE",
                b(Daily).by_minute([0, 60]).build(),
            ),
            (
                "FREQ=DAILY;BYHOUR=24",
                "BYHOUR",
                b(Daily).by_hour([24]).build(),
            ),
            (
                "FREQ=MONTHLY;BYMONTHDAY=0",
                "BYMONTHDAY",
                b(Monthly).by_month_day([0]).build(),
            ),
            (
                "FREQ=MONTHLY;BYMONTHDAY=32",
                "BYMONTHDAY",
                b(Monthly).by_month_day([32]).build(),
            ),
            (
                "FREQ=MONTHLY;BYMONTHDAY=-32",
                "BYMONTHDAY",
                b(Monthly).by_month_day([-32]).build(),
            ),
            (
                "FREQ=YEARLY;BYYEARDAY=0",
                "BYYEARDAY",
                b(Yearly).by_year_day([0]).build(),
            ),
            (
                "FREQ=YEARLY;BYYEARDAY=-367",
                "BYYEARDAY",
                b(Yearly).by_year_day([-367]).build(),
            ),
            (
                "FREQ=YEARLY;BYWEEKNO=54",
                "BYWEEKNO",
                b(Yearly).by_week_no([54]).build(),
            ),
            (
                "FREQ=YEARLY;BYWEEKNO=0",
                "BYWEEKNO",
                b(Yearly).by_week_no([0]).build(),
            ),
            (
                "FREQ=YEARLY;BYMONTH=13",
                "BYMONTH",
                b(Yearly).by_month([13]).build(),
            ),
            (
                "FREQ=YEARLY;BYMONTH=0",
                "BYMONTH",
                b(Yearly).by_month([0]).build(),
            ),
            (
                "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0",
                "BYSETPOS",
                b(Monthly)
                    .by_day([every(Weekday::Mon)])
                    .by_set_pos([0])
                    .build(),
            ),
            (
                "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=367",
                "BYSETPOS",
                b(Monthly)
                    .by_day([every(Weekday::Mon)])
                    .by_set_pos([367])
                    .build(),
            ),
            (
                "FREQ=MONTHLY;BYWEEKNO=3",
                "BYWEEKNO",
                b(Monthly).by_week_no([3]).build(),
            ),
            (
                "FREQ=MONTHLY;BYYEARDAY=3",
                "BYYEARDAY",
                b(Monthly).by_year_day([3]).build(),
            ),
            (
                "FREQ=DAILY;BYYEARDAY=3",
                "BYYEARDAY",
                b(Daily).by_year_day([3]).build(),
            ),
            (
                "FREQ=WEEKLY;BYMONTHDAY=3",
                "BYMONTHDAY",
                b(Weekly).by_month_day([3]).build(),
            ),
            (
                "FREQ=WEEKLY;BYDAY=1MO",
                "BYDAY",
                b(Weekly)
                    .by_day([WeekdayNum::nth(1, Weekday::Mon).unwrap()])
                    .build(),
            ),
            (
                "FREQ=HOURLY;BYDAY=-1FR",
                "BYDAY",
                b(Hourly)
                    .by_day([WeekdayNum::nth(-1, Weekday::Fri).unwrap()])
                    .build(),
            ),
            (
                "FREQ=YEARLY;BYWEEKNO=2;BYDAY=1MO",
                "BYDAY",
                b(Yearly)
                    .by_week_no([2])
                    .by_day([WeekdayNum::nth(1, Weekday::Mon).unwrap()])
                    .build(),
            ),
            (
                "FREQ=DAILY;BYSETPOS=1",
                "BYSETPOS",
                b(Daily).by_set_pos([1]).build(),
            ),
            (
                "FREQ=MONTHLY;BYDAY=0MO",
                "BYDAY",
                WeekdayNum::nth(0, Weekday::Mon).map(|_| unreachable!()),
            ),
            (
                "FREQ=MONTHLY;BYDAY=54MO",
                "BYDAY",
                WeekdayNum::nth(54, Weekday::Mon).map(|_| unreachable!()),
            ),
        ];
        for (text, part, built) in cases {
            let parsed = RRule::parse(text).unwrap_err();
            let built = built.unwrap_err();
            assert_eq!(parsed.code(), ErrorCode::InvalidRrule, "{text}");
            assert_eq!(built.code(), parsed.code(), "{text}");
            assert!(
                parsed.message().contains(part),
                "{text}: {}",
                parsed.message()
            );
            assert!(
                built.message().contains(part),
                "{text}: {}",
                built.message()
            );
        }
    }

    fn freq_of(i: usize) -> Frequency {
        use Frequency::{Daily, Hourly, Minutely, Monthly, Secondly, Weekly, Yearly};
        [Secondly, Minutely, Hourly, Daily, Weekly, Monthly, Yearly][i]
    }

    fn join<T: ToString>(v: &[T]) -> String {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    const WEEKDAYS: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    proptest! {
        /// Random parts, valid or not: the builder and the parser (given the
        /// same parts as text) agree, and an accepted rule survives
        /// `to_string` and `parse` unchanged.
        #[test]
        fn builder_and_parser_agree(
            freq in 0usize..7,
            interval in prop::option::of(0u64..4),
            count in prop::option::of(0u64..4),
            until in prop::option::of((0usize..3, prop::sample::select(vec![0i32, 1, 2026, 9999]))),
            by_second in prop::collection::vec(0u8..62, 0..3),
            by_minute in prop::collection::vec(0u8..62, 0..3),
            by_hour in prop::collection::vec(0u8..26, 0..3),
            by_day in prop::collection::vec((-54i8..54, 0usize..7), 0..4),
            by_month_day in prop::collection::vec(-33i8..33, 0..3),
            by_year_day in prop::collection::vec(-368i16..368, 0..2),
            by_week_no in prop::collection::vec(-55i8..55, 0..2),
            by_month in prop::collection::vec(0u8..14, 0..3),
            by_set_pos in prop::collection::vec(-368i16..368, 0..2),
            wkst in prop::option::of(0usize..7),
        ) {
            let mut b = RRule::builder(freq_of(freq));
            let mut text = format!("FREQ={}", freq_of(freq));
            if let Some(i) = interval {
                b = b.interval(i);
                text += &format!(";INTERVAL={i}");
            }
            if let Some(c) = count {
                b = b.count(c);
                text += &format!(";COUNT={c}");
            }
            if let Some((kind, year)) = until {
                let d = NaiveDate::from_ymd_opt(year, 6, 30).unwrap();
                let u = match kind {
                    0 => Until::Date(d),
                    1 => Until::Local(d.and_hms_opt(8, 30, 0).unwrap()),
                    _ => match Timestamp::from_naive_utc(d.and_hms_opt(8, 30, 0).unwrap()) {
                        Ok(t) => Until::Timestamp(t),
                        Err(_) => Until::Date(d),
                    },
                };
                b = b.until(u);
                text += &format!(";UNTIL={u}");
            }
            macro_rules! part {
                ($name:literal, $set:ident, $v:expr) => {
                    if !$v.is_empty() {
                        b = b.$set($v.iter().copied());
                        text += &format!(";{}={}", $name, join(&$v));
                    }
                };
            }
            part!("BYSECOND", by_second, by_second);
            part!("BYMINUTE", by_minute, by_minute);
            part!("BYHOUR", by_hour, by_hour);
            part!("BYMONTHDAY", by_month_day, by_month_day);
            part!("BYYEARDAY", by_year_day, by_year_day);
            part!("BYWEEKNO", by_week_no, by_week_no);
            part!("BYMONTH", by_month, by_month);
            part!("BYSETPOS", by_set_pos, by_set_pos);
            // Out-of-range ordinals are refused where a WeekdayNum is made.
            let days: Result<Vec<WeekdayNum>> = by_day
                .iter()
                .map(|&(n, w)| if n == 0 { Ok(every(WEEKDAYS[w])) } else { WeekdayNum::nth(n, WEEKDAYS[w]) })
                .collect();
            if !by_day.is_empty() {
                let texts: Vec<String> = by_day
                    .iter()
                    .map(|&(n, w)| if n == 0 { weekday_code(WEEKDAYS[w]).to_string() } else { format!("{n}{}", weekday_code(WEEKDAYS[w])) })
                    .collect();
                text += &format!(";BYDAY={}", texts.join(","));
            }
            if let Some(w) = wkst {
                b = b.wkst(WEEKDAYS[w]);
                text += &format!(";WKST={}", weekday_code(WEEKDAYS[w]));
            }
            let parsed = RRule::parse(&text);
            let built = days.and_then(|d| if d.is_empty() { b.build() } else { b.by_day(d).build() });
            match (&parsed, &built) {
                (Ok(p), Ok(r)) => {
                    prop_assert_eq!(p, r, "{}", text);
                    prop_assert_eq!(&RRule::parse(&r.to_string()).unwrap(), r);
                }
                (Err(p), Err(r)) => prop_assert_eq!(p.code(), r.code(), "{}", text),
                _ => prop_assert!(false, "{text}: parsed {parsed:?}, built {built:?}"),
            }
        }
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
