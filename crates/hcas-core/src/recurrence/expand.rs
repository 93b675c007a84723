//! The expansion engine: a rule bound to its DTSTART ([`Plan`]) walked period by period in local wall time.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Weekday};

use super::MAX_PERIODS;
use super::rule::{Frequency, RRule, Until, WeekdayNum};
use crate::error::{Error, Result};
use crate::time::DAY;

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

    /// The offsets from `base` of the positions in `1..=len` the set names
    /// (counting `pos` from the front, `neg` from the back), ascending and unique.
    fn offsets_within(&self, len: u32, base: u32, out: &mut Vec<u32>) {
        let from = out.len();
        for (arr, back) in [(&self.pos, false), (&self.neg, true)] {
            for (w, &word) in (0u32..).zip(arr.iter()) {
                let mut bits = word;
                while bits != 0 {
                    let m = w * 64 + bits.trailing_zeros();
                    bits &= bits - 1;
                    if (1..=len).contains(&m) {
                        out.push(base + if back { len - m } else { m - 1 });
                    }
                }
            }
        }
        // Earlier entries (earlier months) are all below these: one dedup does.
        out[from..].sort_unstable();
        out.dedup();
    }
}

/// The offsets from `base` of the days in `len` days from `base` whose weekday
/// (0 = Monday) is in `mask`, ascending; `weekday` is the first day's.
fn weekday_offsets(mask: u8, weekday: u32, base: u32, len: u32, out: &mut Vec<u32>) {
    let from = out.len();
    for w in 0..7u32 {
        if mask & (1 << w) != 0 {
            let mut off = (w + 7 - weekday) % 7;
            while off < len {
                out.push(base + off);
                off += 7;
            }
        }
    }
    out[from..].sort_unstable();
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

    /// The day `k` days later, stepped month by month (no calendar library call).
    fn advanced(mut self, mut k: u32) -> Self {
        self.n += i64::from(k);
        self.weekday = (self.weekday + k % 7) % 7;
        loop {
            let left = days_in_month(self.year, self.month) - self.day;
            if k <= left {
                self.day += k;
                self.ordinal += k;
                return self;
            }
            k -= left + 1;
            self.day = 1;
            if self.month == 12 {
                self.month = 1;
                self.year += 1;
                self.ordinal = 1;
            } else {
                self.month += 1;
                self.ordinal += left + 1;
            }
        }
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
pub(super) struct Plan {
    freq: Frequency,
    interval: i64,
    pub(super) dtstart: NaiveDateTime,
    /// DTSTART as local seconds since 1970-01-01T00:00.
    dt0: i64,
    months: u16,
    month_days: SignedSet,
    year_days: SignedSet,
    week_nos: SignedSet,
    weekdays_plain: u8,
    weekdays_nth: Vec<WeekdayNum>,
    /// Every weekday BYDAY names, with or without an ordinal (bit 0 = Monday).
    weekdays_any: u8,
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
    pub(super) fn new(rule: &RRule, dtstart: NaiveDateTime) -> Self {
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
        let weekdays_any = weekdays_nth.iter().fold(weekdays_plain, |acc, d| {
            acc | (1 << d.weekday.num_days_from_monday())
        });
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
            weekdays_any,
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

    /// The days of a MONTHLY or YEARLY period (`len` days from `start`, the
    /// first of its month or year) that may pass [`Plan::day_ok`], as offsets
    /// from `start`, ascending and unique, found from BYMONTH, BYMONTHDAY,
    /// BYYEARDAY or BYDAY without visiting every day. They are a superset of
    /// the days `day_ok` passes (the caller still asks it of each): a month
    /// outside BYMONTH has none; a day outside BYMONTHDAY, BYYEARDAY or the
    /// weekdays of BYDAY fails `day_ok`. `false` (and nothing in `out`) when
    /// no part narrows the period, or it is a week or a day: visit every day.
    fn candidates(&self, start: &Day, len: u32, out: &mut Vec<u32>) -> bool {
        out.clear();
        match self.freq {
            Frequency::Monthly => {
                if self.months != 0 && self.months & (1 << start.month) == 0 {
                    // BYMONTH leaves out the whole month.
                    return true;
                }
                if self.month_days.any {
                    self.month_days.offsets_within(len, 0, out);
                } else if self.weekdays_any != 0 {
                    weekday_offsets(self.weekdays_any, start.weekday, 0, len, out);
                } else {
                    return false;
                }
            }
            Frequency::Yearly => {
                if self.month_days.any || (self.months != 0 && self.weekdays_any != 0) {
                    // Month by month: BYMONTH, then the days of each month.
                    let mut first = 0;
                    for m in 1..=12 {
                        let dim = days_in_month(start.year, m);
                        if self.months == 0 || self.months & (1 << m) != 0 {
                            if self.month_days.any {
                                self.month_days.offsets_within(dim, first, out);
                            } else {
                                let weekday = (start.weekday + first) % 7;
                                weekday_offsets(self.weekdays_any, weekday, first, dim, out);
                            }
                        }
                        first += dim;
                    }
                } else if self.year_days.any {
                    self.year_days.offsets_within(len, 0, out);
                } else if self.weekdays_any != 0 {
                    weekday_offsets(self.weekdays_any, start.weekday, 0, len, out);
                } else {
                    return false;
                }
            }
            _ => return false,
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

pub(super) fn naive_from_seconds(s: i64) -> NaiveDateTime {
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
/// # Errors
/// `invalid_window` when the walk exceeds [`MAX_PERIODS`].
pub(super) fn walk(
    rule: &RRule,
    plan: &Plan,
    lo: i64,
    hi: i64,
    mut visit: impl FnMut(i64) -> bool,
) -> Result<()> {
    let mut walker = Walker::new(rule, plan, lo, hi);
    while let Some(inst) = walker.next_instance()? {
        if !visit(inst) {
            break;
        }
    }
    Ok(())
}

/// The rule's instances in ascending local wall time (local seconds since
/// 1970-01-01T00:00), one period at a time: the resumable form of [`walk`].
///
/// Days are stepped as integers and instances built as seconds: no calendar
/// library call and no allocation per instance.
#[derive(Debug, Clone)]
pub(super) struct Walker<'a> {
    plan: &'a Plan,
    hi: i64,
    d0: i64,
    y0: i32,
    m0: i64,
    ws0: i64,
    count: Option<u64>,
    stop_local: Option<i64>,
    /// The next period, in units of INTERVAL periods from DTSTART's.
    k: i64,
    emitted: u64,
    /// Periods stepped since the start or the last [`Walker::reset_budget`].
    periods: u64,
    /// The current period's instances, and the next one to hand out.
    buf: Vec<i64>,
    pos: usize,
    picked: Vec<i64>,
    cached_day: Option<Day>,
    /// The day after the last period's last day, to step into the next period
    /// without a calendar conversion when periods are adjacent (INTERVAL=1).
    next_day: Option<Day>,
    /// The candidate days of the current period ([`Plan::candidates`]).
    days: Vec<u32>,
    /// Whether to visit only the candidate days (always, outside the tests
    /// that compare it with visiting every day).
    shortcut: bool,
    done: bool,
}

impl<'a> Walker<'a> {
    /// Start at the period containing local second `lo` (at DTSTART's when the
    /// rule has COUNT, which counts from there), ending after local second `hi`.
    /// Instances before `lo` may come out; callers skip them.
    pub(super) fn new(rule: &RRule, plan: &'a Plan, lo: i64, hi: i64) -> Self {
        let dt0 = plan.dt0;
        let count = rule.count;
        let stop_local = match rule.until {
            Some(Until::Local(l)) => Some(l.and_utc().timestamp()),
            Some(Until::Date(d)) => Some((day_number(d) + 1) * DAY - 1),
            _ => None,
        };
        let mut w = Self {
            plan,
            hi,
            d0: dt0.div_euclid(DAY),
            y0: plan.dtstart.year(),
            m0: i64::from(plan.dtstart.month0()),
            ws0: day_number(week_start(plan.dtstart.date(), plan.wkst)),
            count,
            stop_local,
            k: 0,
            emitted: 0,
            periods: 0,
            buf: Vec::with_capacity(plan.times.len().max(1) * 8),
            pos: 0,
            picked: Vec::new(),
            cached_day: None,
            next_day: None,
            days: Vec::new(),
            shortcut: true,
            done: false,
        };
        if count.is_none() {
            let idx = w.raw_index(lo);
            w.k = if idx <= 0 {
                0
            } else {
                idx.div_euclid(plan.interval)
            };
        }
        w
    }

    /// Allow another [`MAX_PERIODS`] periods from here (for a caller that
    /// bounds each step of its own instead of the whole walk).
    pub(super) const fn reset_budget(&mut self) {
        self.periods = 0;
    }

    /// Index (in periods of length 1, not INTERVAL) of local second `t` relative to DTSTART.
    fn raw_index(&self, t: i64) -> i64 {
        use Frequency::{Daily, Monthly, Weekly, Yearly};
        let day = t.div_euclid(DAY);
        match self.plan.freq {
            Yearly => Day::of(day).map_or(0, |d| i64::from(d.year - self.y0)),
            Monthly => Day::of(day).map_or(0, |d| {
                i64::from(d.year - self.y0) * 12 + i64::from(d.month) - 1 - self.m0
            }),
            Weekly => (day - self.ws0).div_euclid(7),
            Daily => day - self.d0,
            f => (t - self.plan.dt0).div_euclid(unit_seconds(f)),
        }
    }

    /// The smallest k whose period starts at or after local second `t` (sub-daily).
    fn ceil_k(&self, t: i64) -> i64 {
        let u = unit_seconds(self.plan.freq);
        let step = self.plan.interval;
        let diff = t - self.plan.dt0;
        let units = diff.div_euclid(u) + i64::from(diff.rem_euclid(u) != 0);
        units.div_euclid(step) + i64::from(units.rem_euclid(step) != 0)
    }

    /// The next instance, or `None` once the rule ends (COUNT, UNTIL, year
    /// 9999) or passes `hi`.
    ///
    /// # Errors
    /// `invalid_window` when more than [`MAX_PERIODS`] periods pass since the
    /// start or the last [`Walker::reset_budget`]; the walk then stays ended.
    pub(super) fn next_instance(&mut self) -> Result<Option<i64>> {
        loop {
            while let Some(&inst) = self.buf.get(self.pos) {
                self.pos += 1;
                if inst < self.plan.dt0 {
                    continue;
                }
                if self.stop_local.is_some_and(|s| inst > s) {
                    self.done = true;
                    return Ok(None);
                }
                self.emitted += 1;
                if self.count.is_some_and(|c| self.emitted > c) {
                    self.done = true;
                    return Ok(None);
                }
                return Ok(Some(inst));
            }
            if self.done {
                return Ok(None);
            }
            self.periods += 1;
            if self.periods > MAX_PERIODS {
                self.done = true;
                self.buf.clear();
                return Err(Error::window(format!(
                    "the rule needs more than {MAX_PERIODS} steps to cover the query; narrow the window or move DTSTART closer to it"
                )));
            }
            self.buf.clear();
            self.pos = 0;
            if !self.fill() {
                self.done = true;
                return Ok(None);
            }
        }
    }

    /// Put the next period's instances (maybe none) in `buf`, ascending;
    /// `false` when there is no next period.
    #[allow(clippy::too_many_lines)]
    fn fill(&mut self) -> bool {
        use Frequency::{Daily, Monthly, Weekly, Yearly};
        let plan = self.plan;
        let (hi, d0, y0, m0, ws0) = (self.hi, self.d0, self.y0, self.m0, self.ws0);
        let n = self.k.saturating_mul(plan.interval);
        let buf = &mut self.buf;
        if plan.freq >= Daily {
            let (first, last) = match plan.freq {
                Yearly => {
                    let Ok(y) = i32::try_from(i64::from(y0) + n) else {
                        return false;
                    };
                    match (
                        NaiveDate::from_ymd_opt(y, 1, 1),
                        NaiveDate::from_ymd_opt(y, 12, 31),
                    ) {
                        (Some(a), Some(b)) => (day_number(a), day_number(b)),
                        _ => return false,
                    }
                }
                Monthly => {
                    let Some((a, y, m)) = month_start(i64::from(y0) * 12 + m0 + n) else {
                        return false;
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
            if first_second > hi
                || first > LAST_DAY
                || self.stop_local.is_some_and(|s| first_second > s)
            {
                return false;
            }
            let mut day = match self.next_day {
                Some(d) if d.n == first => d,
                _ => {
                    let Some(d) = Day::of(first) else {
                        return false;
                    };
                    d
                }
            };
            let len = u32::try_from(last - first + 1).unwrap_or(1);
            if self.shortcut && plan.candidates(&day, len, &mut self.days) {
                let start = day;
                let mut at = 0;
                for &off in &self.days {
                    day = day.advanced(off - at);
                    at = off;
                    if plan.day_ok(&day) {
                        let base = day.n * DAY;
                        buf.extend(plan.times.iter().map(|t| base + t));
                    }
                }
                self.next_day = Some(start.advanced(len));
            } else {
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
                self.next_day = Some(day);
            }
            self.k += 1;
        } else {
            let f = plan.freq;
            let u = unit_seconds(f);
            let start = plan.dt0 + n * u;
            let day_n = start.div_euclid(DAY);
            if start > hi || day_n > LAST_DAY || self.stop_local.is_some_and(|s| start > s) {
                return false;
            }
            let day = match self.cached_day {
                Some(d) if d.n == day_n => d,
                _ => {
                    let Some(d) = Day::of(day_n) else {
                        return false;
                    };
                    self.cached_day = Some(d);
                    d
                }
            };
            if !plan.day_ok(&day) {
                self.k = self.ceil_k((day_n + 1) * DAY).max(self.k + 1);
                return true;
            }
            let sod = start - day_n * DAY;
            let (h, m, sec) = (sod / 3600, sod / 60 % 60, sod % 60);
            let in_list = |v: &[u32], x: i64| v.is_empty() || v.iter().any(|&y| i64::from(y) == x);
            if !in_list(&plan.hours, h) {
                self.k = if f == Frequency::Hourly {
                    self.k + 1
                } else {
                    self.ceil_k(start - sod % 3600 + 3600).max(self.k + 1)
                };
                return true;
            }
            if f == Frequency::Secondly && !in_list(&plan.minutes, m) {
                self.k = self.ceil_k(start - sec + 60).max(self.k + 1);
                return true;
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
            self.k += 1;
        }
        if !plan.set_pos.is_empty() && !self.buf.is_empty() {
            let len = i64::try_from(self.buf.len()).unwrap_or(i64::MAX);
            let buf = &self.buf;
            self.picked.clear();
            self.picked.extend(plan.set_pos.iter().filter_map(|&p| {
                let p = i64::from(p);
                let idx = if p > 0 { p - 1 } else { len + p };
                usize::try_from(idx).ok().and_then(|i| buf.get(i).copied())
            }));
            self.picked.sort_unstable();
            self.picked.dedup();
            std::mem::swap(&mut self.buf, &mut self.picked);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every instance a walker gives over local seconds `[lo, hi]`.
    fn instances(rule: &RRule, plan: &Plan, lo: i64, hi: i64, shortcut: bool) -> Vec<i64> {
        let mut w = Walker::new(rule, plan, lo, hi);
        w.shortcut = shortcut;
        let mut out = Vec::new();
        while let Some(t) = w.next_instance().unwrap() {
            if t > hi {
                break;
            }
            out.push(t);
        }
        out
    }

    fn arb_days_rule() -> impl Strategy<Value = String> {
        let list = |values: BoxedStrategy<i32>, n| {
            prop::option::of(prop::collection::btree_set(values, 1..n)).prop_map(|set| {
                set.map(|s| {
                    s.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                })
            })
        };
        let signed = |m: i32| prop_oneof![1..=m, -m..=-1].boxed();
        let weekday = prop::collection::btree_set(
            (
                prop_oneof![Just(0), 1i32..=5, -5i32..=-1, -53i32..=53],
                0usize..7,
            ),
            1..5,
        )
        .prop_map(|set| {
            let names = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
            set.iter()
                .map(|&(n, d)| {
                    if n == 0 {
                        names[d].to_string()
                    } else {
                        format!("{n}{}", names[d])
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        });
        (
            prop_oneof![Just("MONTHLY"), Just("YEARLY"), Just("WEEKLY")],
            1u32..4,
            prop::option::of(weekday),
            list(signed(31), 4),
            list((1..=12).boxed(), 4),
            list(signed(366), 4),
            list(signed(53), 3),
            list(signed(10), 3),
            list((0..=23).boxed(), 3),
        )
            .prop_map(
                |(freq, interval, byday, monthday, month, yearday, weekno, setpos, hour)| {
                    let mut r = format!("FREQ={freq};INTERVAL={interval}");
                    // BYYEARDAY and BYWEEKNO go with YEARLY only (RFC 5545).
                    let yearly = |v: Option<String>| v.filter(|_| freq == "YEARLY");
                    for (name, v) in [
                        ("BYDAY", byday),
                        ("BYMONTHDAY", monthday),
                        ("BYMONTH", month),
                        ("BYYEARDAY", yearly(yearday)),
                        ("BYWEEKNO", yearly(weekno)),
                        ("BYSETPOS", setpos),
                        ("BYHOUR", hour),
                    ] {
                        if let Some(v) = v {
                            r += &format!(";{name}={v}");
                        }
                    }
                    r
                },
            )
    }

    proptest! {
        /// Visiting only the candidate days of a period gives exactly the
        /// instances that visiting every day gives, whatever the BY* parts.
        #[test]
        fn candidate_days_give_what_visiting_every_day_gives(
            rule in arb_days_rule(),
            year in prop_oneof![1960i32..2040, 9985i32..9999],
            ordinal in 1u32..366,
            span_days in 1i64..4000,
        ) {
            // Rules the builder refuses (say BYYEARDAY with MONTHLY) are not rules.
            let Ok(rule) = rule.parse::<RRule>() else { return Ok(()) };
            let dtstart = NaiveDate::from_yo_opt(year, ordinal).unwrap().and_hms_opt(9, 30, 0).unwrap();
            let plan = Plan::new(&rule, dtstart);
            let lo = plan.dt0 - 40 * DAY;
            let hi = lo + span_days * DAY;
            let fast = instances(&rule, &plan, lo, hi, true);
            let every = instances(&rule, &plan, lo, hi, false);
            prop_assert_eq!(fast, every, "{}", rule);
        }
    }

    #[test]
    fn advancing_a_day_crosses_months_and_years() {
        let start = Day::of(day_number(NaiveDate::from_ymd_opt(2023, 12, 30).unwrap())).unwrap();
        for k in [0u32, 1, 2, 31, 60, 366, 400, 1000] {
            let got = start.advanced(k);
            let want = Day::of(start.n + i64::from(k)).unwrap();
            assert_eq!(
                (
                    got.n,
                    got.year,
                    got.month,
                    got.day,
                    got.ordinal,
                    got.weekday
                ),
                (
                    want.n,
                    want.year,
                    want.month,
                    want.day,
                    want.ordinal,
                    want.weekday
                ),
                "{k}"
            );
        }
    }

    #[test]
    fn week_numbers() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        // ISO: 2026-01-01 is Thursday -> week 1 of 2026; 2027-01-01 (Fri) is week 53 of 2026.
        assert_eq!(week_number(d(2026, 1, 1), Weekday::Mon), (1, 53));
        assert_eq!(week_number(d(2027, 1, 1), Weekday::Mon), (53, 53));
        assert_eq!(week_number(d(2024, 12, 30), Weekday::Mon), (1, 52));
    }
}
