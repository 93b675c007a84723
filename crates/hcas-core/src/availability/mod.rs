//! A provider's availability (working rules, date overrides, busy time) and
//! the slot engine that cuts it into bookable starts.
//!
//! Semantics are the `slots` kind of `docs/vectors.md`:
//! 1. each working rule's occurrence on local date D opens `[D start, D end)`
//!    (`24:00` is the next midnight; `end <= start` ends on the next day), an
//!    override date replaces every rule window starting that day, and
//!    overlapping or touching windows merge;
//! 2. candidates are `ws + k*step` in each merged window while they fit;
//! 3. a candidate is offered when it lies in `[from, to)`, its buffered interval
//!    `[s - before, s + duration + after)` overlaps no busy interval, and it
//!    respects `now + min_notice` and `now + horizon`.
//!
//! The engine is a sorted sweep: windows and busy intervals are merged once,
//! and each candidate costs O(1) amortised; blocked stretches are jumped over
//! arithmetically, never scanned minute by minute.

use chrono::{Datelike, NaiveDate, NaiveTime, TimeDelta, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::recurrence::{Frequency, RRule, Recurrence, Until, WeekdayNum};
use crate::time::{
    DAY, Interval, IntervalSet, LocalTime, MINUTE, Minutes, Timestamp, merge_sorted,
};
use crate::zone::{Zone, ZoneSpans};

mod pooled;
mod query;
mod slots;
#[cfg(test)]
mod tests;

pub use pooled::{PooledSlots, pooled_slots};
pub use query::SlotQuery;

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Days since 1970-01-01.
fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE)
}

/// Largest buffer, notice or horizon, in minutes (100 years).
pub const LONG_MINUTES: i64 = 100 * 366 * 24 * 60;

/// Maximum span of a slot query window, in days.
pub const MAX_SLOT_WINDOW_DAYS: i64 = 400;

/// Zone offset tables already found in this query, reused across providers.
#[derive(Debug, Default)]
struct SpanCache {
    tables: Vec<(Timestamp, Timestamp, ZoneSpans)>,
}

impl SpanCache {
    fn get(&mut self, zone: Zone, lo: Timestamp, hi: Timestamp) -> &ZoneSpans {
        let found = self
            .tables
            .iter()
            .position(|(a, b, s)| s.zone() == zone && *a <= lo && hi <= *b);
        let i = found.unwrap_or_else(|| {
            self.tables.push((lo, hi, ZoneSpans::new(zone, lo, hi)));
            self.tables.len() - 1
        });
        &self.tables[i].2
    }
}

/// A local time window on one day: `[start, end)`; `end <= start` runs into the
/// next day (a night shift), and `end` may be [`LocalTime::MIDNIGHT_END`].
///
/// On the wire `{"start": "09:00", "end": "17:00"}`; deserialising checks as
/// [`LocalWindow::new`] does.
///
/// ```
/// use hcas_core::{LocalTime, LocalWindow};
/// let night = LocalWindow::new(LocalTime::new(22, 0).unwrap(), LocalTime::new(6, 0).unwrap()).unwrap();
/// assert!(night.crosses_midnight());
/// let json = serde_json::to_string(&night).unwrap();
/// assert_eq!(json, r#"{"start":"22:00","end":"06:00"}"#);
/// assert_eq!(serde_json::from_str::<LocalWindow>(&json).unwrap(), night);
/// assert!(serde_json::from_str::<LocalWindow>(r#"{"start":"24:00","end":"06:00"}"#).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "LocalWindowRaw")]
pub struct LocalWindow {
    start: LocalTime,
    end: LocalTime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocalWindowRaw {
    start: LocalTime,
    end: LocalTime,
}

impl TryFrom<LocalWindowRaw> for LocalWindow {
    type Error = Error;
    fn try_from(raw: LocalWindowRaw) -> Result<Self> {
        Self::new(raw.start, raw.end)
    }
}

impl LocalWindow {
    /// A window; `start` must not be `24:00`.
    ///
    /// # Errors
    /// `invalid_datetime` when `start` is `24:00`.
    pub fn new(start: LocalTime, end: LocalTime) -> Result<Self> {
        if start.is_end_of_day() {
            return Err(Error::datetime(
                "a window cannot start at 24:00; use 00:00 of the next day",
            ));
        }
        Ok(Self { start, end })
    }

    /// Parse both ends: `start` as [`LocalTime::parse`], `end` as
    /// [`LocalTime::parse_end`] (so `24:00` may end it).
    ///
    /// ```
    /// use hcas_core::LocalWindow;
    /// let w = LocalWindow::parse("09:00", "24:00").unwrap();
    /// assert!(w.end().is_end_of_day());
    /// assert!(LocalWindow::parse("24:00", "09:00").is_err());
    /// ```
    ///
    /// # Errors
    /// `invalid_datetime` for a malformed time or a `24:00` start.
    pub fn parse(start: &str, end: &str) -> Result<Self> {
        Self::new(LocalTime::parse(start)?, LocalTime::parse_end(end)?)
    }

    /// The local start time (never `24:00`).
    #[must_use]
    pub const fn start(&self) -> LocalTime {
        self.start
    }

    /// The local end time; `24:00` is the midnight that ends the day.
    #[must_use]
    pub const fn end(&self) -> LocalTime {
        self.end
    }

    /// Whether the window ends on the next day (`end <= start`, `24:00` excluded).
    #[must_use]
    pub fn crosses_midnight(&self) -> bool {
        self.end <= self.start
    }

    /// The instants of this window on local date `date` in `zone` (`None` when it
    /// resolves to nothing, e.g. 02:00-03:00 on a spring-forward day).
    #[must_use]
    pub fn on(&self, date: NaiveDate, zone: &Zone) -> Option<Interval> {
        self.resolve_with(date, |local| {
            zone.resolve(crate::time::naive_from_secs(local))
        })
    }

    fn on_spans(&self, date: NaiveDate, spans: &ZoneSpans) -> Option<Interval> {
        self.on_day(day_number(date), spans)
    }

    /// On the day numbered `day` (days since 1970-01-01).
    fn on_day(&self, day: i64, spans: &ZoneSpans) -> Option<Interval> {
        self.resolve_at(day * DAY, |local| spans.resolve_seconds(local))
    }

    /// `resolve` maps local wall seconds (since 1970-01-01T00:00 local) to an instant.
    fn resolve_with(
        &self,
        date: NaiveDate,
        resolve: impl Fn(i64) -> Timestamp,
    ) -> Option<Interval> {
        let midnight = day_number(date) * DAY;
        self.resolve_at(midnight, resolve)
    }

    /// `midnight` is the day's start in local seconds since 1970-01-01T00:00.
    fn resolve_at(&self, midnight: i64, resolve: impl Fn(i64) -> Timestamp) -> Option<Interval> {
        let end_secs = if self.end <= self.start {
            self.end.seconds() + 86_400
        } else {
            self.end.seconds()
        };
        let s = resolve(midnight + i64::from(self.start.seconds()));
        let e = resolve(midnight + i64::from(end_secs));
        Interval::new(s, e).ok()
    }
}

/// A weekly (or any RRULE) working pattern: on each local date the rule yields,
/// the provider works `[start, end)` local time.
///
/// Weekly hours need no RRULE text:
///
/// ```
/// use hcas_core::{LocalTime, WorkingRule};
/// use hcas_core::chrono::{NaiveDate, Weekday};
/// let from = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
/// let rule = WorkingRule::weekly(
///     [Weekday::Mon, Weekday::Wed, Weekday::Fri],
///     LocalTime::new(9, 0).unwrap(),
///     LocalTime::new(17, 0).unwrap(),
///     from,
/// ).unwrap();
/// assert_eq!(rule.rrule().to_string(), "FREQ=WEEKLY;BYDAY=MO,WE,FR");
/// // Any other pattern: an RRULE (here every second Tuesday).
/// let fortnightly = WorkingRule::new(
///     "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU".parse().unwrap(),
///     from,
///     LocalTime::new(13, 0).unwrap(),
///     LocalTime::MIDNIGHT_END,
/// ).unwrap();
/// // On the wire: the rule, its first date and the window; checked on the way in.
/// let json = serde_json::to_string(&fortnightly).unwrap();
/// assert_eq!(json, r#"{"rrule":"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU","dtstart":"2026-01-05","window":{"start":"13:00","end":"24:00"}}"#);
/// assert_eq!(serde_json::from_str::<WorkingRule>(&json).unwrap(), fortnightly);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "WorkingRuleRaw")]
pub struct WorkingRule {
    rrule: RRule,
    dtstart: NaiveDate,
    window: LocalWindow,
    #[serde(skip)]
    recurrence: Option<Recurrence>,
}

impl WorkingRule {
    /// A rule repeating days from local date `dtstart`.
    ///
    /// # Errors
    /// `invalid_rrule` when the rule repeats more often than daily or selects
    /// hours/minutes/seconds (working rules repeat days); `invalid_datetime`
    /// when `start` is `24:00`.
    pub fn new(rrule: RRule, dtstart: NaiveDate, start: LocalTime, end: LocalTime) -> Result<Self> {
        if rrule.frequency() < Frequency::Daily {
            return Err(Error::rrule(format!(
                "working-hour rules repeat days: FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY, not {rrule}"
            )));
        }
        if rrule.has_time_parts() {
            return Err(Error::rrule(
                "working-hour rules repeat days: BYHOUR, BYMINUTE and BYSECOND are not allowed (use start and end)",
            ));
        }
        let window = LocalWindow::new(start, end)?;
        Ok(Self {
            rrule,
            dtstart,
            window,
            recurrence: None,
        })
    }

    /// The rule.
    #[must_use]
    pub const fn rrule(&self) -> &RRule {
        &self.rrule
    }

    /// The local window opened on each date.
    #[must_use]
    pub const fn window(&self) -> LocalWindow {
        self.window
    }

    /// The local date the rule starts on.
    #[must_use]
    pub const fn dtstart(&self) -> NaiveDate {
        self.dtstart
    }

    /// Weekly hours: `[start, end)` local time on each of `days`, from local
    /// date `from` on (`FREQ=WEEKLY;BYDAY=...`, days in Monday-first order).
    ///
    /// # Errors
    /// `invalid_rrule` for no days; `invalid_datetime` when `start` is `24:00`.
    pub fn weekly(
        days: impl IntoIterator<Item = Weekday>,
        start: LocalTime,
        end: LocalTime,
        from: NaiveDate,
    ) -> Result<Self> {
        let mut days: Vec<Weekday> = days.into_iter().collect();
        days.sort_unstable_by_key(Weekday::num_days_from_monday);
        days.dedup();
        if days.is_empty() {
            return Err(Error::rrule("weekly working hours need at least one day"));
        }
        let rrule = RRule::builder(Frequency::Weekly)
            .by_day(days.into_iter().map(WeekdayNum::every))
            .build()?;
        Self::new(rrule, from, start, end)
    }

    /// The same hours every day from local date `from` on (`FREQ=DAILY`).
    ///
    /// ```
    /// use hcas_core::{LocalTime, WorkingRule};
    /// use hcas_core::chrono::NaiveDate;
    /// let rota = WorkingRule::daily(LocalTime::MIDNIGHT, LocalTime::MIDNIGHT_END,
    ///     NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap();
    /// assert_eq!(rota.rrule().to_string(), "FREQ=DAILY");
    /// ```
    ///
    /// # Errors
    /// `invalid_datetime` when `start` is `24:00`.
    pub fn daily(start: LocalTime, end: LocalTime, from: NaiveDate) -> Result<Self> {
        Self::new(RRule::builder(Frequency::Daily).build()?, from, start, end)
    }

    fn bind(&mut self, zone: Zone) {
        self.recurrence = Some(Recurrence::new(
            self.rrule.clone(),
            self.dtstart.and_time(NaiveTime::MIN),
            zone,
        ));
    }
}

/// Two rules are equal when their rule, first date and window are (whatever
/// zone an [`Availability`] bound them to).
impl PartialEq for WorkingRule {
    fn eq(&self, other: &Self) -> bool {
        self.rrule == other.rrule && self.dtstart == other.dtstart && self.window == other.window
    }
}

impl Eq for WorkingRule {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkingRuleRaw {
    rrule: RRule,
    dtstart: NaiveDate,
    window: LocalWindow,
}

impl TryFrom<WorkingRuleRaw> for WorkingRule {
    type Error = Error;
    fn try_from(r: WorkingRuleRaw) -> Result<Self> {
        Self::new(r.rrule, r.dtstart, r.window.start, r.window.end)
    }
}

/// A local date whose rule windows are replaced by other windows: none (closed
/// that day) or custom hours. Several overrides of one date add up.
///
/// ```
/// use hcas_core::{DateOverride, LocalWindow};
/// use hcas_core::chrono::NaiveDate;
/// let xmas = NaiveDate::from_ymd_opt(2026, 12, 25).unwrap();
/// assert!(DateOverride::closed(xmas).is_closed());
/// let eve = DateOverride::hours(xmas.pred_opt().unwrap(), [LocalWindow::parse("09:00", "12:00").unwrap()]);
/// assert_eq!(serde_json::to_string(&eve).unwrap(),
///            r#"{"date":"2026-12-24","windows":[{"start":"09:00","end":"12:00"}]}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateOverride {
    date: NaiveDate,
    windows: Vec<LocalWindow>,
}

impl DateOverride {
    /// Closed on local date `date`: no rule opens a window starting that day.
    #[must_use]
    pub const fn closed(date: NaiveDate) -> Self {
        Self {
            date,
            windows: Vec::new(),
        }
    }

    /// Custom hours on local date `date`: `windows` replace every rule window
    /// starting that day (none: closed).
    #[must_use]
    pub fn hours(date: NaiveDate, windows: impl IntoIterator<Item = LocalWindow>) -> Self {
        Self {
            date,
            windows: windows.into_iter().collect(),
        }
    }

    /// The local date.
    #[must_use]
    pub const fn date(&self) -> NaiveDate {
        self.date
    }

    /// The windows that replace the rules' windows starting on that date.
    #[must_use]
    pub fn windows(&self) -> &[LocalWindow] {
        &self.windows
    }

    /// Whether the date is closed (no windows).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.windows.is_empty()
    }
}

/// A provider's availability: working rules in a zone, date overrides, busy time.
///
/// Built in code with [`Availability::new`] and `with_*`, or deserialised from
/// `{"zone", "rules", "overrides", "busy"}` (the last three optional), which
/// checks every part and [`Availability::check_limits`].
///
/// ```
/// use hcas_core::{Availability, DateOverride, Interval, LocalTime, Minutes, SlotQuery, WorkingRule, Zone};
/// use hcas_core::chrono::{NaiveDate, Weekday};
/// let weekdays = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
/// let rule = WorkingRule::weekly(weekdays, LocalTime::new(9, 0).unwrap(), LocalTime::new(12, 0).unwrap(),
///     NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).unwrap();
/// let avail = Availability::new(Zone::parse("Europe/London").unwrap())
///     .with_rule(rule)
///     .with_override(DateOverride::closed(NaiveDate::from_ymd_opt(2026, 3, 3).unwrap()))
///     .with_busy([Interval::parse("2026-03-02T10:00:00Z", "2026-03-02T10:30:00Z").unwrap()]);
/// let q = SlotQuery::new("2026-03-02T00:00:00Z".parse().unwrap(), "2026-03-04T00:00:00Z".parse().unwrap(),
///     Minutes::new(60));
/// let slots = avail.slots(&q).unwrap();
/// assert_eq!(slots.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
///            ["2026-03-02T09:00:00Z", "2026-03-02T11:00:00Z"]);
/// // Every part round-trips through JSON, checked on the way in.
/// let json = serde_json::to_string(&avail).unwrap();
/// assert_eq!(serde_json::from_str::<Availability>(&json).unwrap(), avail);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "AvailabilityRaw")]
pub struct Availability {
    zone: Zone,
    rules: Vec<WorkingRule>,
    overrides: Vec<DateOverride>,
    /// The override dates as day numbers, sorted (for the sweep).
    #[serde(skip)]
    override_days: Vec<i64>,
    busy: IntervalSet,
}

/// Equal zone, rules (in order), overrides (sorted by date) and merged busy time.
impl PartialEq for Availability {
    fn eq(&self, other: &Self) -> bool {
        self.zone == other.zone
            && self.rules == other.rules
            && self.overrides == other.overrides
            && self.busy == other.busy
    }
}

impl Eq for Availability {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AvailabilityRaw {
    zone: Zone,
    #[serde(default)]
    rules: Vec<WorkingRule>,
    #[serde(default)]
    overrides: Vec<DateOverride>,
    #[serde(default)]
    busy: Vec<Interval>,
}

impl TryFrom<AvailabilityRaw> for Availability {
    type Error = Error;
    fn try_from(r: AvailabilityRaw) -> Result<Self> {
        // Counted before the busy intervals are merged, as `wire` does.
        crate::id::check_count("busy", r.busy.len(), "MAX_BUSY", crate::id::MAX_BUSY)?;
        let a = Self::from_parts(r.zone, r.rules, r.overrides, r.busy);
        a.check_limits()?;
        Ok(a)
    }
}
