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

use chrono::{Datelike, NaiveDate, NaiveTime, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::recurrence::{Frequency, RRule, Recurrence, Until};
use crate::time::{DAY, Interval, IntervalSet, LocalTime, MINUTE, Timestamp, merge_sorted};
use crate::zone::{Zone, ZoneSpans};

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

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

/// A local time window on one day: `[start, end)`; `end <= start` runs into the next day.
///
/// Deserialising checks as [`LocalWindow::new`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "LocalWindowRaw")]
pub struct LocalWindow {
    /// Local start time (not `24:00`).
    pub start: LocalTime,
    /// Local end time; `24:00` is the midnight that ends the day.
    pub end: LocalTime,
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

    /// The instants of this window on local date `date` in `zone` (`None` when it
    /// resolves to nothing, e.g. 02:00-03:00 on a spring-forward day).
    #[must_use]
    pub fn on(&self, date: NaiveDate, zone: &Zone) -> Option<Interval> {
        self.resolve_with(date, |local| {
            zone.resolve(crate::time::naive_from_secs(local))
        })
    }

    fn on_spans(&self, date: NaiveDate, spans: &ZoneSpans) -> Option<Interval> {
        self.on_day(
            i64::from(date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE),
            spans,
        )
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
        let midnight = i64::from(date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE) * DAY;
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
#[derive(Debug, Clone, Serialize)]
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

    fn bind(&mut self, zone: Zone) {
        self.recurrence = Some(Recurrence::new(
            self.rrule.clone(),
            self.dtstart.and_time(NaiveTime::MIN),
            zone,
        ));
    }
}

/// A local date whose rule windows are replaced by `windows` (empty: closed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateOverride {
    /// The local date.
    pub date: NaiveDate,
    /// The windows that replace the rules' windows starting on that date.
    pub windows: Vec<LocalWindow>,
}

/// A provider's availability: working rules in a zone, date overrides, busy time.
///
/// ```
/// use hcas_core::{Availability, SlotQuery, Zone, WorkingRule, LocalTime};
/// use chrono::NaiveDate;
/// let rule = WorkingRule::new(
///     "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".parse().unwrap(),
///     NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
///     LocalTime::parse("09:00", false).unwrap(),
///     LocalTime::parse("12:00", true).unwrap(),
/// ).unwrap();
/// let avail = Availability::new(Zone::parse("Europe/London").unwrap(), vec![rule], vec![], vec![]);
/// let q = SlotQuery::new("2026-03-02T00:00:00Z".parse().unwrap(), "2026-03-03T00:00:00Z".parse().unwrap(), 60);
/// let slots = avail.slots(&q).unwrap();
/// assert_eq!(slots.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
///            ["2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"]);
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct Availability {
    zone: Zone,
    rules: Vec<WorkingRule>,
    overrides: Vec<DateOverride>,
    /// The override dates as day numbers, sorted (for the sweep).
    #[serde(skip)]
    override_days: Vec<i64>,
    busy: IntervalSet,
}

/// A slot query: window, duration, grid step, buffers, notice and horizon (minutes).
///
/// Deserialising checks as [`SlotQuery::validate`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SlotQueryRaw")]
pub struct SlotQuery {
    /// Earliest offered start (inclusive).
    pub from: Timestamp,
    /// Latest offered start (exclusive).
    pub to: Timestamp,
    /// Appointment length in minutes (> 0).
    pub duration: i64,
    /// Grid step in minutes (> 0); defaults to `duration`.
    #[serde(default)]
    pub step: Option<i64>,
    /// Free time required before the appointment, minutes (>= 0).
    #[serde(default)]
    pub buffer_before: i64,
    /// Free time required after the appointment, minutes (>= 0).
    #[serde(default)]
    pub buffer_after: i64,
    /// The current instant; enables `min_notice` and `horizon`.
    #[serde(default)]
    pub now: Option<Timestamp>,
    /// Minimum minutes between `now` and a start (>= 0).
    #[serde(default)]
    pub min_notice: i64,
    /// Starts must be before `now + horizon` minutes (>= 0).
    #[serde(default)]
    pub horizon: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotQueryRaw {
    from: Timestamp,
    to: Timestamp,
    duration: i64,
    #[serde(default)]
    step: Option<i64>,
    #[serde(default)]
    buffer_before: i64,
    #[serde(default)]
    buffer_after: i64,
    #[serde(default)]
    now: Option<Timestamp>,
    #[serde(default)]
    min_notice: i64,
    #[serde(default)]
    horizon: Option<i64>,
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
    /// A query for `duration`-minute slots starting in `[from, to)`, with every
    /// other field at its default.
    #[must_use]
    pub const fn new(from: Timestamp, to: Timestamp, duration: i64) -> Self {
        Self {
            from,
            to,
            duration,
            step: None,
            buffer_before: 0,
            buffer_after: 0,
            now: None,
            min_notice: 0,
            horizon: None,
        }
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
        positive("duration", self.duration)?;
        if let Some(step) = self.step {
            positive("step", step)?;
        }
        non_negative("buffer_before", self.buffer_before)?;
        non_negative("buffer_after", self.buffer_after)?;
        non_negative("min_notice", self.min_notice)?;
        if let Some(h) = self.horizon {
            non_negative("horizon", h)?;
        }
        Ok(())
    }

    /// The effective `[lo, hi)` range of offered starts (from/to, notice, horizon).
    fn start_range(&self) -> (i64, i64) {
        let mut lo = self.from.unix();
        let mut hi = self.to.unix();
        if let Some(now) = self.now {
            lo = lo.max(now.unix() + self.min_notice * MINUTE);
            if let Some(h) = self.horizon {
                hi = hi.min(now.unix() + h * MINUTE);
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

    /// Availability in `zone` from working rules, date overrides and busy intervals.
    /// Several overrides for one date add up.
    #[must_use]
    pub fn new(
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
        let override_days = overrides
            .iter()
            .map(|o| i64::from(o.date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE))
            .collect();
        Self {
            zone,
            rules,
            overrides,
            override_days,
            busy: IntervalSet::from_intervals(busy),
        }
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
            query.duration * MINUTE,
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
    let step = q.step.unwrap_or(q.duration).max(1) * MINUTE;
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
    let dur = q.duration * MINUTE;
    let step = q.step.unwrap_or(q.duration) * MINUTE;
    let (before, after) = (q.buffer_before * MINUTE, q.buffer_after * MINUTE);
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
/// use hcas_core::{Availability, SlotQuery, Zone, WorkingRule, LocalTime, pooled_slots};
/// use chrono::NaiveDate;
/// let mk = |start: &str| Availability::new(Zone::parse("UTC").unwrap(), vec![WorkingRule::new(
///     "FREQ=DAILY".parse().unwrap(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
///     LocalTime::parse(start, false).unwrap(), LocalTime::parse("12:00", true).unwrap()).unwrap()], vec![], vec![]);
/// let pool = [mk("09:00"), mk("10:00")];
/// let q = SlotQuery::new("2026-01-01T00:00:00Z".parse().unwrap(), "2026-01-02T00:00:00Z".parse().unwrap(), 60);
/// let got = pooled_slots(&pool, &q).unwrap();
/// let rows: Vec<(String, Vec<u32>)> = got.iter().map(|(s, m)| (s.to_string(), m.to_vec())).collect();
/// assert_eq!(rows[0], ("2026-01-01T09:00:00Z".to_string(), vec![0]));
/// assert_eq!(rows[1], ("2026-01-01T10:00:00Z".to_string(), vec![0, 1]));
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
            query.duration * MINUTE,
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
