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

/// A slot query: the window of starts, the appointment length, the grid step,
/// buffers, notice and horizon.
///
/// Built with [`SlotQuery::new`] and its by-value setters; every field is
/// public to read (and to set, then [`SlotQuery::validate`]). On the wire the
/// durations are integers of minutes and unknown fields are refused;
/// deserialising checks as [`SlotQuery::validate`] does.
///
/// ```
/// use hcas_core::{Minutes, SlotQuery, Timestamp};
/// let now: Timestamp = "2026-03-01T08:00:00Z".parse().unwrap();
/// let q = SlotQuery::new(now, "2026-03-08T00:00:00Z".parse().unwrap(), Minutes::new(30))
///     .step(Minutes::new(15))
///     .buffers(Minutes::ZERO, Minutes::new(5))
///     .now(now)
///     .notice(Minutes::hours(2))
///     .horizon(Minutes::days(90));
/// assert!(q.validate().is_ok());
/// assert_eq!(q.effective_step(), Minutes::new(15));
/// let json = serde_json::to_value(q).unwrap();
/// assert_eq!(json["duration"], 30);
/// assert_eq!(json["min_notice"], 120);
/// assert_eq!(serde_json::from_value::<SlotQuery>(json).unwrap(), q);
/// // Setting a field directly skips no check: the engine validates every query.
/// let mut bad = q;
/// bad.duration = Minutes::ZERO;
/// assert_eq!(bad.validate().unwrap_err().code(), hcas_core::ErrorCode::InvalidDuration);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "SlotQueryRaw")]
#[non_exhaustive]
pub struct SlotQuery {
    /// Earliest offered start (inclusive).
    pub from: Timestamp,
    /// Latest offered start (exclusive).
    pub to: Timestamp,
    /// Appointment length (> 0).
    pub duration: Minutes,
    /// Grid step (> 0); `None`: the duration.
    pub step: Option<Minutes>,
    /// Free time required before the appointment (>= 0).
    pub buffer_before: Minutes,
    /// Free time required after the appointment (>= 0).
    pub buffer_after: Minutes,
    /// The current instant; enables `min_notice` and `horizon`.
    pub now: Option<Timestamp>,
    /// Minimum time between `now` and a start (>= 0).
    pub min_notice: Minutes,
    /// Starts must be before `now + horizon` (>= 0).
    pub horizon: Option<Minutes>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotQueryRaw {
    from: Timestamp,
    to: Timestamp,
    duration: Minutes,
    #[serde(default)]
    step: Option<Minutes>,
    #[serde(default)]
    buffer_before: Minutes,
    #[serde(default)]
    buffer_after: Minutes,
    #[serde(default)]
    now: Option<Timestamp>,
    #[serde(default)]
    min_notice: Minutes,
    #[serde(default)]
    horizon: Option<Minutes>,
}

impl TryFrom<SlotQueryRaw> for SlotQuery {
    type Error = Error;
    fn try_from(r: SlotQueryRaw) -> Result<Self> {
        let q = Self {
            from: r.from,
            to: r.to,
            duration: r.duration,
            step: r.step,
            buffer_before: r.buffer_before,
            buffer_after: r.buffer_after,
            now: r.now,
            min_notice: r.min_notice,
            horizon: r.horizon,
        };
        q.validate()?;
        Ok(q)
    }
}

impl SlotQuery {
    /// A query for `duration`-long slots starting in `[from, to)`, every other
    /// field at its default: step = duration, no buffers, no `now` (so no
    /// notice or horizon).
    #[must_use]
    pub const fn new(from: Timestamp, to: Timestamp, duration: Minutes) -> Self {
        Self {
            from,
            to,
            duration,
            step: None,
            buffer_before: Minutes::ZERO,
            buffer_after: Minutes::ZERO,
            now: None,
            min_notice: Minutes::ZERO,
            horizon: None,
        }
    }

    /// With candidate starts every `step` along each working window.
    #[must_use]
    pub const fn step(mut self, step: Minutes) -> Self {
        self.step = Some(step);
        self
    }

    /// With free time required `before` and `after` each appointment.
    #[must_use]
    pub const fn buffers(mut self, before: Minutes, after: Minutes) -> Self {
        self.buffer_before = before;
        self.buffer_after = after;
        self
    }

    /// With the current instant, which [`SlotQuery::notice`] and
    /// [`SlotQuery::horizon`] count from (without it they have no effect).
    #[must_use]
    pub const fn now(mut self, now: Timestamp) -> Self {
        self.now = Some(now);
        self
    }

    /// With starts at least `min_notice` after `now`.
    #[must_use]
    pub const fn notice(mut self, min_notice: Minutes) -> Self {
        self.min_notice = min_notice;
        self
    }

    /// With starts before `now + horizon`.
    #[must_use]
    pub const fn horizon(mut self, horizon: Minutes) -> Self {
        self.horizon = Some(horizon);
        self
    }

    /// The grid step in force: `step`, or the duration when unset.
    #[must_use]
    pub fn effective_step(&self) -> Minutes {
        self.step.unwrap_or(self.duration)
    }

    /// Check every field; called by the slot engine before any work.
    ///
    /// # Errors
    /// `invalid_interval`, `invalid_duration` or `invalid_window`, naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.to <= self.from {
            return Err(Error::new(
                ErrorCode::InvalidInterval,
                format!(
                    "query.to ({}) must be after query.from ({})",
                    self.to, self.from
                ),
            ));
        }
        if self.to.unix() - self.from.unix() > MAX_SLOT_WINDOW_DAYS * DAY {
            return Err(Error::window(format!(
                "a slot query may span at most {MAX_SLOT_WINDOW_DAYS} days; split {}..{} into smaller windows",
                self.from, self.to
            )));
        }
        let max = MAX_SLOT_WINDOW_DAYS * 24 * 60;
        // Buffers, notice and horizon only need to stay clear of overflow: a
        // booking horizon of 18 months is ordinary.
        let long = LONG_MINUTES;
        let positive = |name: &str, v: i64| {
            if v <= 0 || v > max {
                Err(Error::duration(format!(
                    "query.{name} must be a positive number of minutes (1..={max}), got {v}"
                )))
            } else {
                Ok(())
            }
        };
        let non_negative = |name: &str, v: i64| {
            if v < 0 || v > long {
                Err(Error::duration(format!(
                    "query.{name} must be zero or a positive number of minutes (0..={long}), got {v}"
                )))
            } else {
                Ok(())
            }
        };
        positive("duration", self.duration.get())?;
        if let Some(step) = self.step {
            positive("step", step.get())?;
        }
        non_negative("buffer_before", self.buffer_before.get())?;
        non_negative("buffer_after", self.buffer_after.get())?;
        non_negative("min_notice", self.min_notice.get())?;
        if let Some(h) = self.horizon {
            non_negative("horizon", h.get())?;
        }
        Ok(())
    }

    /// The effective `[lo, hi)` range of offered starts (from/to, notice, horizon).
    fn start_range(&self) -> (i64, i64) {
        let mut lo = self.from.unix();
        let mut hi = self.to.unix();
        if let Some(now) = self.now {
            lo = lo.max(now.unix() + self.min_notice.get() * MINUTE);
            if let Some(h) = self.horizon {
                hi = hi.min(now.unix() + h.get() * MINUTE);
            }
        }
        (lo, hi)
    }
}

impl Availability {
    /// Check the documented size limits ([`crate::id::MAX_RULES`],
    /// [`crate::id::MAX_OVERRIDES`], [`crate::id::MAX_BUSY`]); every query does.
    ///
    /// # Errors
    /// `limit_exceeded` naming the limit.
    pub fn check_limits(&self) -> Result<()> {
        use crate::id::{MAX_BUSY, MAX_OVERRIDES, MAX_RULES, check_count};
        check_count("rules", self.rules.len(), "MAX_RULES", MAX_RULES)?;
        check_count(
            "overrides",
            self.overrides.len(),
            "MAX_OVERRIDES",
            MAX_OVERRIDES,
        )?;
        check_count("busy", self.busy.len(), "MAX_BUSY", MAX_BUSY)
    }

    /// Availability in `zone` with no rules, overrides or busy time yet (so no
    /// slots): add them with [`Availability::with_rule`],
    /// [`Availability::with_override`] and [`Availability::with_busy`].
    #[must_use]
    pub const fn new(zone: Zone) -> Self {
        Self {
            zone,
            rules: Vec::new(),
            overrides: Vec::new(),
            override_days: Vec::new(),
            busy: IntervalSet::new(),
        }
    }

    /// Availability in `zone` from working rules, date overrides and busy
    /// intervals, all at once. Several overrides for one date add up.
    #[must_use]
    pub fn from_parts(
        zone: Zone,
        rules: Vec<WorkingRule>,
        mut overrides: Vec<DateOverride>,
        busy: Vec<Interval>,
    ) -> Self {
        let mut rules = rules;
        for r in &mut rules {
            r.bind(zone);
        }
        overrides.sort_by_key(|o| o.date);
        let override_days = overrides.iter().map(|o| day_number(o.date)).collect();
        Self {
            zone,
            rules,
            overrides,
            override_days,
            busy: IntervalSet::from_intervals(busy),
        }
    }

    /// With one more working rule.
    #[must_use]
    pub fn with_rule(mut self, mut rule: WorkingRule) -> Self {
        rule.bind(self.zone);
        self.rules.push(rule);
        self
    }

    /// With one more date override (after any others of the same date; they add up).
    #[must_use]
    pub fn with_override(mut self, date_override: DateOverride) -> Self {
        let i = self
            .overrides
            .partition_point(|x| x.date <= date_override.date);
        self.override_days.insert(i, day_number(date_override.date));
        self.overrides.insert(i, date_override);
        self
    }

    /// With more busy time (merged with what is there).
    #[must_use]
    pub fn with_busy(mut self, busy: impl IntoIterator<Item = Interval>) -> Self {
        self.add_busy(busy);
        self
    }

    /// The working rules, in the order given.
    #[must_use]
    pub fn rules(&self) -> &[WorkingRule] {
        &self.rules
    }

    /// The date overrides, sorted by date.
    #[must_use]
    pub fn overrides(&self) -> &[DateOverride] {
        &self.overrides
    }

    /// The zone.
    #[must_use]
    pub const fn zone(&self) -> Zone {
        self.zone
    }

    /// The merged busy intervals.
    #[must_use]
    pub const fn busy(&self) -> &IntervalSet {
        &self.busy
    }

    /// Add busy time (e.g. new bookings), keeping the set merged.
    pub fn add_busy(&mut self, busy: impl IntoIterator<Item = Interval>) {
        self.busy = self.busy.union(&IntervalSet::from_intervals(busy));
    }

    /// The merged working windows that can hold a start in `[from, to)`, ascending
    /// (each found whole, see the module docs).
    ///
    /// # Errors
    /// `invalid_window` if a rule needs too many steps to reach the window.
    pub fn windows(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Interval>> {
        self.windows_for(from, to, 0)
    }

    /// Merged windows for starts in `[from, to)` of `reach`-second appointments.
    pub(crate) fn windows_for(
        &self,
        from: Timestamp,
        to: Timestamp,
        reach: i64,
    ) -> Result<Vec<Interval>> {
        let mut out = Vec::new();
        self.windows_into(from, to, reach, &mut SpanCache::default(), &mut out)?;
        Ok(out)
    }

    /// Whether an override replaces the rules on local `date`.
    pub(crate) fn has_override_on(&self, date: NaiveDate) -> bool {
        self.overrides
            .binary_search_by_key(&date, |o| o.date)
            .is_ok()
    }

    /// The earliest local date any rule or override can open a window on.
    fn earliest_date(&self) -> Option<NaiveDate> {
        let rules = self.rules.iter().map(|r| r.dtstart);
        let overrides = self.overrides.first().map(|o| o.date);
        rules.chain(overrides).min()
    }

    /// The merged windows that matter for starts in `[from, to)` of slots
    /// `reach` seconds long. A merged window is found whole: when the windows
    /// chain back past the expanded range (a 24/7 rota, night shifts that meet
    /// the next morning), the range grows backwards until the chain's true start,
    /// because the candidate grid is anchored there.
    fn windows_into(
        &self,
        from: Timestamp,
        to: Timestamp,
        reach: i64,
        cache: &mut SpanCache,
        out: &mut Vec<Interval>,
    ) -> Result<()> {
        self.check_limits()?;
        let Some(earliest) = self.earliest_date() else {
            out.clear();
            return Ok(());
        };
        let first = from.naive_utc().date();
        let dhi = crate::time::naive_from_secs(to.unix() + reach).date() + TimeDelta::days(2);
        let mut back = 2i64;
        loop {
            let dlo = first - TimeDelta::days(back);
            self.collect_windows(dlo, dhi, cache, out)?;
            // Windows opened before `dlo` end by the day after it (+ a DST hour)
            // and could only join a first window starting that early.
            let reachable = Timestamp::clamped(
                (dlo + TimeDelta::days(2))
                    .and_time(NaiveTime::MIN)
                    .and_utc()
                    .timestamp()
                    + 15 * 3600,
            );
            // The first window that can hold a start at or after `from`: its
            // grid is the one that matters, and it may have begun before `dlo`.
            let relevant = out.iter().find(|w| w.end() > from);
            match relevant {
                Some(w) if dlo > earliest && w.start() <= reachable => {
                    back = back
                        .saturating_mul(2)
                        .min((first - earliest).num_days() + 2);
                }
                _ => return Ok(()),
            }
        }
    }

    fn collect_windows(
        &self,
        dlo: NaiveDate,
        dhi: NaiveDate,
        cache: &mut SpanCache,
        out: &mut Vec<Interval>,
    ) -> Result<()> {
        out.clear();
        let (lo, hi) = (dlo.and_time(NaiveTime::MIN), dhi.and_time(NaiveTime::MIN));
        let spans = cache.get(
            self.zone,
            Timestamp::clamped((lo - TimeDelta::days(1)).and_utc().timestamp()),
            Timestamp::clamped((hi + TimeDelta::days(2)).and_utc().timestamp()),
        );
        for rule in &self.rules {
            let Some(rec) = &rule.recurrence else {
                continue;
            };
            let until = match rule.rrule.until() {
                Some(Until::Timestamp(u)) => Some(u),
                _ => None,
            };
            let (lo_s, hi_s) = (lo.and_utc().timestamp(), hi.and_utc().timestamp());
            rec.for_each_local_seconds(lo_s, hi_s, |local| {
                let day = local.div_euclid(DAY);
                if self.override_days.binary_search(&day).is_ok() {
                    return true;
                }
                if until.is_some_and(|u| spans.resolve_seconds(local) > u) {
                    return true;
                }
                if let Some(iv) = rule.window.on_day(day, spans) {
                    out.push(iv);
                }
                true
            })?;
        }
        let first = self.overrides.partition_point(|o| o.date < dlo);
        for o in self.overrides[first..].iter().take_while(|o| o.date <= dhi) {
            for w in &o.windows {
                if let Some(iv) = w.on_spans(o.date, spans) {
                    out.push(iv);
                }
            }
        }
        out.sort_unstable();
        let merged = merge_sorted(std::mem::take(out));
        *out = merged;
        Ok(())
    }

    /// The offered slot starts for `query`, ascending and unique.
    ///
    /// ```
    /// use hcas_core::{Availability, LocalTime, Minutes, SlotQuery, WorkingRule, Zone};
    /// use hcas_core::chrono::NaiveDate;
    /// // 09:00-12:00 New York time every day; 45-minute visits on the hour,
    /// // each needing 15 free minutes after it.
    /// let avail = Availability::new(Zone::parse("America/New_York").unwrap()).with_rule(
    ///     WorkingRule::daily(LocalTime::new(9, 0).unwrap(), LocalTime::new(12, 0).unwrap(),
    ///         NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap());
    /// let q = SlotQuery::new("2026-03-08T00:00:00Z".parse().unwrap(), "2026-03-09T00:00:00Z".parse().unwrap(),
    ///     Minutes::new(45)).step(Minutes::new(60)).buffers(Minutes::ZERO, Minutes::new(15));
    /// let slots: Vec<String> = avail.slots(&q).unwrap().iter().map(|s| s.to_string()).collect();
    /// // The spring-forward Sunday: 09:00 EDT is 13:00 UTC.
    /// assert_eq!(slots, ["2026-03-08T13:00:00Z", "2026-03-08T14:00:00Z", "2026-03-08T15:00:00Z"]);
    /// ```
    ///
    /// # Errors
    /// The query's validation errors; `invalid_window` for a window over
    /// [`MAX_SLOT_WINDOW_DAYS`].
    pub fn slots(&self, query: &SlotQuery) -> Result<Vec<Timestamp>> {
        query.validate()?;
        let mut windows = Vec::new();
        let mut cache = SpanCache::default();
        self.windows_into(
            query.from,
            query.to,
            query.duration.get() * MINUTE,
            &mut cache,
            &mut windows,
        )?;
        let mut out = Vec::with_capacity(capacity_hint(&windows, query));
        cut_slots(&windows, self.busy.intervals(), query, &mut out);
        Ok(out)
    }
}

/// An upper bound of the slots `windows` can hold inside the query, for one allocation.
fn capacity_hint(windows: &[Interval], q: &SlotQuery) -> usize {
    let step = q.effective_step().get().max(1) * MINUTE;
    let (lo, hi) = (q.from.unix(), q.to.unix());
    let covered: i64 = windows
        .iter()
        .map(|w| (w.end().unix().min(hi) - w.start().unix().max(lo)).max(0))
        .sum();
    usize::try_from(covered / step + 1)
        .unwrap_or(0)
        .min(1 << 16)
}

/// The sweep: candidates on each window's grid, jumping over busy time.
fn cut_slots(windows: &[Interval], busy: &[Interval], q: &SlotQuery, out: &mut Vec<Timestamp>) {
    let dur = q.duration.get() * MINUTE;
    let step = q.effective_step().get() * MINUTE;
    let (before, after) = (
        q.buffer_before.get() * MINUTE,
        q.buffer_after.get() * MINUTE,
    );
    let (lo, hi) = q.start_range();
    if lo >= hi {
        return;
    }
    let mut b = 0usize;
    for w in windows {
        let (ws, we) = (w.start().unix(), w.end().unix());
        if we - dur < lo {
            continue;
        }
        if ws >= hi {
            break;
        }
        // First grid point at or after `lo`.
        let mut s = if ws >= lo {
            ws
        } else {
            ws + (lo - ws + step - 1) / step * step
        };
        // The last start that fits the window and the query.
        let end = (we - dur).min(hi - 1);
        while s <= end {
            while b < busy.len() && busy[b].end().unix() <= s - before {
                b += 1;
            }
            let mut last = end;
            if let Some(x) = busy.get(b) {
                if x.start().unix() < s + dur + after {
                    // Blocked: jump to the first grid point whose buffered start clears x.
                    let clear = x.end().unix() + before;
                    s = ws + (clear - ws + step - 1).div_euclid(step) * step;
                    continue;
                }
                // Every start whose buffered end stays before x is free.
                last = last.min(x.start().unix() - dur - after);
            }
            // A free run: busy intervals before `b` end before `s - before`
            // (their ends ascend), the rest start after `last + dur + after`.
            let n = (last - s) / step + 1;
            // In range: every start lies in the query's `[from, to)`.
            out.extend((0..n).map(|i| Timestamp::from_unix_unchecked(s + i * step)));
            s += n * step;
        }
    }
}

/// Slots of several providers over one query: each start with the providers free at it.
///
/// Compressed rows: start `i` is offered by `members[offsets[i]..offsets[i+1]]`,
/// indices into the slice given to [`pooled_slots`], ascending.
///
/// Deserialising checks the rows (see [`PooledSlots::iter`]): starts strictly
/// ascending, one row per start with at least one member, members of a row
/// strictly ascending, offsets that stay inside `members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PooledSlotsRaw")]
pub struct PooledSlots {
    starts: Vec<Timestamp>,
    offsets: Vec<u32>,
    members: Vec<u32>,
}

impl Default for PooledSlots {
    fn default() -> Self {
        Self {
            starts: Vec::new(),
            offsets: vec![0],
            members: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PooledSlotsRaw {
    starts: Vec<Timestamp>,
    offsets: Vec<u32>,
    members: Vec<u32>,
}

impl TryFrom<PooledSlotsRaw> for PooledSlots {
    type Error = Error;
    fn try_from(r: PooledSlotsRaw) -> Result<Self> {
        let bad = |what: &str| Err(Error::request(format!("pooled slots: {what}")));
        if r.offsets.len() != r.starts.len() + 1 || r.offsets.first() != Some(&0) {
            return bad("`offsets` must start at 0 and hold one more entry than `starts`");
        }
        if r.offsets.last().map(|&o| o as usize) != Some(r.members.len()) {
            return bad("the last offset must be the number of members");
        }
        if r.starts.windows(2).any(|w| w[0] >= w[1]) {
            return bad("`starts` must be strictly ascending");
        }
        // All offsets ascending first: with the last one equal to
        // `members.len()`, every row below is then in bounds.
        if r.offsets.windows(2).any(|w| w[0] >= w[1]) {
            return bad("every start needs at least one member (offsets strictly ascending)");
        }
        for w in r.offsets.windows(2) {
            let row = &r.members[w[0] as usize..w[1] as usize];
            if row.windows(2).any(|m| m[0] >= m[1]) {
                return bad("the members of a start must be strictly ascending");
            }
        }
        Ok(Self {
            starts: r.starts,
            offsets: r.offsets,
            members: r.members,
        })
    }
}

impl PooledSlots {
    /// Number of distinct starts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether no start is offered by anyone.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The distinct starts, ascending.
    #[must_use]
    pub fn starts(&self) -> &[Timestamp] {
        &self.starts
    }

    /// Each start with the indices of the providers free at it.
    pub fn iter(&self) -> impl Iterator<Item = (Timestamp, &[u32])> + '_ {
        self.starts.iter().enumerate().map(move |(i, &s)| {
            let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
            (s, &self.members[a..b])
        })
    }
}

/// Pooled availability ("any doctor of this specialty"): the same query over
/// many providers, answering each start with the providers free at it.
///
/// ```
/// use hcas_core::{Availability, LocalTime, Minutes, PooledSlots, SlotQuery, WorkingRule, Zone, pooled_slots};
/// use hcas_core::chrono::NaiveDate;
/// let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
/// let mk = |start: u32| Availability::new(Zone::parse("UTC").unwrap()).with_rule(
///     WorkingRule::daily(LocalTime::new(start, 0).unwrap(), LocalTime::new(12, 0).unwrap(), from).unwrap());
/// let pool = [mk(9), mk(10)];
/// let q = SlotQuery::new("2026-01-01T00:00:00Z".parse().unwrap(), "2026-01-02T00:00:00Z".parse().unwrap(),
///     Minutes::new(60));
/// let got = pooled_slots(&pool, &q).unwrap();
/// let rows: Vec<(String, Vec<u32>)> = got.iter().map(|(s, m)| (s.to_string(), m.to_vec())).collect();
/// assert_eq!(rows, [("2026-01-01T09:00:00Z".to_string(), vec![0]),
///                   ("2026-01-01T10:00:00Z".to_string(), vec![0, 1]),
///                   ("2026-01-01T11:00:00Z".to_string(), vec![0, 1])]);
/// // The answer serialises compactly and is checked when read back.
/// let json = serde_json::to_string(&got).unwrap();
/// assert_eq!(serde_json::from_str::<PooledSlots>(&json).unwrap(), got);
/// ```
///
/// # Errors
/// As [`Availability::slots`]; `invalid_request` for more than `u32::MAX` providers.
pub fn pooled_slots(providers: &[Availability], query: &SlotQuery) -> Result<PooledSlots> {
    query.validate()?;
    if u32::try_from(providers.len()).is_err() {
        return Err(Error::request("too many providers in one pooled query"));
    }
    // Every provider's slots in one buffer, each list closed by a sentinel, so
    // the merge below needs no bounds or end checks. `Timestamp::MAX` is never a
    // start: starts lie before `query.to`, which is at most `Timestamp::MAX`.
    const END: Timestamp = Timestamp::MAX;
    let mut flat: Vec<Timestamp> = Vec::new();
    let mut pos: Vec<usize> = Vec::with_capacity(providers.len());
    let mut windows = Vec::new();
    // Providers of one clinic share a zone: its offsets are found once.
    let mut cache = SpanCache::default();
    for p in providers {
        p.windows_into(
            query.from,
            query.to,
            query.duration.get() * MINUTE,
            &mut cache,
            &mut windows,
        )?;
        flat.reserve(capacity_hint(&windows, query) + 1);
        pos.push(flat.len());
        cut_slots(&windows, p.busy.intervals(), query, &mut flat);
        // Counted while sweeping: at most one provider's slots past the limit
        // are ever held (a single query's slots are bounded by its window).
        let entries = flat.len() + 1 - pos.len();
        if entries > crate::id::MAX_POOLED_ENTRIES {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!(
                    "a pooled answer may hold at most MAX_POOLED_ENTRIES = {} (start, provider) pairs; \
                     this query reaches {entries} by provider {}: shorten the window, widen the step \
                     or ask fewer providers",
                    crate::id::MAX_POOLED_ENTRIES,
                    pos.len() - 1
                ),
            ));
        }
        flat.push(END);
    }
    let mut out = PooledSlots {
        starts: Vec::new(),
        offsets: vec![0],
        members: Vec::with_capacity(flat.len() - providers.len()),
    };
    // k-way merge over the lists' current heads, kept in one array so the
    // minimum is a tight scan; providers of one clinic share most starts, so
    // each pass emits many (start, provider) pairs.
    let mut cur: Vec<i64> = pos.iter().map(|&p| flat[p].unix()).collect();
    let too_many = || Error::request("too many (start, provider) pairs in one pooled answer");
    while let Some(m) = cur.iter().copied().min().filter(|&m| m != END.unix()) {
        for (i, c) in cur.iter_mut().enumerate() {
            if *c == m {
                out.members.push(u32::try_from(i).map_err(|_| too_many())?);
                pos[i] += 1;
                *c = flat[pos[i]].unix();
            }
        }
        // In range: `m` is one of the slots' starts.
        out.starts.push(Timestamp::from_unix_unchecked(m));
        out.offsets
            .push(u32::try_from(out.members.len()).map_err(|_| too_many())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn lt(s: &str) -> LocalTime {
        LocalTime::parse_end(s).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn slot_query_setters_fill_every_field_and_keep_the_wire_shape() {
        let q = SlotQuery::new(
            t("2026-03-02T00:00:00Z"),
            t("2026-03-09T00:00:00Z"),
            Minutes::new(30),
        );
        assert_eq!((q.step, q.now, q.horizon), (None, None, None));
        assert_eq!(q.effective_step(), Minutes::new(30));
        let q = q
            .step(Minutes::new(10))
            .buffers(Minutes::new(5), Minutes::new(7))
            .now(t("2026-03-01T12:00:00Z"))
            .notice(Minutes::new(90))
            .horizon(Minutes::days(3));
        assert_eq!(q.step, Some(Minutes::new(10)));
        assert_eq!(
            (q.buffer_before, q.buffer_after),
            (Minutes::new(5), Minutes::new(7))
        );
        assert_eq!(q.now, Some(t("2026-03-01T12:00:00Z")));
        assert_eq!(q.min_notice, Minutes::new(90));
        assert_eq!(q.horizon, Some(Minutes::new(4320)));
        assert_eq!(q.effective_step(), Minutes::new(10));
        // Integers of minutes on the wire, as before `Minutes`.
        let wire = serde_json::json!({
            "from": "2026-03-02T00:00:00Z", "to": "2026-03-09T00:00:00Z", "duration": 30,
            "step": 10, "buffer_before": 5, "buffer_after": 7, "now": "2026-03-01T12:00:00Z",
            "min_notice": 90, "horizon": 4320
        });
        assert_eq!(serde_json::to_value(q).unwrap(), wire);
        assert_eq!(serde_json::from_value::<SlotQuery>(wire).unwrap(), q);
    }

    #[test]
    fn slot_query_refusals_keep_their_codes_and_messages() {
        let base = serde_json::json!({
            "from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z", "duration": 30
        });
        let with = |k: &str, v: serde_json::Value| {
            let mut d = base.clone();
            d[k] = v;
            serde_json::from_value::<SlotQuery>(d)
                .unwrap_err()
                .to_string()
        };
        let e = with("step", 0.into());
        assert!(
            e.contains("invalid_duration: query.step must be a positive number of minutes"),
            "{e}"
        );
        assert!(e.contains("got 0"), "{e}");
        let e = with("buffer_after", (-1).into());
        assert!(
            e.contains("query.buffer_after") && e.contains("got -1"),
            "{e}"
        );
        assert!(with("duration", 1.5.into()).contains("invalid type"));
        assert!(with("extra", 1.into()).contains("unknown field"));
        let q = SlotQuery::new(
            t("2026-03-02T00:00:00Z"),
            t("2026-03-03T00:00:00Z"),
            Minutes::new(30),
        );
        let e = q.horizon(Minutes::new(-1)).validate().unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidDuration);
        let e = q.step(Minutes::ZERO).validate().unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidDuration);
    }

    #[test]
    fn weekly_and_daily_rules_write_the_rrule() {
        let from = date(2026, 1, 5);
        let r = WorkingRule::weekly(
            [Weekday::Fri, Weekday::Mon, Weekday::Fri],
            lt("08:00"),
            lt("24:00"),
            from,
        )
        .unwrap();
        assert_eq!(r.rrule().to_string(), "FREQ=WEEKLY;BYDAY=MO,FR");
        assert_eq!(r.dtstart(), from);
        assert_eq!(r.window(), LocalWindow::parse("08:00", "24:00").unwrap());
        assert_eq!(
            r,
            WorkingRule::new(
                "FREQ=WEEKLY;BYDAY=MO,FR".parse().unwrap(),
                from,
                lt("08:00"),
                lt("24:00")
            )
            .unwrap()
        );
        let none: [Weekday; 0] = [];
        let e = WorkingRule::weekly(none, lt("08:00"), lt("09:00"), from).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRrule);
        let e = WorkingRule::weekly([Weekday::Sun], lt("24:00"), lt("09:00"), from).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidDatetime);
        let d = WorkingRule::daily(lt("22:00"), lt("06:00"), from).unwrap();
        assert_eq!(d.rrule().to_string(), "FREQ=DAILY");
        assert!(d.window().crosses_midnight());
        assert!(!r.window().crosses_midnight());
    }

    #[test]
    fn working_rules_round_trip_and_refuse_what_new_refuses() {
        let r = WorkingRule::weekly([Weekday::Tue], lt("09:00"), lt("12:30"), date(2026, 2, 3))
            .unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"rrule": "FREQ=WEEKLY;BYDAY=TU", "dtstart": "2026-02-03",
                               "window": {"start": "09:00", "end": "12:30"}})
        );
        assert_eq!(serde_json::from_value::<WorkingRule>(json).unwrap(), r);
        for (bad, why) in [
            (
                r#"{"rrule":"FREQ=HOURLY","dtstart":"2026-02-03","window":{"start":"09:00","end":"10:00"}}"#,
                "invalid_rrule",
            ),
            (
                r#"{"rrule":"FREQ=DAILY;BYHOUR=9","dtstart":"2026-02-03","window":{"start":"09:00","end":"10:00"}}"#,
                "invalid_rrule",
            ),
            (
                r#"{"rrule":"FREQ=DAILY","dtstart":"2026-02-03","window":{"start":"24:00","end":"10:00"}}"#,
                "24:00",
            ),
            (
                r#"{"rrule":"FREQ=DAILY","dtstart":"2026-02-30","window":{"start":"09:00","end":"10:00"}}"#,
                "",
            ),
            (
                r#"{"rrule":"FREQ=DAILY","dtstart":"2026-02-03","window":{"start":"09:00","end":"10:00"},"x":1}"#,
                "unknown field",
            ),
        ] {
            let e = serde_json::from_str::<WorkingRule>(bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn date_overrides_build_read_and_round_trip() {
        let d = date(2026, 12, 25);
        let closed = DateOverride::closed(d);
        assert!(closed.is_closed() && closed.windows().is_empty());
        assert_eq!(closed.date(), d);
        let w = LocalWindow::parse("10:00", "14:00").unwrap();
        let short = DateOverride::hours(d, [w]);
        assert!(!short.is_closed());
        assert_eq!(short.windows(), [w]);
        for o in [closed, short] {
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(serde_json::from_str::<DateOverride>(&json).unwrap(), o);
        }
        for bad in [
            r#"{"date":"2026-12-25","windows":[{"start":"24:00","end":"10:00"}]}"#,
            r#"{"date":"2026-12-25","windows":[],"x":1}"#,
            r#"{"date":"2026-12-25"}"#,
        ] {
            assert!(serde_json::from_str::<DateOverride>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_window_getters_and_parse() {
        let w = LocalWindow::parse("22:00", "06:00:30").unwrap();
        assert_eq!((w.start(), w.end()), (lt("22:00"), lt("06:00:30")));
        assert!(w.crosses_midnight());
        assert!(
            !LocalWindow::parse("00:00", "24:00")
                .unwrap()
                .crosses_midnight()
        );
        assert!(LocalWindow::parse("24:00", "06:00").is_err());
        assert!(LocalWindow::parse("9:00", "10:00").is_err());
    }

    fn clinic() -> (Vec<WorkingRule>, Vec<DateOverride>, Vec<Interval>) {
        let rules = vec![
            WorkingRule::weekly(
                [Weekday::Mon, Weekday::Tue, Weekday::Wed],
                lt("09:00"),
                lt("13:00"),
                date(2026, 3, 2),
            )
            .unwrap(),
            WorkingRule::daily(lt("20:00"), lt("02:00"), date(2026, 3, 1)).unwrap(),
        ];
        let overrides = vec![
            DateOverride::hours(
                date(2026, 3, 4),
                [LocalWindow::parse("14:00", "15:00").unwrap()],
            ),
            DateOverride::closed(date(2026, 3, 3)),
            DateOverride::hours(
                date(2026, 3, 4),
                [LocalWindow::parse("16:00", "17:00").unwrap()],
            ),
        ];
        let busy = vec![
            Interval::parse("2026-03-02T14:00:00Z", "2026-03-02T15:00:00Z").unwrap(),
            Interval::parse("2026-03-02T10:00:00Z", "2026-03-02T10:30:00Z").unwrap(),
        ];
        (rules, overrides, busy)
    }

    #[test]
    fn the_builder_and_from_parts_agree() {
        let zone = Zone::parse("Europe/Paris").unwrap();
        let (rules, overrides, busy) = clinic();
        let parts = Availability::from_parts(zone, rules.clone(), overrides.clone(), busy.clone());
        let mut built = Availability::new(zone);
        for r in rules {
            built = built.with_rule(r);
        }
        for o in overrides {
            built = built.with_override(o);
        }
        let built = built
            .with_busy(busy[..1].to_vec())
            .with_busy(busy[1..].to_vec());
        assert_eq!(built, parts);
        assert_eq!(built.override_days, parts.override_days);
        assert_eq!(built.rules().len(), 2);
        let dates: Vec<NaiveDate> = built.overrides().iter().map(DateOverride::date).collect();
        assert_eq!(
            dates,
            [date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 4)]
        );
        let q = SlotQuery::new(
            t("2026-03-01T00:00:00Z"),
            t("2026-03-06T00:00:00Z"),
            Minutes::new(30),
        );
        let slots = built.slots(&q).unwrap();
        assert_eq!(slots, parts.slots(&q).unwrap());
        // The rules are bound to the zone: 09:00 Paris is 08:00 UTC in March.
        assert_eq!(slots[0], t("2026-03-01T19:00:00Z"));
        assert!(slots.contains(&t("2026-03-02T08:00:00Z")));
        // 3 March is closed: only the night shift begun on 2 March runs into
        // it (until 02:00 Paris, 01:00 UTC). 4 March has only the override
        // hours, its night shift gone with it.
        let closed = Interval::parse("2026-03-03T01:00:00Z", "2026-03-04T13:00:00Z").unwrap();
        assert!(slots.contains(&t("2026-03-03T00:30:00Z")));
        assert!(!slots.iter().any(|s| closed.contains(*s)));
        assert!(!slots.contains(&t("2026-03-04T19:00:00Z")));
        assert!(slots.contains(&t("2026-03-04T13:00:00Z")));
        assert!(slots.contains(&t("2026-03-04T15:30:00Z")));
        assert!(!slots.contains(&t("2026-03-04T08:00:00Z")));
        let empty = Availability::new(zone);
        assert!(empty.slots(&q).unwrap().is_empty());
    }

    #[test]
    fn availability_round_trips_and_checks_on_the_way_in() {
        let zone = Zone::parse("America/New_York").unwrap();
        let (rules, overrides, busy) = clinic();
        let a = Availability::from_parts(zone, rules, overrides, busy);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["zone"], "America/New_York");
        let back: Availability = serde_json::from_value(json).unwrap();
        assert_eq!(back, a);
        let q = SlotQuery::new(
            t("2026-03-01T00:00:00Z"),
            t("2026-03-06T00:00:00Z"),
            Minutes::new(20),
        );
        assert_eq!(back.slots(&q).unwrap(), a.slots(&q).unwrap());
        let only_zone: Availability = serde_json::from_str(r#"{"zone":"UTC"}"#).unwrap();
        assert_eq!(only_zone, Availability::new(Zone::parse("UTC").unwrap()));
        for (bad, why) in [
            (r#"{"zone":"Mars/Base"}"#, "invalid_timezone"),
            (r#"{"zone":"UTC","x":[]}"#, "unknown field"),
            (r#"{"rules":[]}"#, "missing field"),
            (
                r#"{"zone":"UTC","busy":[{"start":"2026-01-01T01:00:00Z","end":"2026-01-01T00:00:00Z"}]}"#,
                "invalid_interval",
            ),
        ] {
            let e = serde_json::from_str::<Availability>(bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn deserialising_an_availability_checks_the_limits() {
        let rule = serde_json::json!({"rrule": "FREQ=DAILY", "dtstart": "2026-01-01",
                                      "window": {"start": "09:00", "end": "10:00"}});
        let too_many = serde_json::json!({
            "zone": "UTC",
            "rules": vec![rule.clone(); crate::id::MAX_RULES + 1],
        });
        let e = serde_json::from_value::<Availability>(too_many)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("limit_exceeded") && e.contains("MAX_RULES"),
            "{e}"
        );
        let at_limit = serde_json::json!({
            "zone": "UTC",
            "rules": vec![rule; crate::id::MAX_RULES],
        });
        assert!(serde_json::from_value::<Availability>(at_limit).is_ok());
        // Busy intervals count as given, before they merge.
        let one =
            serde_json::json!({"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"});
        let busy = serde_json::json!({
            "zone": "UTC",
            "busy": vec![one; crate::id::MAX_BUSY + 1],
        });
        let e = serde_json::from_value::<Availability>(busy)
            .unwrap_err()
            .to_string();
        assert!(e.contains("MAX_BUSY"), "{e}");
    }

    #[test]
    fn pooled_slots_round_trip_and_refuse_broken_rows() {
        let mk = |start: &str| {
            Availability::new(Zone::parse("UTC").unwrap())
                .with_rule(WorkingRule::daily(lt(start), lt("12:00"), date(2026, 1, 1)).unwrap())
        };
        let q = SlotQuery::new(
            t("2026-01-01T00:00:00Z"),
            t("2026-01-02T00:00:00Z"),
            Minutes::new(60),
        );
        let got = pooled_slots(&[mk("10:00"), mk("09:00")], &q).unwrap();
        let json = serde_json::to_value(&got).unwrap();
        assert_eq!(json["offsets"], serde_json::json!([0, 1, 3, 5]));
        assert_eq!(serde_json::from_value::<PooledSlots>(json).unwrap(), got);
        let bad = serde_json::json!({"starts": ["2026-01-01T09:00:00Z"], "offsets": [0, 2],
                                     "members": [1, 0]});
        let e = serde_json::from_value::<PooledSlots>(bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("strictly ascending"), "{e}");
    }
}
