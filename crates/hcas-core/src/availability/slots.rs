//! The slot engine: windows of a date range, then a sorted sweep that cuts them into starts.

use super::*;

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
    pub(super) fn windows_into(
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
pub(super) fn capacity_hint(windows: &[Interval], q: &SlotQuery) -> usize {
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
pub(super) fn cut_slots(
    windows: &[Interval],
    busy: &[Interval],
    q: &SlotQuery,
    out: &mut Vec<Timestamp>,
) {
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
