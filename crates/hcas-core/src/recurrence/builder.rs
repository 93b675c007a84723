//! [`RRuleBuilder`]: an [`RRule`] part by part, and the one place a rule's
//! parts are checked (the parser ends here too).

use chrono::Weekday;

use super::rule::{Frequency, RRule, Until, WeekdayNum};
use crate::error::{Error, Result};

/// The parts of an [`RRule`] before validation, set one by one; made by
/// [`RRule::builder`] (or [`RRule::to_builder`]). [`RRuleBuilder::build`]
/// checks them with the very rules [`RRule::parse`] applies (the parser fills
/// a builder and builds it). Each setter replaces any earlier value of its part;
/// list parts are sorted and deduplicated (`BYDAY` keeps its order).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RRuleBuilder {
    pub(super) freq: Frequency,
    pub(super) interval: u64,
    pub(super) count: Option<u64>,
    pub(super) until: Option<Until>,
    // Wide integers, so a value out of its part's range reaches the one check in `build`.
    pub(super) by_second: Vec<i64>,
    pub(super) by_minute: Vec<i64>,
    pub(super) by_hour: Vec<i64>,
    pub(super) by_day: Vec<WeekdayNum>,
    pub(super) by_month_day: Vec<i64>,
    pub(super) by_year_day: Vec<i64>,
    pub(super) by_week_no: Vec<i64>,
    pub(super) by_month: Vec<i64>,
    pub(super) by_set_pos: Vec<i64>,
    pub(super) wkst: Weekday,
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
}

#[cfg(test)]
mod tests {
    use super::super::rule::weekday_code;
    use super::*;
    use crate::ErrorCode;
    use crate::time::Timestamp;
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
}
